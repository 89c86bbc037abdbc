"""Shared pieces of the cluster rules: where a finding points and how it is built."""

from __future__ import annotations

from typing import Any

from kubecurrent.collect.files import Document
from kubecurrent.model import MinorVersion
from kubecurrent.model.findings import (
    Category,
    EvidenceSource,
    Finding,
    Location,
    ObjectRef,
    Severity,
    Status,
    replace,
)
from kubecurrent.model.inventory import ClusterInventory


def where(inv: ClusterInventory) -> str:
    """The location ``file`` of every finding about ``inv`` (``Location.cluster`` names it)."""
    return f"cluster/{inv.name}"


def in_cluster(inv: ClusterInventory, finding: Finding) -> Finding:
    """``finding`` (made by a file-scan rule from a live object) placed in ``inv``."""
    return replace(finding, location=replace(finding.location, cluster=inv.name))


def document(
    inv: ClusterInventory, data: dict[str, Any], source: EvidenceSource, detail: str | None = None
) -> Document:
    """A live object as a Document, so the file-scan rules apply to it unchanged."""
    return Document(data=data, file=where(inv), line=1, source=source, rendered_from=detail)


def cluster_finding(
    inv: ClusterInventory,
    rule: str,
    status: Status,
    message: str,
    *,
    category: Category,
    kind: str = "Cluster",
    name: str | None = None,
    namespace: str = "",
    api_version: str = "",
    severity: Severity | None = None,
    detail: str | None = None,
    **extra: Any,
) -> Finding:
    return Finding(
        rule=rule,
        severity=severity or (Severity.ERROR if status is Status.REMOVED else Severity.WARNING),
        status=status,
        object=ObjectRef(
            api_version=api_version,
            kind=kind,
            name=inv.name if name is None else name,
            namespace=namespace,
        ),
        location=Location(file=where(inv), line=1, rendered_from=detail, cluster=inv.name),
        source=EvidenceSource.CLUSTER,
        message=message,
        category=category,
        **extra,
    )


def default_target(inv: ClusterInventory, newest: MinorVersion) -> MinorVersion:
    """One minor above the control plane, but never beyond the newest release known."""
    following = inv.control_plane.minor_version.offset(1)
    return min(following, newest, key=lambda v: (v.major, v.minor))
