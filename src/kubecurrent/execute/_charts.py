"""Which chart carries the planned add-on version — chosen and checked before the cluster changes.

The plan speaks of add-on versions; a chart's own version often differs: the ingress-nginx
controller 1.12 ships in chart 4.12, Argo CD 2.13 in chart 7.7, metrics-server 0.7 in chart 3.12.
Handing the add-on version to ``helm upgrade --version`` would then fail, or worse install some
old chart that happens to carry that number. A chart states both numbers (``version`` and
``appVersion`` in Chart.yaml), and kubecurrent reads the add-on version from them exactly as it
detects installed add-ons (``chart_addon_version``).

The chart source (``--addon-chart NAME=REF``) decides how the chart is found:

- ``REF`` containing ``{version}``: formatted with the planned version (a chart per version);
- a repository chart ``ALIAS/CHART`` (from ``helm repo add``): ``helm search repo --versions``
  lists every chart version with the app version it carries; the chart carrying exactly the
  planned version wins, else the newest carrying a version of the planned release line (the
  rule lives in ``_chart_versions``, shared with GitOps mode);
- anything else (``oci://…``, a URL, a path): ``--version`` with the planned version, for
  add-ons whose chart version is the add-on version.

Whichever way, ``helm show chart`` then must show the release's own chart, carrying a version of
the planned release line, at a chart version not below the installed one; otherwise the step
stops before anything changes, naming the chart and what it carries.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from kubecurrent.catalog import Addon, DottedVersion
from kubecurrent.collect.cluster import chart_addon_version, parse_version
from kubecurrent.execute._chart_versions import (
    carried,
    chart_versions,
    fits,
    pick_chart_version,
    planned_line,
)
from kubecurrent.execute._errors import PermanentStepError
from kubecurrent.model.inventory import HelmRelease
from kubecurrent.programs import flag

__all__ = ["Chart", "choose_chart", "is_repo_chart"]

HelmOutput = Callable[[Sequence[str], Sequence[str]], str]
"""Runs ``helm ARGS -- OPERANDS`` and returns its output (raises ``PermanentStepError`` when helm
fails). Chart references and release names are operands, never flags."""


@dataclass(frozen=True)
class Chart:
    """The chart to upgrade to: what ``helm upgrade`` gets, and what the chart carries."""

    ref: str
    """The chart reference handed to helm (a repository chart, path, URL or OCI reference)."""
    chart_version: str | None
    """The ``--version`` asked of helm, when the reference does not fix it."""
    name: str
    version: str
    carries: str
    how: str

    @property
    def flags(self) -> tuple[str, ...]:
        return (flag("--version", self.chart_version),) if self.chart_version else ()

    def describe(self) -> str:
        return f"chart {self.name} {self.version} (carries {self.carries}; {self.how})"


def is_repo_chart(ref: str) -> bool:
    """``ALIAS/CHART`` of a Helm repository, not a path, URL or OCI reference."""
    return (
        "://" not in ref
        and not ref.startswith((".", "/", "~"))
        and ref.count("/") == 1
        and not Path(ref).exists()
    )


def choose_chart(
    helm: HelmOutput, addon: Addon, release: HelmRelease, ref: str, planned: str
) -> Chart:
    """The chart to install for ``addon`` at ``planned``, checked (see the module docstring)."""
    want = parse_version(planned)
    if want is None:
        raise PermanentStepError(
            f"add-on {addon.name}: planned version {planned!r} is not a version",
            hint="re-plan with `kubecurrent plan`",
        )
    line = planned_line(addon, want)
    version: str | None
    if "{version}" in ref:
        ref, version = ref.replace("{version}", planned), None
        how = "--addon-chart path for the planned version"
    elif is_repo_chart(ref):
        version, how = _from_repository(helm, addon, ref, want, line)
    else:
        version, how = planned, "chart version taken to be the add-on version"
    return _checked(helm, addon, release, ref, version, line, how)


def _from_repository(
    helm: HelmOutput, addon: Addon, ref: str, want: DottedVersion, line: DottedVersion
) -> tuple[str, str]:
    """(chart version, how it was chosen) from the local repository index."""
    found: Any = json.loads(helm(["search", "repo", "--versions", "-o", "json"], [ref]) or "[]")
    entries = [e for e in found if isinstance(e, dict)] if isinstance(found, list) else []
    listed = [(e.get("version"), e.get("app_version")) for e in entries if e.get("name") == ref]
    charts = chart_versions(addon, listed)
    if not charts:
        raise PermanentStepError(
            f"no chart {ref} in the local Helm repositories",
            hint=f"add its repository (`helm repo add {ref.split('/')[0]} URL`) and run "
            f"`helm repo update`, or pass --addon-chart {addon.name}=PATH-{{version}}",
        )
    choice = pick_chart_version(charts, want, line)
    if choice is None:
        raise PermanentStepError(
            f"no {ref} chart carries {addon.name} {line} (the repository's charts carry "
            f"{carried(charts)})",
            hint="run `helm repo update` for newer charts, or pass --addon-chart with a chart that "
            f"carries {addon.name} {line}",
        )
    if choice.exact:
        return choice.chart.version, f"the {ref} chart carrying {want}"
    return choice.chart.version, f"planned {want} is not in {ref}; the newest of line {line}"


def _checked(
    helm: HelmOutput,
    addon: Addon,
    release: HelmRelease,
    ref: str,
    chart_version: str | None,
    line: DottedVersion,
    how: str,
) -> Chart:
    asked = f"{ref} --version {chart_version}" if chart_version else ref
    flags = (flag("--version", chart_version),) if chart_version else ()
    meta: Any = yaml.safe_load(helm(["show", "chart", *flags], [ref]))
    if not isinstance(meta, dict):
        raise PermanentStepError(
            f"helm show chart {asked} printed no Chart.yaml",
            hint=f"check --addon-chart {addon.name}",
        )
    name, version = str(meta.get("name", "")), str(meta.get("version", ""))
    app = meta.get("appVersion")
    where = f"Helm release {release.namespace}/{release.name}"
    if name != release.chart:
        raise PermanentStepError(
            f"{asked} is chart {name!r}, but {where} runs chart {release.chart!r}",
            hint=f"point --addon-chart {addon.name} at the {release.chart} chart",
        )
    carries = chart_addon_version(addon, None if app is None else str(app), version)
    if carries is None or not fits(carries, line):
        raise PermanentStepError(
            f"chart {name} {version} (appVersion {app}) does not carry {addon.name} {line}",
            hint=f"pass --addon-chart {addon.name}=… naming a chart that carries {line}",
        )
    installed, new = parse_version(release.chart_version), parse_version(version)
    if installed is not None and new is not None and new < installed:
        raise PermanentStepError(
            f"{where} runs chart {name} {release.chart_version}; upgrading to chart {version} "
            "would move it backwards",
            hint=f"pass --addon-chart {addon.name}=… naming a newer chart",
        )
    return Chart(ref, chart_version, name, version, str(carries), how)
