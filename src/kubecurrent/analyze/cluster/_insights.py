"""EKS's own upgrade-readiness insights, shown as evidence beside kubecurrent's findings.

Each insight EKS reports as ``WARNING`` or ``ERROR`` for a minor on the way to the target (or
for no minor) becomes a ``KC-EKS-INSIGHT`` finding: its severity is EKS's (``ERROR`` → error),
its message EKS's name and description with the deprecated APIs EKS saw in use, its remedy EKS's
recommendation. ``PASSING`` and ``UNKNOWN`` insights, and those about minors past the target,
are left out.
"""

from __future__ import annotations

from kubecurrent.analyze.cluster._base import cluster_finding
from kubecurrent.model import MinorVersion
from kubecurrent.model.findings import Category, Finding, Severity, Status
from kubecurrent.model.inventory import ClusterInventory
from kubecurrent.model.managed import EksCluster

_SEVERITY = {"ERROR": Severity.ERROR, "WARNING": Severity.WARNING}


def check_insights(inv: ClusterInventory, target: MinorVersion) -> list[Finding]:
    """A finding per EKS insight that warns about the way to ``target``."""
    if not isinstance(inv.managed, EksCluster):
        return []
    found = []
    for insight in inv.managed.insights:
        severity = _SEVERITY.get(insight.status.upper())
        minor = (
            MinorVersion.parse(insight.kubernetes_version) if insight.kubernetes_version else None
        )
        if severity is None or (minor is not None and minor > target):
            continue
        apis = (
            f"; deprecated APIs in use: {', '.join(insight.deprecated_apis)}"
            if insight.deprecated_apis
            else ""
        )
        found.append(
            cluster_finding(
                inv,
                "KC-EKS-INSIGHT",
                Status.REMOVED if minor is not None else Status.DEPRECATED,
                f"EKS upgrade insight {insight.status}: {insight.name}"
                + (f": {insight.description}" if insight.description else "")
                + apis,
                category=Category.PROVIDER_INSIGHT,
                kind="UpgradeInsight",
                name=insight.id,
                api_version="eks.amazonaws.com",
                severity=severity,
                fix_by=str(minor) if minor else None,
                remediation=insight.recommendation or "see the insight in the EKS console",
            )
        )
    return found
