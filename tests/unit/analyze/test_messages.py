"""No internal placeholder reaches a user: every rule's messages, rendered over the whole catalog
at every release it knows, never say "None" (or an empty "removed in")."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest

from kubecurrent.analyze import Context, check_chart, check_document
from kubecurrent.analyze.cluster import check_inventory
from kubecurrent.catalog import Catalog, load_catalog
from kubecurrent.collect.files import ChartInfo, Document
from kubecurrent.model import MinorVersion
from kubecurrent.model.findings import Finding
from kubecurrent.model.inventory import (
    ApiEvidence,
    ClusterInventory,
    CustomResourceDefinition,
    DrainBlocker,
    InstalledAddon,
    NodePool,
    RbacRole,
)

PLACEHOLDER = re.compile(r"\bNone\b|\bnull\b|removed in \)|removed in ,|older than ;|\(\)")
SOURCES = ("managed-fields", "last-applied", "helm-release", "metrics", "audit-log")
DRAIN_REASONS = ("pdb-zero-disruptions", "single-replica", "no-pdb")


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def _targets(catalog: Catalog) -> list[MinorVersion]:
    return sorted(r.version for r in catalog.releases)


def _doc(data: dict[str, Any]) -> Document:
    return Document(data=data, file="m.yaml", line=1)


def _documents(ctx: Context) -> Iterator[Document]:
    """An object of every apiVersion/kind the table knows, a role granting every resource it
    knows, webhooks with every kind of AdmissionReview list, and a PodSecurityPolicy."""
    meta = {"name": "n", "namespace": "ns"}
    for rule in ctx.table.by_kind.values():
        yield _doc({"apiVersion": rule.api_version, "kind": rule.kind, "metadata": meta})
    for group, resource in ctx.table.by_resource:
        rule = {"apiGroups": [group], "resources": [resource], "verbs": ["*"]}
        yield _doc(
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "ClusterRole",
                "metadata": {"name": "r"},
                "rules": [rule],
            }
        )
    for versions in ([], ["v1beta1"], ["v1"], ["v2"], None):
        hook: dict[str, Any] = {"name": "h.example.com"}
        if versions is not None:
            hook["admissionReviewVersions"] = versions
        for api in ("admissionregistration.k8s.io/v1", "admissionregistration.k8s.io/v1beta1"):
            yield _doc(
                {
                    "apiVersion": api,
                    "kind": "ValidatingWebhookConfiguration",
                    "metadata": {"name": "w"},
                    "webhooks": [hook],
                }
            )
    yield _doc({"apiVersion": "policy/v1beta1", "kind": "PodSecurityPolicy", "metadata": meta})


def _texts(f: Finding) -> list[str]:
    where = f.location.rendered_from or ""
    return [f.message, f.remediation, f.replacement or "", f.fix_by or "", f.object.label, where]


def _assert_clean(findings: list[Finding], where: str) -> None:
    for f in findings:
        for text in _texts(f):
            assert not PLACEHOLDER.search(text), f"{where}: {f.rule}: {text!r}"


def test_file_rules_never_print_a_placeholder(catalog: Catalog) -> None:
    seen: set[str] = set()
    for target in _targets(catalog):
        ctx = Context.build(catalog, target)
        for doc in _documents(ctx):
            found = check_document(doc, ctx)
            _assert_clean(found, f"{doc.api_version} {doc.kind} at {target}")
            seen.update(f.rule for f in found)
        for constraint in (">=1.99.0-0", "<1.20.0"):
            chart = ChartInfo(path="c", name="c", version="1.0.0", kube_version=constraint)
            hit = check_chart(chart, ctx)
            if isinstance(hit, Finding):
                _assert_clean([hit], f"chart {constraint} at {target}")
                seen.add(hit.rule)
    assert {
        "KC-API-REMOVED",
        "KC-API-DEPRECATED",
        "KC-RBAC-REMOVED-API",
        "KC-PSP",
        "KC-WEBHOOK-ADMISSIONREVIEW",
        "KC-CHART-KUBEVERSION",
    } <= seen


def _evidence(ctx: Context) -> tuple[ApiEvidence, ...]:
    """Every API the table knows, seen by every source; and evidence whose who is unknown."""
    known = [
        ApiEvidence(
            api_version=rule.api_version,
            kind=rule.kind,
            source=source,
            manager="m",
            release="r",
            examples=("ns/a",),
        )
        for rule in ctx.table.by_kind.values()
        for source in SOURCES
    ]
    anonymous = [
        ApiEvidence(api_version=api, kind=kind, source=source)
        for api, kind in (("example.com/v1alpha1", "X"), ("extensions/v1beta1", "Ingress"))
        for source in SOURCES
    ]
    return (*known, *anonymous)


def _inventory(catalog: Catalog, control_plane: str) -> ClusterInventory:
    ctx = Context.build(catalog, MinorVersion.parse(control_plane))
    return ClusterInventory(
        name="dev",
        control_plane=control_plane,
        node_pools=(
            NodePool(name="old", kubelet="1.19.1", nodes=2, kube_proxy_versions=("v1.19.1",)),
        ),
        addons=tuple(
            InstalledAddon(name=a.name, version=str(r.version))
            for a in catalog.addons
            for r in a.releases[:1]
        ),
        crds=(
            CustomResourceDefinition(
                name="xs.example.com",
                group="example.com",
                kind="X",
                stored_versions=("v1alpha1",),
                served_versions=("v1",),
                deprecated_versions=("v1alpha1",),
            ),
        ),
        api_evidence=_evidence(ctx),
        cves=tuple(c.id for c in catalog.cves),
        drain_blockers=tuple(
            DrainBlocker(kind="Deployment", namespace="ns", name=reason, reason=reason)
            for reason in DRAIN_REASONS
        ),
        drain_blockers_total=5,
        rbac_roles=tuple(
            RbacRole(
                kind="ClusterRole",
                name=f"r{i}",
                rules=({"apiGroups": [g], "resources": [r], "verbs": ["get"]},),
            )
            for i, (g, r) in enumerate(ctx.table.by_resource)
        ),
    )


def test_cluster_rules_never_print_a_placeholder(catalog: Catalog) -> None:
    seen: set[str] = set()
    for control_plane in ("1.19.1", "1.25.3", "1.31.4"):
        inv = _inventory(catalog, control_plane)
        for target in _targets(catalog):
            found = check_inventory(inv, catalog, target, dt.date(2031, 1, 1))
            _assert_clean(found, f"cluster at {control_plane}, target {target}")
            seen.update(f.rule for f in found)
    assert {
        "KC-CVE",
        "KC-DRAIN-BLOCKER",
        "KC-SKEW",
        "KC-EOL",
        "KC-ADDON-UNSUPPORTED",
        "KC-CRD-STORED-VERSION",
        "KC-CRD-VERSION-DEPRECATED",
        "KC-RBAC-REMOVED-API",
        "KC-API-REMOVED",
    } <= seen
