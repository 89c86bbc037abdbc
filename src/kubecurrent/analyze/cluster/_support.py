"""A managed cluster's support phase on ``today`` and what it costs: findings and a fleet sum.

For a cluster whose inventory carries what its provider knows (``managed``: EKS, GKE, AKS), the
catalog's calendar for that provider says where its minor stands::

    standard   KC-PROVIDER-STANDARD-SUPPORT  when it leaves standard support and what it costs
               from then (or, with the upgrade policy STANDARD, that the provider upgrades it)
    extended   KC-PROVIDER-EXTENDED-SUPPORT  since when it pays the extended price, how much,
               and when the provider will upgrade it (upgrade policy EXTENDED); with the
               policy STANDARD, KC-PROVIDER-FORCED-UPGRADE: no extended price, the provider
               upgrades it at any time
    ended      KC-PROVIDER-FORCED-UPGRADE    the provider upgrades the control plane at any time

Severity grows as the date comes closer: ``info`` more than 90 days ahead, ``warning`` within
90 days or while paying extended support, ``error`` within 30 days of a forced upgrade or after
it. Costs are the control plane's price per cluster-month from the catalog (control plane only).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from kubecurrent.analyze.cluster._base import cluster_finding
from kubecurrent.catalog import Catalog, ProviderRelease, SupportPhase
from kubecurrent.model import MinorVersion
from kubecurrent.model.findings import Category, Finding, Severity, Status
from kubecurrent.model.inventory import ClusterInventory
from kubecurrent.model.managed import SupportType

SOON_DAYS = 90
IMMINENT_DAYS = 30
_NAMES = {"eks": "EKS", "gke": "GKE", "aks": "AKS"}


@dataclass(frozen=True)
class SupportCost:
    """One managed cluster's support phase on a day and its control-plane price per month."""

    cluster: str
    provider: str
    minor: str
    phase: SupportPhase
    upgrade_policy: SupportType
    end_of_standard_support: dt.date
    end_of_extended_support: dt.date
    usd_per_month: Decimal | None
    """What the control plane costs per month in the current phase (None: price unknown)."""
    extra_usd_per_month: Decimal
    """What it pays per month above the standard price now (in extended support), else 0."""
    exposure_usd_per_month: Decimal
    """The extra per month extended support costs this cluster now or from the end of standard
    support (0 when the upgrade policy makes the provider upgrade it instead)."""

    @property
    def next_date(self) -> dt.date:
        """The next date its phase changes on (the end of extended support once past both)."""
        if self.phase is SupportPhase.STANDARD:
            return self.end_of_standard_support
        return self.end_of_extended_support

    def to_json(self) -> dict[str, Any]:
        return {
            "cluster": self.cluster,
            "provider": self.provider,
            "minor": self.minor,
            "phase": self.phase.value,
            "upgradePolicy": self.upgrade_policy.value,
            "endOfStandardSupport": self.end_of_standard_support.isoformat(),
            "endOfExtendedSupport": self.end_of_extended_support.isoformat(),
            "usdPerMonth": _number(self.usd_per_month),
            "extraUsdPerMonth": _number(self.extra_usd_per_month),
            "exposureUsdPerMonth": _number(self.exposure_usd_per_month),
        }


@dataclass(frozen=True)
class ProviderSupport:
    """One provider's share of the fleet: how many clusters in each phase, the earliest date one
    of them changes phase, and what they cost per month."""

    provider: str
    clusters: int
    standard: int
    extended: int
    ended: int
    next_date: dt.date | None
    """The earliest date one of its clusters leaves its current phase (None: all ended)."""
    usd_per_month: Decimal
    extra_usd_per_month: Decimal
    exposure_usd_per_month: Decimal

    def to_json(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "clusters": self.clusters,
            "standard": self.standard,
            "extended": self.extended,
            "ended": self.ended,
            "nextDate": self.next_date.isoformat() if self.next_date else None,
            "usdPerMonth": _number(self.usd_per_month),
            "extraUsdPerMonth": _number(self.extra_usd_per_month),
            "exposureUsdPerMonth": _number(self.exposure_usd_per_month),
        }


