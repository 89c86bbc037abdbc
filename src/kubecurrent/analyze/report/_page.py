"""What the HTML fleet page shows, computed from inventories and findings (pure, no I/O).

The page model holds only display facts: versions, dates, add-on versions, findings and the
clusters that could not be read. Nothing from a Secret ever reaches it: inventories keep Helm
release metadata only, and findings name objects, never their data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from kubecurrent.analyze.cluster import FleetSupport, default_target, where
from kubecurrent.analyze.report._data import ScanReport
from kubecurrent.model import MinorVersion
from kubecurrent.model.findings import Finding, ScanError
from kubecurrent.model.inventory import ClusterInventory

ADDON_RULE = "KC-ADDON-UNSUPPORTED"


@dataclass(frozen=True)
class ClusterCurrency:
    """One cluster's place in the release cycle."""

    name: str
    version: str
    minor: str
    target: str
    behind: int
    """Minors behind the newest release in the catalog."""
    end_of_life: dt.date | None
    days_left: int | None
    """Days until end of life (negative once passed); None when the catalog has no date."""


@dataclass(frozen=True)
class AddonCell:
    """An add-on installed in one cluster."""

    version: str
    unsupported: bool = False
    """Its release line does not support the cluster's target."""
    no_release: bool = False
    """No release in the catalog supports the target at all."""


@dataclass(frozen=True)
class FleetPage:
    title: str
    today: dt.date
    newest: str
    clusters: tuple[ClusterCurrency, ...]
    findings: tuple[Finding, ...] | None
    """None when the page is an inventory only (nothing was judged)."""
    addons: Mapping[str, Mapping[str, AddonCell]]
    """Add-on name -> cluster name -> installed version."""
    not_scanned: tuple[tuple[str, str], ...] = ()
    """(cluster, reason) for every cluster that could not be read."""
    unchecked: tuple[ScanError, ...] = field(default=())
    support: FleetSupport | None = None
    """Managed clusters' support phase and cost per month (None: not computed)."""


def cluster_of(finding: Finding) -> str:
    return finding.location.cluster or finding.location.file


def fleet_page(
    inventories: Iterable[ClusterInventory],
    report: ScanReport | None,
    not_scanned: Iterable[tuple[str, str]],
    newest: MinorVersion,
    today: dt.date,
    target: MinorVersion | None = None,
    title: str = "kubecurrent fleet report",
    support: FleetSupport | None = None,
) -> FleetPage:
    """The page for ``inventories`` judged by ``report`` (None: an inventory-only page)."""
    invs = list(inventories)
    findings = tuple(report.sorted_findings()) if report is not None else None
    return FleetPage(
        title=title,
        today=today,
        newest=str(newest),
        clusters=tuple(
            _currency(i, newest, target or default_target(i, newest), today) for i in invs
        ),
        findings=findings,
        addons=_matrix(invs, findings or ()),
        not_scanned=tuple(not_scanned),
        unchecked=tuple(report.errors) if report is not None else (),
        support=support,
    )


def _currency(
    inv: ClusterInventory, newest: MinorVersion, target: MinorVersion, today: dt.date
) -> ClusterCurrency:
    minor = inv.control_plane.minor_version
    eol = dt.date.fromisoformat(inv.end_of_life) if inv.end_of_life else None
    return ClusterCurrency(
        name=inv.name,
        version=inv.server_version or str(inv.control_plane),
        minor=str(minor),
        target=str(target),
        behind=max(minor.distance(newest), 0) if minor.major == newest.major else 0,
        end_of_life=eol,
        days_left=(eol - today).days if eol else None,
    )


def _matrix(
    invs: list[ClusterInventory], findings: Iterable[Finding]
) -> dict[str, dict[str, AddonCell]]:
    flagged = {
        (f.location.file, f.object.name): f.replacement is None
        for f in findings
        if f.rule == ADDON_RULE
    }
    matrix: dict[str, dict[str, AddonCell]] = {}
    for inv in invs:
        for addon in inv.addons:
            hit = flagged.get((where(inv), addon.name))
            matrix.setdefault(addon.name, {})[inv.name] = AddonCell(
                version=addon.version, unsupported=hit is not None, no_release=bool(hit)
            )
    return dict(sorted(matrix.items()))
