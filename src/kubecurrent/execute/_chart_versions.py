"""Which chart version carries a planned add-on version: the choice shared by Helm and GitOps mode.

A chart repository offers chart versions, each carrying an add-on version — its ``appVersion``,
or its own ``version`` for add-ons the catalog lists by chart version — read by
``chart_addon_version`` exactly as installed add-ons are detected. The rule, pure and the same
wherever the list comes from (``helm search repo --versions`` or a repository's ``index.yaml``):
the chart carrying exactly the planned version wins (its newest chart revision); else the newest
chart carrying a version of the planned release line; else none.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from kubecurrent.catalog import Addon, DottedVersion
from kubecurrent.collect.cluster import chart_addon_version, parse_version

__all__ = [
    "ChartVersion",
    "Choice",
    "carried",
    "chart_versions",
    "fits",
    "pick_chart_version",
    "planned_line",
]


@dataclass(frozen=True)
class ChartVersion:
    """One chart version a repository offers, and the add-on version it carries."""

    version: str
    """As the repository writes it."""
    order: DottedVersion
    """The chart version, parsed for ordering."""
    carries: DottedVersion


@dataclass(frozen=True)
class Choice:
    chart: ChartVersion
    exact: bool
    """True when the chart carries exactly the planned version, False when it is the newest of
    the planned release line."""


def fits(version: DottedVersion, line: DottedVersion) -> bool:
    """Whether ``version`` belongs to release line ``line`` (``1.12.1`` fits ``1.12``)."""
    return version.parts[: len(line.parts)] == line.parts


def planned_line(addon: Addon, planned: DottedVersion) -> DottedVersion:
    """The catalog release line of the planned version (the version itself when uncatalogued)."""
    fitting = [r.version for r in addon.releases if fits(planned, r.version)]
    return fitting[-1] if fitting else planned


def chart_versions(addon: Addon, listed: Iterable[tuple[object, object]]) -> list[ChartVersion]:
    """``(chart version, appVersion)`` pairs, as a repository lists them, as chart versions;
    pairs that read as no version are dropped."""
    out = []
    for raw_version, raw_app in listed:
        version = "" if raw_version is None else str(raw_version)
        app = None if raw_app is None else str(raw_app)
        carries = chart_addon_version(addon, app, version)
        order = parse_version(version)
        if carries is not None and order is not None:
            out.append(ChartVersion(version, order, carries))
    return out


def pick_chart_version(
    charts: Sequence[ChartVersion], want: DottedVersion, line: DottedVersion
) -> Choice | None:
    """The chart version to move to for ``want`` (see the module docstring), or None."""
    exact = [c for c in charts if c.carries == want]
    if exact:
        return Choice(max(exact, key=lambda c: c.order), exact=True)
    in_line = [c for c in charts if fits(c.carries, line)]
    if in_line:
        return Choice(max(in_line, key=lambda c: (c.carries, c.order)), exact=False)
    return None


def carried(charts: Sequence[ChartVersion], last: int = 6) -> str:
    """The newest add-on versions the charts carry, for messages (``1.0.0, 1.1.0, 1.2.0``)."""
    versions = sorted({c.carries for c in charts})
    return ", ".join(str(v) for v in versions[-last:])
