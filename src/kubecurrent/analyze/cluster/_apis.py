"""API usage evidence -> findings, through the file-scan rules, with who and where attached."""

from __future__ import annotations

from kubecurrent.analyze._context import Context
from kubecurrent.analyze._rules import check_document
from kubecurrent.analyze.cluster._base import cluster_finding, document, in_cluster
from kubecurrent.collect.files import Document
from kubecurrent.model.findings import Category, EvidenceSource, Finding, Status, replace
from kubecurrent.model.inventory import ApiEvidence, ClusterInventory

STALE_NOTE = (
    "last-applied-configuration is written only by kubectl apply (client-side) and is not "
    "updated by Helm, server-side apply, operators or kubectl edit/patch: it may be stale"
)


def check_evidence(inv: ClusterInventory, ctx: Context) -> list[Finding]:
    deprecated_crd = {
        (f"{c.group}/{v}", c.kind): c for c in inv.crds for v in c.deprecated_versions
    }
    out: list[Finding] = []
    for e in inv.api_evidence:
        crd = deprecated_crd.get((e.api_version, e.kind))
        if crd is not None:
            out.append(_crd_version(inv, e, crd.name))
            continue
        out += [
            in_cluster(inv, _attribute(f, e)) for f in check_document(_as_document(inv, e), ctx)
        ]
    return out


def attribution(e: ApiEvidence) -> str:
    """Who used the API and where that was seen, in words."""
    objects = f"{e.count} object{'s' if e.count != 1 else ''}"
    if e.examples:
        objects += f" ({', '.join(e.examples)}{', …' if e.count > len(e.examples) else ''})"
    match EvidenceSource(e.source):
        case EvidenceSource.MANAGED_FIELDS:
            op = f", {e.operation}" if e.operation else ""
            when = f", last at {e.last_seen}" if e.last_seen else ""
            who = f"field manager {e.manager!r}" if e.manager else "an unnamed field manager"
            return f"written by {who}{op}{when}: {objects} (managedFields)"
        case EvidenceSource.LAST_APPLIED:
            return f"last applied as this apiVersion: {objects}; {STALE_NOTE}"
        case EvidenceSource.HELM_RELEASE:
            return f"in the manifest of Helm release {e.release or '(unnamed)'}: {objects}"
        case EvidenceSource.METRICS:
            return "requested since the API server started (apiserver_requested_deprecated_apis)"
        case EvidenceSource.AUDIT_LOG:
            last = f", last seen {e.last_seen}" if e.last_seen else ""
            agent = f"user agent {e.manager!r}" if e.manager else "an unrecorded user agent"
            return f"requested {e.count} times by {agent}{last} (audit log)"
        case _:
            return objects


def _detail(e: ApiEvidence) -> str:
    if e.source == EvidenceSource.MANAGED_FIELDS and e.manager:
        return f"managedFields manager {e.manager}"
    if e.source == EvidenceSource.HELM_RELEASE and e.release:
        return f"helm release {e.release}"
    if e.source == EvidenceSource.AUDIT_LOG and e.manager:
        return f"audit log user agent {e.manager}"
    return e.source


def _as_document(inv: ClusterInventory, e: ApiEvidence) -> Document:
    name, _, ns = "", "", ""
    if e.examples:
        first = e.examples[0]
        ns, _, name = first.rpartition("/")
    data = {
        "apiVersion": e.api_version,
        "kind": e.kind,
        "metadata": {"name": name, "namespace": ns},
    }
    return document(inv, data, EvidenceSource(e.source), _detail(e))


def _attribute(f: Finding, e: ApiEvidence) -> Finding:
    return replace(f, message=f"{f.message}; {attribution(e)}")


def _crd_version(inv: ClusterInventory, e: ApiEvidence, crd: str) -> Finding:
    f = cluster_finding(
        inv,
        "KC-CRD-VERSION-DEPRECATED",
        Status.DEPRECATED,
        f"{e.api_version} {e.kind} is a deprecated version of CRD {crd}; {attribution(e)}",
        category=Category.CRD_VERSION,
        kind=e.kind,
        api_version=e.api_version,
        name=e.examples[0].rpartition("/")[2] if e.examples else "",
        namespace=e.examples[0].rpartition("/")[0] if e.examples else "",
        detail=_detail(e),
        remediation=f"write {e.kind} objects through a non-deprecated version of {crd}",
    )
    return replace(f, source=EvidenceSource(e.source))
