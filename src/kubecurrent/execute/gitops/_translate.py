"""A pin in the chart's own numbering, translated to the plan's add-on versions by the index.

For a pin that is neither the step's ``from`` version nor a planned one, the repository index
says which add-on version the pinned chart carries (``chart_addon_version``, read as detection
reads it). When it carries the step's ``from`` version, the pin moves to the chart carrying the
planned version — exactly, else the newest of the planned release line, the rule Helm mode uses
(``pick_chart_version``); when it carries the planned version or a later one, the pin is done.
Pre-release charts are never chosen (as ``helm search`` leaves them out), and a chart never moves
backwards. A range (``4.11.x``) stands for the newest chart it admits and becomes the exact
chart version.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kubecurrent.catalog import Addon
from kubecurrent.collect.cluster import parse_version
from kubecurrent.execute._chart_versions import (
    ChartVersion,
    carried,
    chart_versions,
    pick_chart_version,
    planned_line,
)
from kubecurrent.execute.gitops._index import IndexEntry
from kubecurrent.execute.gitops._pins import Pin
from kubecurrent.execute.gitops._versions import admits, is_range, same
from kubecurrent.model.plan import Step

__all__ = ["Translation", "translate"]


@dataclass(frozen=True)
class Translation:
    """What the index says about one pin: a chart version to write, done, or a problem."""

    version: str | None = None
    note: str = ""
    done: bool = False
    problem: str = ""


def translate(
    pin: Pin, step: Step, addon: Addon, entries: Sequence[IndexEntry], url: str
) -> Translation:
    """How ``pin`` follows ``step`` according to the index read from ``url``."""
    charts = chart_versions(addon, [(e.version, e.app_version) for e in entries])
    stable = [c for c in charts if "-" not in c.version]
    pinned = _pinned(pin.version, charts, stable)
    if pinned is None:
        return Translation(problem=f"{url} lists no chart {pin.chart} {pin.version}")
    carrying = f"chart {pin.chart} {pinned.version} carries {addon.name} {pinned.carries}"
    now, want = parse_version(step.from_), parse_version(step.to or "")
    if want is not None and pinned.carries >= want:
        return Translation(done=True, note=carrying)
    if want is None or now is None or pinned.carries != now:
        return Translation(problem=f"{carrying} ({url}), not the current {step.from_}")
    line = planned_line(addon, want)
    choice = pick_chart_version(stable, want, line)
    if choice is None:
        return Translation(
            problem=f"no chart {pin.chart} in {url} carries {addon.name} {line} (its charts "
            f"carry {carried(stable)})"
        )
    chosen = choice.chart
    if chosen.order <= pinned.order:
        return Translation(
            problem=f"{carrying}, and the chart carrying {want} is {chosen.version} "
            f"({url}), older: kubecurrent never moves a chart backwards"
        )
    prefix = "v" if pin.version.lstrip("~^=<> ").startswith("v") else ""
    version = prefix + chosen.version.removeprefix("v")
    how = "" if choice.exact else f", the newest of line {line} ({want} is in no chart)"
    note = f"chart {pin.chart} {version} carries add-on {addon.name} {chosen.carries}{how}; "
    return Translation(version=version, note=note + f"{_was(pin.version, pinned)} ({url})")


def _was(version: str, pinned: ChartVersion) -> str:
    if is_range(version):
        return (
            f"range {version!r} (newest chart {pinned.version}, carrying {pinned.carries}) "
            "replaced by the exact chart version"
        )
    return f"the pinned chart carries {pinned.carries}"


def _pinned(
    version: str, charts: Sequence[ChartVersion], stable: Sequence[ChartVersion]
) -> ChartVersion | None:
    """The chart the pin selects: its exact version, or the newest stable one a range admits."""
    if is_range(version):
        admitted = [c for c in stable if admits(version, c.version)]
        return max(admitted, key=lambda c: c.order) if admitted else None
    return next((c for c in charts if same(c.version, version)), None)
