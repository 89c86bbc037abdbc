"""CRD stored versions, drain blockers and live RBAC roles."""

from __future__ import annotations

from kubecurrent.analyze._context import Context
from kubecurrent.analyze._rbac import check_rbac
from kubecurrent.analyze.cluster._base import cluster_finding, document, in_cluster
from kubecurrent.model.findings import Category, EvidenceSource, Finding, Severity, Status
from kubecurrent.model.inventory import ClusterInventory

_DRAIN_TEXT = {
    "pdb-zero-disruptions": "allows 0 disruptions: a drain of its nodes stalls",
    "single-replica": "has a single replica: it is down while its node drains",
    "no-pdb": "has no PodDisruptionBudget: a drain may evict all replicas at once",
}
_DRAIN_FIX = {
    "pdb-zero-disruptions": "scale up or relax minAvailable/maxUnavailable before node rolls",
    "single-replica": "run at least 2 replicas (with a PodDisruptionBudget) before node rolls",
    "no-pdb": "add a PodDisruptionBudget (e.g. maxUnavailable: 1)",
}


def check_stored_versions(inv: ClusterInventory) -> list[Finding]:
    out = []
    for crd in inv.crds:
        blocked = [
            v
            for v in crd.stored_versions
            if v in crd.deprecated_versions or v not in crd.served_versions
        ]
        for version in blocked:
            out.append(
                cluster_finding(
                    inv,
                    "KC-CRD-STORED-VERSION",
                    Status.DEPRECATED,
                    f"CRD {crd.name} lists {version} in status.storedVersions: that version cannot "
                    "be removed from the CRD until every object is rewritten in another version",
                    category=Category.CRD_VERSION,
                    kind="CustomResourceDefinition",
                    name=crd.name,
                    api_version="apiextensions.k8s.io/v1",
                    remediation="rewrite the objects (a no-op update each, or the storage version "
                    f"migrator), then drop {version} from status.storedVersions",
                )
            )
    return out


def check_drain(inv: ClusterInventory) -> list[Finding]:
    out = [
        cluster_finding(
            inv,
            "KC-DRAIN-BLOCKER",
            Status.DEPRECATED,
            f"{b.kind} {b.namespace}/{b.name} {_DRAIN_TEXT.get(b.reason, b.reason)}"
            + (f" ({b.detail})" if b.detail else ""),
            category=Category.DRAIN_BLOCKER,
            kind=b.kind,
            name=b.name,
            namespace=b.namespace,
            api_version="policy/v1" if b.kind == "PodDisruptionBudget" else "apps/v1",
            severity=Severity.WARNING if b.reason == "pdb-zero-disruptions" else Severity.INFO,
            remediation=_DRAIN_FIX.get(b.reason, ""),
        )
        for b in inv.drain_blockers
    ]
    hidden = inv.drain_blockers_total - len(inv.drain_blockers)
    if hidden > 0:
        out.append(
            cluster_finding(
                inv,
                "KC-DRAIN-BLOCKER",
                Status.DEPRECATED,
                f"{hidden} more drain blockers not listed (inventory keeps the first "
                f"{len(inv.drain_blockers)})",
                category=Category.DRAIN_BLOCKER,
                severity=Severity.INFO,
            )
        )
    return out


def check_roles(inv: ClusterInventory, ctx: Context) -> list[Finding]:
    out: list[Finding] = []
    for role in inv.rbac_roles:
        meta = {"name": role.name, "namespace": role.namespace}
        data = {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": role.kind,
            "metadata": meta,
            "rules": [dict(r) for r in role.rules],
        }
        out += [
            in_cluster(inv, f)
            for f in check_rbac(document(inv, data, EvidenceSource.LIVE_OBJECT), ctx)
        ]
    return out
