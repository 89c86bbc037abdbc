"""The custom resources kubecurrent keeps in a management cluster, and their definitions.

``crds/*.yaml`` are the CustomResourceDefinitions (group ``kubecurrent.io``, version
``v1alpha1``), shipped in the package and copied verbatim into the Helm chart. The lightkube
resource classes below address them for the store and the controller.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml
from lightkube.generic_resource import create_namespaced_resource

__all__ = [
    "CRD_FILES",
    "GROUP",
    "VERSION",
    "ClusterUpgrade",
    "CrdDoc",
    "FleetUpgrade",
    "MemberCluster",
    "crd_documents",
]

GROUP = "kubecurrent.io"
VERSION = "v1alpha1"
CRD_FILES = ("memberclusters.yaml", "fleetupgrades.yaml", "clusterupgrades.yaml")

MemberCluster = create_namespaced_resource(GROUP, VERSION, "MemberCluster", "memberclusters")
FleetUpgrade = create_namespaced_resource(GROUP, VERSION, "FleetUpgrade", "fleetupgrades")
ClusterUpgrade = create_namespaced_resource(GROUP, VERSION, "ClusterUpgrade", "clusterupgrades")


@dataclass(frozen=True)
class CrdDoc:
    """One CustomResourceDefinition as shipped: its file name, text and parsed document."""

    file: str
    text: str
    body: dict[str, Any]

    @property
    def kind(self) -> str:
        return str(self.body["spec"]["names"]["kind"])

    def schema(self) -> dict[str, Any]:
        """The OpenAPI v3 schema of the served version."""
        (version,) = self.body["spec"]["versions"]
        schema: dict[str, Any] = version["schema"]["openAPIV3Schema"]
        return schema


def crd_documents() -> tuple[CrdDoc, ...]:
    """Every CRD kubecurrent ships, in the order they are installed."""
    folder = resources.files("kubecurrent.kubestate") / "crds"
    docs = []
    for name in CRD_FILES:
        text = (folder / name).read_text(encoding="utf-8")
        docs.append(CrdDoc(name, text, yaml.safe_load(text)))
    return tuple(docs)
