"""What each page shows, computed from the snapshot and the catalog (pure, no I/O).

The page models reuse the HTML report's pieces (``fleet_page`` for currency and the add-on
matrix, ``bar_chart`` for the version spread) and the planner's words (``phases``). They hold
display facts only; nothing from a Secret reaches them (inventories keep Helm release metadata,
never values or manifests' data).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from kubecurrent.analyze.cluster import ProviderSupport, fleet_support
from kubecurrent.analyze.report import (
    AddonCell,
    ClusterCurrency,
    FleetPage,
    ScanReport,
    bar_chart,
    fleet_page,
)
from kubecurrent.catalog import Catalog, Cve
from kubecurrent.model.findings import Finding, Severity
from kubecurrent.model.plan import ClusterPlan, Step
from kubecurrent.plan import PlanPolicy, phases, plan_fleet, render_markdown, resolve_target
from kubecurrent.web._fleet import ClusterState, FleetSnapshot

SEVERITIES = (Severity.ERROR, Severity.WARNING, Severity.INFO)
EOL_SOON_DAYS = 90
DEFAULT_PLAN_TARGET = "latest-supported"
"""The same default as ``kubecurrent plan --target``."""


@dataclass(frozen=True)
class FleetRow:
    name: str
    provider: str
    """The managed cloud (``eks``, ``gke``, ``aks``) or ``-`` for a kubeconfig cluster."""
    labels: Mapping[str, str]
    currency: ClusterCurrency | None
    severities: Mapping[str, int]
    addons: int
    addons_behind: int
    error: str | None


@dataclass(frozen=True)
class FleetView:
    rows: tuple[FleetRow, ...]
    label_choices: Mapping[str, tuple[str, ...]]
    filters: Mapping[str, str]
    spread_chart: str
    """Inline SVG (escaped by ``bar_chart``)."""
    newest: str
    total: int
    support: tuple[ProviderSupport, ...] = ()
    """The shown clusters' managed support summed per provider (as ``scan cluster`` sums it)."""
    support_unknown: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Per provider, the managed clusters whose minor the provider's calendar does not list."""


def _page(states: Sequence[ClusterState], catalog: Catalog, today: dt.date) -> FleetPage:
    report = ScanReport(target="next minor of each cluster")
    report.findings = [f for s in states for f in s.findings]
    invs = [s.inventory for s in states if s.inventory is not None]
    failed = [(s.name, s.error or "") for s in states if s.inventory is None]
    return fleet_page(invs, report, failed, catalog.newest_release().version, today)


def label_choices(snapshot: FleetSnapshot) -> dict[str, tuple[str, ...]]:
    keys: dict[str, set[str]] = {}
    for c in snapshot.clusters:
        for k, v in c.labels.items():
            keys.setdefault(k, set()).add(v)
    return {k: tuple(sorted(v)) for k, v in sorted(keys.items())}


def fleet_view(
    snapshot: FleetSnapshot, catalog: Catalog, today: dt.date, filters: Mapping[str, str]
) -> FleetView:
    """Every cluster matching ``filters`` (label key -> value), with the fleet's charts."""
    choices = label_choices(snapshot)
    active = {k: v for k, v in filters.items() if k in choices and v}
    chosen = [c for c in snapshot.clusters if all(c.labels.get(k) == v for k, v in active.items())]
    page = _page(chosen, catalog, today)
    currency = {c.name: c for c in page.clusters}
    rows = tuple(_row(s, currency.get(s.name), page) for s in chosen)
    spread = Counter(c.minor for c in page.clusters)
    minors = sorted(spread, key=lambda m: tuple(int(p) for p in m.split(".")))
    chart = bar_chart("Clusters per Kubernetes minor", [(m, spread[m], "minor") for m in minors])
    invs = [c.inventory for c in chosen if c.inventory is not None]
    support = fleet_support(invs, catalog, today)
    costed = {c.cluster for c in support.clusters}
    unknown: dict[str, list[str]] = {}
    for inv in invs:
        if inv.managed is not None and inv.name not in costed:
            unknown.setdefault(inv.managed.provider, []).append(inv.name)
    return FleetView(
        rows,
        choices,
        active,
        chart,
        page.newest,
        len(snapshot.clusters),
        support.by_provider(),
        {p: tuple(names) for p, names in sorted(unknown.items())},
    )