@dataclass(frozen=True)
class FleetSupport:
    """Every managed cluster's support cost and the fleet's totals per month."""

    today: dt.date
    clusters: tuple[SupportCost, ...]

    @property
    def usd_per_month(self) -> Decimal:
        """What the fleet's managed control planes cost per month now (known prices only)."""
        return sum((c.usd_per_month or Decimal(0) for c in self.clusters), Decimal(0))

    @property
    def extra_usd_per_month(self) -> Decimal:
        """What the fleet pays per month for extended support now."""
        return sum((c.extra_usd_per_month for c in self.clusters), Decimal(0))

    @property
    def exposure_usd_per_month(self) -> Decimal:
        """The extended-support extra per month once every cluster that will pay it does."""
        return sum((c.exposure_usd_per_month for c in self.clusters), Decimal(0))

    def by_provider(self) -> tuple[ProviderSupport, ...]:
        """The fleet's support phases, dates and costs summed per provider, by provider name."""
        found = []
        for provider in sorted({c.provider for c in self.clusters}):
            mine = [c for c in self.clusters if c.provider == provider]
            phases = [c.phase for c in mine]
            upcoming = [c.next_date for c in mine if c.phase is not SupportPhase.ENDED]
            found.append(
                ProviderSupport(
                    provider=provider,
                    clusters=len(mine),
                    standard=phases.count(SupportPhase.STANDARD),
                    extended=phases.count(SupportPhase.EXTENDED),
                    ended=phases.count(SupportPhase.ENDED),
                    next_date=min(upcoming) if upcoming else None,
                    usd_per_month=sum((c.usd_per_month or Decimal(0) for c in mine), Decimal(0)),
                    extra_usd_per_month=sum((c.extra_usd_per_month for c in mine), Decimal(0)),
                    exposure_usd_per_month=sum(
                        (c.exposure_usd_per_month for c in mine), Decimal(0)
                    ),
                )
            )
        return tuple(found)

    def to_json(self) -> dict[str, Any]:
        return {
            "today": self.today.isoformat(),
            "clusters": [c.to_json() for c in self.clusters],
            "providers": [p.to_json() for p in self.by_provider()],
            "totals": {
                "usdPerMonth": _number(self.usd_per_month),
                "extraUsdPerMonth": _number(self.extra_usd_per_month),
                "exposureUsdPerMonth": _number(self.exposure_usd_per_month),
            },
        }


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value.quantize(Decimal("0.01")))


def _usd(value: Decimal) -> str:
    return f"{value:,.0f} USD"


def _calendar(inv: ClusterInventory, catalog: Catalog) -> ProviderRelease | None:
    managed = inv.managed
    if managed is None:
        return None
    return catalog.provider_release(managed.provider, MinorVersion.parse(managed.minor))


def support_cost(inv: ClusterInventory, catalog: Catalog, today: dt.date) -> SupportCost | None:
    """The support phase and price of ``inv`` on ``today``; None when not managed or not known."""
    release, managed = _calendar(inv, catalog), inv.managed
    if release is None or managed is None:
        return None
    phase = release.phase(today)
    standard = catalog.provider_price(release.provider, SupportPhase.STANDARD)
    extended = catalog.provider_price(release.provider, SupportPhase.EXTENDED)
    extra = (
        extended.usd_per_cluster_month - standard.usd_per_cluster_month
        if extended is not None and standard is not None
        else Decimal(0)
    )
    keeps_minor = managed.support_type is SupportType.EXTENDED and release.has_extended_support
    billed_extended = phase is SupportPhase.EXTENDED and keeps_minor
    current = extended if billed_extended else standard
    if phase is SupportPhase.ENDED:
        current = None
    will_pay = keeps_minor and phase in (SupportPhase.STANDARD, SupportPhase.EXTENDED)
    return SupportCost(
        cluster=inv.name,
        provider=release.provider,
        minor=str(release.version),
        phase=phase,
        upgrade_policy=managed.support_type,
        end_of_standard_support=release.end_of_standard_support,
        end_of_extended_support=release.end_of_extended_support,
        usd_per_month=current.usd_per_cluster_month if current is not None else None,
        extra_usd_per_month=extra if billed_extended else Decimal(0),
        exposure_usd_per_month=extra if will_pay else Decimal(0),
    )


def fleet_support(
    inventories: Iterable[ClusterInventory], catalog: Catalog, today: dt.date
) -> FleetSupport:
    """Every managed cluster's support cost on ``today`` (unmanaged clusters are left out)."""
    costs = (support_cost(inv, catalog, today) for inv in inventories)
    return FleetSupport(today=today, clusters=tuple(c for c in costs if c is not None))


