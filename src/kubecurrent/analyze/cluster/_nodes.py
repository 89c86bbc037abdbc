"""The cluster's own versions at the target: node skew, end of life, CVEs."""

from __future__ import annotations

import datetime as dt

from kubecurrent.analyze.cluster._base import cluster_finding
from kubecurrent.catalog import Catalog
from kubecurrent.model import KubeVersion, MinorVersion
from kubecurrent.model.findings import Category, Finding, Severity, Status
from kubecurrent.model.inventory import ClusterInventory, NodePool


def check_skew(inv: ClusterInventory, catalog: Catalog, target: MinorVersion) -> list[Finding]:
    out: list[Finding] = []
    for pool in inv.node_pools:
        versions = [("kubelet", pool.kubelet)] + [
            ("kube-proxy", v) for v in _parsed(pool.kube_proxy_versions)
        ]
        for component, version in versions:
            hit = _skew(inv, catalog, target, pool, component, version)
            if hit is not None:
                out.append(hit)
    return out


def _parsed(texts: tuple[str, ...]) -> list[KubeVersion]:
    out = []
    for t in texts:
        try:
            out.append(KubeVersion.parse(t))
        except Exception:  # noqa: S112 - a vendor string that is no version is no skew
            continue
    return out


def _skew(
    inv: ClusterInventory,
    catalog: Catalog,
    target: MinorVersion,
    pool: NodePool,
    component: str,
    version: KubeVersion,
) -> Finding | None:
    rules = catalog.skew_rules(component, target)
    if not rules:
        return None
    max_older = min(r.max_older for r in rules)
    behind = version.minor_version.distance(target) if version.minor_version < target else 0
    if behind <= max_older:
        return None
    lowest = target.offset(-max_older)
    return cluster_finding(
        inv,
        "KC-SKEW",
        Status.REMOVED,
        f"{component} {version} in node pool {pool.name} ({pool.nodes} nodes) is {behind} minors "
        f"behind {target}; the skew policy allows {max_older}",
        category=Category.NODE_SKEW,
        kind="NodePool",
        name=pool.name,
        fix_by=str(target),
        replacement=f"{lowest}",
        remediation=f"roll node pool {pool.name} to {component} {lowest} or newer before the "
        f"control plane reaches {target}",
    )


def check_eol(inv: ClusterInventory, catalog: Catalog, today: dt.date) -> list[Finding]:
    release = catalog.release(inv.control_plane.minor_version)
    if release is None or today < release.end_of_standard_support:
        return []
    passed = today >= release.end_of_life
    state = "reached end of life" if passed else "is in maintenance (critical fixes only)"
    return [
        cluster_finding(
            inv,
            "KC-EOL",
            Status.DEPRECATED,
            f"Kubernetes {release.version} {state} on "
            f"{release.end_of_life if passed else release.end_of_standard_support}",
            category=Category.END_OF_LIFE,
            severity=Severity.ERROR if passed else Severity.WARNING,
            remediation="upgrade to a supported minor: "
            + ", ".join(str(r.version) for r in catalog.supported_releases(today)),
        )
    ]


def check_cves(inv: ClusterInventory, catalog: Catalog) -> list[Finding]:
    out = []
    for cve in (c for c in catalog.cves if c.id in inv.cves):
        fixed = cve.fixed_versions()
        out.append(
            cluster_finding(
                inv,
                "KC-CVE",
                Status.DEPRECATED,
                f"{cve.id} ({cve.severity}) in {cve.component}: {cve.summary}",
                category=Category.VULNERABILITY,
                severity=Severity.ERROR
                if cve.severity in ("high", "critical")
                else Severity.WARNING,
                name=cve.id,
                kind="Vulnerability",
                remediation=f"upgrade to {', '.join(fixed)}"
                if fixed
                else (cve.mitigation or "see the advisory"),
            )
        )
    return out
