"""From a plan's add-on step to exact text edits of the pins that carry that add-on's version.

Which pins follow an add-on: those whose chart is one of the add-on's catalog
``detect.helm_charts``. The plan speaks in add-on versions (the catalog's), and a chart's
numbering may differ (ingress-nginx chart 4.x ships controller 1.x). The catalog does not map
one to the other, so a pin is edited only when it shows that it follows the add-on version: it
pins the step's ``from`` version (a leading ``v`` is kept as written), or a range that allows it
(``~1.14.0``, ``>=1.14 <1.15``), which is rewritten to the exact planned version. A pin at the
planned version is already done; any other pin is reported and left alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import yaml

from kubecurrent.catalog import Catalog, DottedVersion
from kubecurrent.execute.gitops._pins import Pin, PinScan, find_pins
from kubecurrent.model.plan import Step

__all__ = ["Edit", "StepEdits", "apply_edits", "edits_for_step", "is_range"]

_RANGE_CHARS = re.compile(r"[~^<>=*xX|, ]|\s-\s")
_NUMBERS = re.compile(r"\d+(?:\.\d+)*")


@dataclass(frozen=True)
class Edit:
    pin: Pin
    old: str
    """The token as written (quotes included)."""
    new: str
    note: str = ""


@dataclass
class StepEdits:
    """What one add-on step changes in the repository, and what it could not change."""

    step: Step
    edits: list[Edit] = field(default_factory=list)
    done: list[Pin] = field(default_factory=list)
    """Pins already at the planned version."""
    problems: list[str] = field(default_factory=list)
    """What stops or limits the step; empty when every pin followed the plan."""

    @property
    def blocked(self) -> bool:
        return not self.edits and not self.done


def is_range(version: str) -> bool:
    return bool(_RANGE_CHARS.search(version.strip()))


def _same(a: str, b: str) -> bool:
    try:
        return DottedVersion.parse(a.removeprefix("v")) == DottedVersion.parse(b.removeprefix("v"))
    except ValueError:
        return a.removeprefix("v") == b.removeprefix("v")


def _admits(constraint: str, version: str) -> bool:
    """Whether a range names the version's minor (``~1.14.0``, ``1.14.x``, ``>=1.14 <1.15``)."""
    want = version.removeprefix("v").split(".")[:2]
    return any(n.split(".")[:2] == want for n in _NUMBERS.findall(constraint))


def edits_for_step(
    files: dict[str, str],
    step: Step,
    catalog: Catalog,
    repo: str = "the repository",
    later: tuple[str, ...] = (),
) -> StepEdits:
    """The edits that move every pin of ``step.target`` from ``step.from_`` to ``step.to``.

    ``later`` holds the versions later steps of the same add-on move to: a pin already there
    counts as done (the repository is ahead of this step, e.g. on a second run).
    """
    out = StepEdits(step)
    addon = catalog.addon(step.target)
    charts = set(addon.detect.helm_charts) if addon else set()
    where = f"add-on {step.target} (step {step.order}, {step.from_} → {step.to})"
    if addon is None or not charts or step.to is None:
        why = "is not in the catalog" if addon is None else "lists no Helm chart in the catalog"
        out.problems.append(f"{where}: {why if step.to else 'has no target version'}")
        return out
    scan = find_pins(files)
    pins = [p for p in scan.pins if p.chart in charts]
    for pin in pins:
        _classify(pin, files[pin.path], step, (step.to, *later), out)
    _explain(out, scan, where, charts, repo)
    return out


def _classify(pin: Pin, text: str, step: Step, ahead: tuple[str, ...], out: StepEdits) -> None:
    token, to = text[pin.start : pin.end], ahead[0]
    at = f"{pin.path}:{pin.line} ({pin.kind} {pin.name}, {pin.field})"
    if any(_same(pin.version, v) for v in ahead):
        out.done.append(pin)
    elif _same(pin.version, step.from_):
        new = ("v" if pin.version.startswith("v") else "") + to.removeprefix("v")
        out.edits.append(Edit(pin, token, requote(token, new)))
    elif is_range(pin.version) and _admits(pin.version, step.from_):
        new = ("v" if pin.version.lstrip("~^=<> ").startswith("v") else "") + to.removeprefix("v")
        note = f"range {pin.version!r} replaced by the exact planned version {new}"
        out.edits.append(Edit(pin, token, requote(token, new), note))
    else:
        out.problems.append(
            f"{at} pins chart {pin.chart} at {pin.version!r}, which is neither the add-on's "
            f"current version {step.from_} nor the planned {to}: left alone (the chart may "
            "number its releases differently from the add-on; edit it by hand)"
        )


def _explain(out: StepEdits, scan: PinScan, where: str, charts: set[str], repo: str) -> None:
    if out.edits or out.done:
        return
    if not out.problems:
        refs = [f"{r.path}:{r.line} HelmRelease {r.name} → {r.target}" for r in scan.references]
        elsewhere = f"; HelmReleases pinned elsewhere (chartRef): {', '.join(refs)}" if refs else ""
        out.problems.append(
            f"{where}: no pin of chart {' or '.join(sorted(charts))} in {repo} (looked in Argo CD "
            "Applications and ApplicationSets, Flux HelmReleases and OCIRepositories, Chart.yaml "
            f"dependencies and kustomize helmCharts){elsewhere}"
        )
    else:
        out.problems.insert(0, f"{where}: no pin follows the add-on version; nothing edited")


def requote(token: str, value: str) -> str:
    """``value`` written in the token's quoting style (plain stays plain when it reads as a string)."""
    if token[:1] in "\"'":
        return token[0] + value + token[0]
    return value if isinstance(yaml.safe_load(value), str) else f'"{value}"'


def apply_edits(text: str, edits: list[Edit]) -> str:
    """``text`` with each edit's token replaced, and nothing else; checked by a re-parse."""
    out = text
    for edit in sorted(edits, key=lambda e: e.pin.start, reverse=True):
        if out[edit.pin.start : edit.pin.end] != edit.old:
            raise ValueError(f"{edit.pin.path}:{edit.pin.line}: the text changed under the edit")
        out = out[: edit.pin.start] + edit.new + out[edit.pin.end :]
    return out