def _row(state: ClusterState, currency: ClusterCurrency | None, page: FleetPage) -> FleetRow:
    per = Counter(f.severity.value for f in state.findings)
    cells = [m[state.name] for m in page.addons.values() if state.name in m]
    managed = state.inventory.managed if state.inventory is not None else None
    return FleetRow(
        name=state.name,
        provider=managed.provider if managed is not None else state.labels.get("provider", "-"),
        labels=state.labels,
        currency=currency,
        severities={s.value: per[s.value] for s in SEVERITIES},
        addons=len(cells),
        addons_behind=sum(1 for c in cells if c.unsupported),
        error=state.error,
    )


def usd(value: Decimal) -> str:
    """An amount of US dollars as the pages show it (``1,234.50``)."""
    return f"{value:,.2f}"


def eol_text(c: ClusterCurrency) -> str:
    if c.end_of_life is None or c.days_left is None:
        return "unknown"
    if c.days_left < 0:
        return f"passed {-c.days_left} days ago ({c.end_of_life.isoformat()})"
    return f"in {c.days_left} days ({c.end_of_life.isoformat()})"


def eol_class(c: ClusterCurrency) -> str:
    if c.days_left is None:
        return ""
    if c.days_left < 0:
        return "bad"
    return "warn" if c.days_left <= EOL_SOON_DAYS else ""


@dataclass(frozen=True)
class AddonRow:
    name: str
    version: str
    detected_by: tuple[str, ...]
    namespaces: tuple[str, ...]
    cell: AddonCell | None


@dataclass(frozen=True)
class ClusterView:
    state: ClusterState
    currency: ClusterCurrency | None
    findings: tuple[Finding, ...]
    addons: tuple[AddonRow, ...]
    cves: tuple[tuple[str, Cve | None], ...]


def cluster_view(state: ClusterState, catalog: Catalog, today: dt.date) -> ClusterView:
    page = _page([state], catalog, today)
    inv = state.inventory
    findings = tuple(
        sorted(state.findings, key=lambda f: (SEVERITIES.index(f.severity), f.rule, f.message))
    )
    addons = tuple(
        AddonRow(
            a.name, a.version, a.detected_by, a.namespaces, page.addons[a.name].get(state.name)
        )
        for a in (inv.addons if inv else ())
    )
    known = {c.id: c for c in catalog.cves}
    cves = tuple((cid, known.get(cid)) for cid in (inv.cves if inv else ()))
    currency = page.clusters[0] if page.clusters else None
    return ClusterView(state, currency, findings, addons, cves)


@dataclass(frozen=True)
class PlanView:
    plan: ClusterPlan
    phases: tuple[tuple[str, tuple[Step, ...]], ...]
    target_text: str
    targets: tuple[str, ...]
    markdown: str


def plan_targets(state: ClusterState, catalog: Catalog) -> tuple[str, ...]:
    """What the target selector offers: the keywords, then every minor not below the cluster."""
    inv = state.inventory
    minors = sorted(
        (
            r.version
            for r in catalog.releases
            if inv is None or r.version >= inv.control_plane.minor_version
        ),
        reverse=True,
    )
    return (DEFAULT_PLAN_TARGET, "latest", *(str(m) for m in minors))


def plan_view(state: ClusterState, catalog: Catalog, target_text: str, today: dt.date) -> PlanView:
    """The plan of one cluster, as ``kubecurrent plan`` makes it (default policy); raises
    UsageError for a target the catalog does not know."""
    assert state.inventory is not None
    target = resolve_target(catalog, target_text, today)
    fleet = plan_fleet([state.inventory], catalog, target, PlanPolicy())
    plan = fleet.clusters[0]
    grouped = tuple((h, tuple(s)) for h, s in phases(plan))
    return PlanView(
        plan, grouped, target_text, plan_targets(state, catalog), render_markdown(fleet)
    )
