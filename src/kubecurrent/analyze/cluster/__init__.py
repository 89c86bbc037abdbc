"""Pure rules over a cluster inventory: (inventory, catalog, target) -> findings. No I/O."""

from __future__ import annotations

import datetime as dt

from kubecurrent.analyze._context import Context
from kubecurrent.analyze.cluster._addons import check_addons
from kubecurrent.analyze.cluster._apis import attribution, check_evidence
from kubecurrent.analyze.cluster._base import default_target, where
from kubecurrent.analyze.cluster._insights import check_insights
from kubecurrent.analyze.cluster._nodes import check_cves, check_eol, check_skew
from kubecurrent.analyze.cluster._objects import check_drain, check_roles, check_stored_versions
from kubecurrent.analyze.cluster._support import (
    FleetSupport,
    ProviderSupport,
    SupportCost,
    check_support,
    fleet_support,
    support_cost,
)
from kubecurrent.catalog import Catalog
from kubecurrent.model import MinorVersion
from kubecurrent.model.findings import Finding, ScanError
from kubecurrent.model.inventory import ClusterInventory

__all__ = [
    "FleetSupport",
    "ProviderSupport",
    "SupportCost",
    "attribution",
    "check_inventory",
    "default_target",
    "fleet_support",
    "limitations",
    "support_cost",
    "where",
]


def check_inventory(
    inv: ClusterInventory, catalog: Catalog, target: MinorVersion, today: dt.date
) -> list[Finding]:
    """Every finding about one cluster, judged against ``target``."""
    ctx = Context.build(catalog, target, {a.name: a.version for a in inv.addons})
    return [
        *check_evidence(inv, ctx),
        *check_roles(inv, ctx),
        *check_addons(inv, catalog, target),
        *check_skew(inv, catalog, target),
        *check_stored_versions(inv),
        *check_eol(inv, catalog, today),
        *check_support(inv, catalog, today),
        *check_insights(inv, target),
        *check_cves(inv, catalog),
        *check_drain(inv),
    ]


def limitations(inv: ClusterInventory) -> list[ScanError]:
    """What the collector could not check, as scan errors naming the cluster."""
    return [ScanError(file=where(inv), message=lim.reason) for lim in inv.limitations]