def check_support(inv: ClusterInventory, catalog: Catalog, today: dt.date) -> list[Finding]:
    """The finding about ``inv``'s support phase, when a provider manages it."""
    cost = support_cost(inv, catalog, today)
    if cost is None or cost.phase is SupportPhase.NOT_YET:
        return []
    name = f"{_NAMES.get(cost.provider, cost.provider)} {cost.minor}"
    days = (cost.next_date - today).days
    upgrade = _upgrade_to(cost, catalog, today)
    if cost.phase is SupportPhase.STANDARD:
        return [_standard(inv, cost, name, days, upgrade)]
    if cost.phase is SupportPhase.EXTENDED and cost.upgrade_policy is SupportType.EXTENDED:
        return [_extended(inv, cost, name, days, upgrade)]
    if cost.phase is SupportPhase.EXTENDED:
        return [_standard_policy_passed(inv, cost, name, upgrade)]
    return [
        cluster_finding(
            inv,
            "KC-PROVIDER-FORCED-UPGRADE",
            Status.DEPRECATED,
            f"{name} reached the end of extended support on {cost.end_of_extended_support}: "
            f"{_NAMES.get(cost.provider, cost.provider)} upgrades the control plane "
            "automatically at any time, without notice",
            category=Category.MANAGED_SUPPORT,
            severity=Severity.ERROR,
            remediation=upgrade,
        )
    ]


def _standard_policy_passed(
    inv: ClusterInventory, cost: SupportCost, name: str, fix: str
) -> Finding:
    provider = _NAMES.get(cost.provider, cost.provider)
    return cluster_finding(
        inv,
        "KC-PROVIDER-FORCED-UPGRADE",
        Status.DEPRECATED,
        f"{name} left standard support on {cost.end_of_standard_support} and the cluster's "
        f"upgrade policy is STANDARD: {provider} upgrades its control plane automatically at "
        "any time",
        category=Category.MANAGED_SUPPORT,
        severity=Severity.ERROR,
        remediation=fix,
    )


def _upgrade_to(cost: SupportCost, catalog: Catalog, today: dt.date) -> str:
    current = MinorVersion.parse(cost.minor)
    standard = [
        r.version
        for r in catalog.provider_releases
        if r.provider == cost.provider
        and r.version > current
        and r.phase(today) is SupportPhase.STANDARD
    ]
    if not standard:
        return "upgrade to a newer minor in standard support"
    return (
        f"upgrade to a newer minor in standard support ({', '.join(map(str, sorted(standard)))}): "
        f"kubecurrent plan --target {max(standard)}"
    )


def _standard(inv: ClusterInventory, cost: SupportCost, name: str, days: int, fix: str) -> Finding:
    severity = Severity.INFO if days > SOON_DAYS else Severity.WARNING
    provider = _NAMES.get(cost.provider, cost.provider)
    if cost.exposure_usd_per_month:
        then = (cost.usd_per_month or Decimal(0)) + cost.exposure_usd_per_month
        tail = (
            f"from then it costs {_usd(then)} per cluster-month (extended support, "
            f"{_usd(cost.exposure_usd_per_month)} more than now) until "
            f"{cost.end_of_extended_support}"
        )
    elif cost.upgrade_policy is SupportType.STANDARD:
        tail = (
            "the cluster's upgrade policy is STANDARD, so "
            f"{provider} upgrades its control plane automatically then"
        )
        severity = Severity.ERROR if days <= IMMINENT_DAYS else severity
    else:
        tail = f"{provider} upgrades it automatically then (no extended support for this minor)"
        severity = Severity.ERROR if days <= IMMINENT_DAYS else severity
    return cluster_finding(
        inv,
        "KC-PROVIDER-STANDARD-SUPPORT",
        Status.DEPRECATED,
        f"{name} leaves standard support on {cost.end_of_standard_support} (in {days} days): "
        + tail,
        category=Category.MANAGED_SUPPORT,
        severity=severity,
        remediation=fix,
    )


def _extended(inv: ClusterInventory, cost: SupportCost, name: str, days: int, fix: str) -> Finding:
    provider = _NAMES.get(cost.provider, cost.provider)
    price = (
        f", costing {_usd(cost.usd_per_month)} per cluster-month "
        f"({_usd(cost.extra_usd_per_month)} more than standard support)"
        if cost.usd_per_month is not None
        else ""
    )
    return cluster_finding(
        inv,
        "KC-PROVIDER-EXTENDED-SUPPORT",
        Status.DEPRECATED,
        f"{name} is in extended support since {cost.end_of_standard_support}{price}; end of "
        f"extended support on {cost.end_of_extended_support} (in {days} days): {provider} "
        "upgrades the control plane automatically then",
        category=Category.MANAGED_SUPPORT,
        severity=Severity.ERROR if days <= IMMINENT_DAYS else Severity.WARNING,
        remediation=fix,
    )
