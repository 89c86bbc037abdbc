"""From a plan's add-on step to exact text edits of the pins that carry that add-on's version.

Which pins follow an add-on: those whose chart is one of the add-on's catalog
``detect.helm_charts``. The plan speaks in add-on versions (the catalog's), and a chart's
numbering may differ (ingress-nginx chart 4.x ships controller 1.x). A pin that pins the step's
``from`` version (a leading ``v`` is kept as written), or a range that allows it (``~1.14.0``,
``>=1.14 <1.15``, rewritten to the exact planned version), is moved to the planned version; a
pin at the planned version is already done. Any other pin is translated through its chart
repository's index when one can be read (``_translate``: the chart carrying the planned version);
otherwise it is reported, saying why, and left alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import yaml

from kubecurrent.catalog import Addon, Catalog
from kubecurrent.execute.gitops._index import (
    ChartIndex,
    IndexEntry,
    IndexUnavailable,
    index_url,
    repository_url,
)
from kubecurrent.execute.gitops._pins import Pin, PinScan, find_pins
from kubecurrent.execute.gitops._translate import translate
from kubecurrent.execute.gitops._versions import admits, is_range, same
from kubecurrent.model.plan import Step

__all__ = ["Edit", "StepEdits", "apply_edits", "edits_for_step", "is_range"]


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


def edits_for_step(
    files: dict[str, str],
    step: Step,
    catalog: Catalog,
    repo: str = "the repository",
    later: tuple[str, ...] = (),
    index: ChartIndex | None = None,
) -> StepEdits:
    """The edits that move every pin of ``step.target`` from ``step.from_`` to ``step.to``.

    ``later`` holds the versions later steps of the same add-on move to: a pin already there
    counts as done (the repository is ahead of this step, e.g. on a second run). ``index``
    reads chart repository indexes to translate pins numbered differently (None: not read).
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
        token = files[pin.path][pin.start : pin.end]
        if not _classify(pin, token, step, (step.to, *later), out):
            _translated(pin, token, step, addon, _Index(scan, index), out)
    _explain(out, scan, where, charts, repo)
    return out


def _classify(pin: Pin, token: str, step: Step, ahead: tuple[str, ...], out: StepEdits) -> bool:
    """Pins that follow the add-on version directly; False for any other pin."""
    to = ahead[0]
    if any(same(pin.version, v) for v in ahead):
        out.done.append(pin)
    elif same(pin.version, step.from_):
        new = ("v" if pin.version.startswith("v") else "") + to.removeprefix("v")
        out.edits.append(Edit(pin, token, requote(token, new)))
    elif is_range(pin.version) and admits(pin.version, step.from_):
        new = ("v" if pin.version.lstrip("~^=<> ").startswith("v") else "") + to.removeprefix("v")
        note = f"range {pin.version!r} replaced by the exact planned version {new}"
        out.edits.append(Edit(pin, token, requote(token, new), note))
    else:
        return False
    return True


@dataclass(frozen=True)
class _Index:
    scan: PinScan
    reader: ChartIndex | None

    def read(self, pin: Pin) -> tuple[str, Sequence[IndexEntry]]:
        """(index URL, the pin chart's versions); ``IndexUnavailable`` saying why not."""
        url = repository_url(pin, self.scan)
        where = index_url(url)
        if self.reader is None:
            raise IndexUnavailable(f"{where} was not read (chart repository indexes are off)")
        return where, self.reader(url).get(pin.chart, ())


def _translated(
    pin: Pin, token: str, step: Step, addon: Addon, index: _Index, out: StepEdits
) -> None:
    """A pin numbered differently: moved to the chart carrying the planned version, or said."""
    at = f"{pin.path}:{pin.line} ({pin.kind} {pin.name}, {pin.field})"
    said = (
        f"{at} pins chart {pin.chart} at {pin.version!r}, which is neither the add-on's "
        f"current version {step.from_} nor the planned {step.to}"
    )
    try:
        where, entries = index.read(pin)
    except IndexUnavailable as exc:
        out.problems.append(
            f"{said}; the chart may number its releases differently from the add-on, but "
            f"{exc.reason}, so the versions could not be translated: left alone (edit it by hand)"
        )
        return
    found = translate(pin, step, addon, entries, where)
    if found.version is not None:
        out.edits.append(Edit(pin, token, requote(token, found.version), found.note))
    elif found.done:
        out.done.append(pin)
    else:
        out.problems.append(f"{said}; {found.problem}: left alone (edit it by hand)")


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
