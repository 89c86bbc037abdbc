"""Pure rules over a cluster inventory: (inventory, catalog, target) -> findings. No I/O."""

from __future__ import annotations

import datetime as dt

from kubecurrent.analyze._context import Context
from kubecurrent.analyze.cluster._addons import check_addons
from kubecurrent.analyze.cluster._apis import attribution, check_evidence
from kubecurrent.analyze.cluster._base import default_target, where
from kubecurrent.analyze.cluster._nodes import check_cves, check_eol, check_skew
from kubecurrent.analyze.cluster._objects import check_drain, check_roles, check_stored_versions
from kubecurrent.catalog import Catalog
from kubecurrent.model import MinorVersion
from kubecurrent.model.findings import Finding, ScanError
from kubecurrent.model.inventory import ClusterInventory

__all__ = ["attribution", "check_inventory", "default_target", "limitations", "where"]


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
        *check_cves(inv, catalog),
        *check_drain(inv),
    ]


def limitations(inv: ClusterInventory) -> list[ScanError]:
    """What the collector could not check, as scan errors naming the cluster."""
    return [ScanError(file=where(inv), message=lim.reason) for lim in inv.limitations]
