"""The managed clouds as the model names them: ``Provider`` and the union of what each cloud
knows about a cluster (``ClusterInventory.managed``), discriminated by ``provider``.

Each cloud's model lives in its own module (``managed`` for EKS, ``gke``, ``aks``); adding a
cloud adds its model to ``ManagedCluster``. See docs/clouds.md.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeAlias

from pydantic import Discriminator, Tag

from kubecurrent.model.aks import AksCluster
from kubecurrent.model.gke import GkeCluster
from kubecurrent.model.managed import EksCluster

__all__ = ["PROVIDERS", "ManagedCluster", "Provider"]

Provider: TypeAlias = Literal["eks", "gke", "aks"]
"""A managed cloud: Amazon EKS, Google GKE or Azure AKS."""
PROVIDERS: tuple[Provider, ...] = ("eks", "gke", "aks")


def _provider(value: Any) -> str:
    """The ``provider`` of a managed model or its JSON; ``eks`` when absent (inventories
    written before GKE and AKS joined had only EKS)."""
    if isinstance(value, dict):
        return str(value.get("provider") or "eks")
    return str(getattr(value, "provider", "eks"))


ManagedCluster: TypeAlias = Annotated[
    Annotated[EksCluster, Tag("eks")]
    | Annotated[GkeCluster, Tag("gke")]
    | Annotated[AksCluster, Tag("aks")],
    Discriminator(_provider),
]
"""What a managed cloud knows about a cluster, chosen by its ``provider``."""
