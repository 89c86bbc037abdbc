"""A CRD version marked deprecated, and a read-only user who may not read Secrets."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import yaml
from lightkube.generic_resource import create_namespaced_resource
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.apiextensions_v1 import CustomResourceDefinition
from lightkube.resources.rbac_authorization_v1 import ClusterRole, ClusterRoleBinding

from kubecurrent import sandbox as sb
from kubecurrent.catalog import Catalog
from kubecurrent.model.findings import EvidenceSource
from tests.integration.cluster.conftest import collect, findings
from tests.integration.conftest import SessionSandbox, wait_for

READER = Path(__file__).parents[3] / "deploy" / "rbac" / "kubecurrent-reader.yaml"


def _crd(group: str) -> dict[str, Any]:
    schema = {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"widgets.{group}"},
        "spec": {
            "group": group,
            "scope": "Namespaced",
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
            "versions": [
                {
                    "name": "v1alpha1",
                    "served": True,
                    "storage": False,
                    "deprecated": True,
                    "schema": schema,
                },
                {"name": "v1", "served": True, "storage": True, "schema": schema},
            ],
        },
    }


def test_objects_written_through_a_deprecated_crd_version(
    cluster: SessionSandbox, catalog: Catalog, namespace: str
) -> None:
    group = f"t{uuid.uuid4().hex[:6]}.example.com"
    client = cluster.client()
    client.create(CustomResourceDefinition.from_dict(_crd(group)))
    wait_for(lambda: _established(cluster, f"widgets.{group}"), "CRD established", timeout=30)
    widget = create_namespaced_resource(group, "v1alpha1", "Widget", "widgets")
    client.create(
        widget(metadata=ObjectMeta(name="w1", namespace=namespace), spec={"size": 1}),  # type: ignore[call-arg]
        field_manager="old-widget-client",
    )

    inv = collect(cluster, catalog)

    crd = next(c for c in inv.crds if c.group == group)
    assert crd.deprecated_versions == ("v1alpha1",) and crd.stored_versions == ("v1",)
    hits = [f for f in findings(inv, catalog, "1.37") if f.rule == "KC-CRD-VERSION-DEPRECATED"]
    hit = next(f for f in hits if f.object.api_version == f"{group}/v1alpha1")
    assert "old-widget-client" in hit.message
    assert hit.source is EvidenceSource.MANAGED_FIELDS
    assert hit.object.name == "w1" and hit.object.namespace == namespace


def _established(box: SessionSandbox, name: str) -> bool:
    crd = box.client().get(CustomResourceDefinition, name)
    return any(
        c.type == "Established" and c.status == "True"
        for c in (crd.status.conditions or [])
        if crd.status
    )


def test_read_only_user_without_secrets_gets_the_rest(
    cluster: SessionSandbox, catalog: Catalog
) -> None:
    role = yaml.safe_load(READER.read_text())
    role["metadata"]["name"] = "kubecurrent-reader-nosecrets"
    role["rules"] = [r for r in role["rules"] if "secrets" not in r.get("resources", [])]
    client = cluster.client()
    client.create(ClusterRole.from_dict(role))
    client.create(
        ClusterRoleBinding.from_dict(
            {
                "metadata": {"name": "auditors-read"},
                "roleRef": {
                    "apiGroup": "rbac.authorization.k8s.io",
                    "kind": "ClusterRole",
                    "name": "kubecurrent-reader-nosecrets",
                },
                "subjects": [
                    {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "auditors"}
                ],
            }
        )
    )
    kubeconfig = sb.mint_user(cluster.name, "auditor", ("auditors",))

    inv = collect(cluster, catalog, kubeconfig=kubeconfig)

    reasons = [lim.reason for lim in inv.limitations]
    assert any(
        r.startswith("could not check Helm releases: needs list on secrets") for r in reasons
    ), reasons
    # CRD groups the shipped role does not name (another test's Widget) are reported too
    assert [r for r in reasons if "Helm" not in r and "of Widget" not in r] == [], reasons
    assert inv.node_pools and inv.node_pools[0].nodes == 3
    assert inv.crds is not None and inv.server_version == "v1.36.3"


def test_a_user_with_no_permissions_gets_limitations_not_a_crash(
    cluster: SessionSandbox, catalog: Catalog
) -> None:
    kubeconfig = sb.mint_user(cluster.name, "nobody", ("nobodies",))

    inv = collect(cluster, catalog, kubeconfig=kubeconfig)

    reasons = " | ".join(lim.reason for lim in inv.limitations)
    assert "could not check node pools: needs list on nodes" in reasons
    assert "could not check drain blockers" in reasons
    for check in ("deployments (add-ons, drain blockers)", "API usage of Deployment"):
        assert f"could not check {check}: needs list on deployments.apps" in reasons, check
    assert inv.node_pools == ()
