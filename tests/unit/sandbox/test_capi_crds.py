"""Cluster API's CRDs: what installing them changes, and the pin (no cluster, no network)."""

from __future__ import annotations

from kubecurrent.sandbox._capi import prepare_crd
from kubecurrent.sandbox._components import CLUSTER_API


def test_installing_drops_the_conversion_webhook_and_serves_only_the_storage_version() -> None:
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "clusters.cluster.x-k8s.io"},
        "spec": {
            "conversion": {"strategy": "Webhook", "webhook": {"clientConfig": {}}},
            "versions": [
                {"name": "v1beta1", "served": True, "storage": False},
                {"name": "v1beta2", "served": True, "storage": True},
            ],
        },
    }
    ready = prepare_crd(crd)
    assert ready["spec"]["conversion"] == {"strategy": "None"}
    assert [(v["name"], v["served"]) for v in ready["spec"]["versions"]] == [
        ("v1beta1", False),
        ("v1beta2", True),
    ]
    assert crd["spec"]["conversion"]["strategy"] == "Webhook"  # the input is left alone


def test_the_pinned_release_names_its_source_and_the_kinds_the_provider_uses() -> None:
    assert CLUSTER_API.source.endswith(f"/{CLUSTER_API.module}/@v/{CLUSTER_API.version}.zip")
    names = {f.rsplit("/", 1)[1] for f in CLUSTER_API.files}
    assert {
        "cluster.x-k8s.io_clusters.yaml",
        "cluster.x-k8s.io_machinedeployments.yaml",
        "cluster.x-k8s.io_machinepools.yaml",
        "controlplane.cluster.x-k8s.io_kubeadmcontrolplanes.yaml",
    } <= names
