"""Cluster inventory -> findings, without a cluster."""

from __future__ import annotations

import datetime as dt

import pytest

from kubecurrent.analyze.cluster import check_inventory, default_target
from kubecurrent.catalog import load_catalog
from kubecurrent.model import MinorVersion
from kubecurrent.model.findings import EvidenceSource, Status
from kubecurrent.model.inventory import (
    ApiEvidence,
    ClusterInventory,
    CustomResourceDefinition,
    InstalledAddon,
    NodePool,
    RbacRole,
)

pytestmark = pytest.mark.unit
TODAY = dt.date(2026, 11, 25)


def _inv(**kw: object) -> ClusterInventory:
    return ClusterInventory.model_validate({"name": "prod", "controlPlane": "1.31.4", **kw})


def _rules(inv: ClusterInventory, target: str) -> dict[str, list[object]]:
    out: dict[str, list[object]] = {}
    for f in check_inventory(inv, load_catalog(), MinorVersion.parse(target), TODAY):
        out.setdefault(f.rule, []).append(f)
    return out


def test_managed_fields_evidence_names_the_manager() -> None:
    inv = _inv(
        apiEvidence=[
            ApiEvidence(
                api_version="flowcontrol.apiserver.k8s.io/v1beta3",
                kind="FlowSchema",
                source="managed-fields",
                manager="legacy-operator",
                operation="Update",
                count=2,
                examples=("fs-a", "fs-b"),
            )
        ]
    )
    (hit,) = _rules(inv, "1.32")["KC-API-REMOVED"]
    assert hit.source is EvidenceSource.MANAGED_FIELDS  # type: ignore[attr-defined]
    assert "'legacy-operator'" in hit.message and "fs-a, fs-b" in hit.message  # type: ignore[attr-defined]


def test_last_applied_states_its_staleness() -> None:
    inv = _inv(
        apiEvidence=[
            ApiEvidence(
                api_version="flowcontrol.apiserver.k8s.io/v1beta3",
                kind="FlowSchema",
                source="last-applied",
            )
        ]
    )
    (hit,) = _rules(inv, "1.32")["KC-API-REMOVED"]
    assert "may be stale" in hit.message  # type: ignore[attr-defined]


def test_addon_without_support_names_the_version_to_move_to() -> None:
    inv = _inv(addons=[InstalledAddon(name="cert-manager", version="1.12.3")])
    (hit,) = _rules(inv, "1.35")["KC-ADDON-UNSUPPORTED"]
    assert hit.status is Status.REMOVED and hit.replacement  # type: ignore[attr-defined]


def test_skew_eol_cves_and_stored_versions() -> None:
    inv = _inv(
        nodePools=[NodePool(name="old", kubelet="1.28.2", nodes=4)],
        crds=[
            CustomResourceDefinition(
                name="w.example.com",
                group="example.com",
                kind="W",
                stored_versions=("v1alpha1", "v1"),
                served_versions=("v1",),
            )
        ],
        cves=("CVE-2025-1767",),
    )
    rules = _rules(inv, "1.32")
    assert "KC-SKEW" in rules and "KC-EOL" in rules and "KC-CVE" in rules
    (stored,) = rules["KC-CRD-STORED-VERSION"]
    assert "v1alpha1" in stored.message  # type: ignore[attr-defined]


def test_live_rbac_roles_reuse_the_file_rule() -> None:
    role = RbacRole(
        kind="ClusterRole",
        name="old-ingress",
        rules=({"apiGroups": ["extensions"], "resources": ["ingresses"], "verbs": ["get"]},),
    )
    rules = _rules(_inv(rbacRoles=[role]), "1.32")
    assert rules["KC-RBAC-REMOVED-API"]


def test_default_target_is_the_next_minor_capped_at_the_newest() -> None:
    newest = MinorVersion.parse("1.37")
    assert str(default_target(_inv(), newest)) == "1.32"
    assert str(default_target(_inv(controlPlane="1.37.1"), newest)) == "1.37"


def test_addon_apis_are_judged_against_the_installed_addon_version() -> None:
    evidence = ApiEvidence(
        api_version="cert-manager.io/v1beta1",
        kind="Certificate",
        source="managed-fields",
        manager="old-ci",
        count=1,
        examples=("web/tls",),
    )
    old = _inv(
        apiEvidence=[evidence], addons=[InstalledAddon(name="cert-manager", version="v1.5.3")]
    )
    (hit,) = _rules(old, "1.32")["KC-API-DEPRECATED"]
    assert "you run cert-manager v1.5.3" in hit.message  # type: ignore[attr-defined]
    unknown = _inv(apiEvidence=[evidence])
    (hit,) = _rules(unknown, "1.32")["KC-API-REMOVED"]
    assert "removed in cert-manager 1.6" in hit.message  # type: ignore[attr-defined]
