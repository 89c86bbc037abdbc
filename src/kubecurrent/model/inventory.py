"""What a cluster is at one moment: versions, node pools, add-ons, API usage and CRDs.

An inventory is a plain, serialisable snapshot. The live collector will fill it from a cluster;
a hand-written fleet spec fills it for planning without access. Field names say what the cluster
has, not what any consumer does with it. JSON uses camelCase keys, like Kubernetes objects.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

from kubecurrent.model.version import KubeVersionField

__all__ = [
    "ApiUse",
    "ClusterInventory",
    "CustomResourceDefinition",
    "InstalledAddon",
    "NodePool",
]

_NAME = r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$"


class _Snapshot(BaseModel):
    model_config = ConfigDict(
        frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=True
    )


class NodePool(_Snapshot):
    """A group of nodes that share a kubelet version and are rolled together."""

    name: str = Field(min_length=1)
    kubelet: KubeVersionField
    nodes: int = Field(ge=0)


class InstalledAddon(_Snapshot):
    """An add-on found in the cluster, by its catalog name, at its installed version."""

    name: str = Field(pattern=_NAME)
    version: str = Field(min_length=1)
    """The add-on's own version (``1.12.3``), as the add-on writes it."""


class ApiUse(_Snapshot):
    """Objects the cluster holds (or clients request) in one ``apiVersion`` and kind."""

    api_version: str = Field(min_length=1)
    kind: str = Field(min_length=1)
    count: int = Field(default=1, ge=1)


class CustomResourceDefinition(_Snapshot):
    """A CRD and the versions its objects are stored in (``status.storedVersions``)."""

    name: str = Field(min_length=1)
    """``<plural>.<group>``, e.g. ``certificates.cert-manager.io``."""
    group: str = Field(min_length=1)
    kind: str = Field(min_length=1)
    stored_versions: tuple[str, ...] = Field(min_length=1)


class ClusterInventory(_Snapshot):
    """One cluster: control-plane version, node pools, add-ons, API usage and CRDs."""

    name: str = Field(pattern=_NAME)
    control_plane: KubeVersionField
    node_pools: tuple[NodePool, ...] = ()
    addons: tuple[InstalledAddon, ...] = ()
    api_usage: tuple[ApiUse, ...] = ()
    crds: tuple[CustomResourceDefinition, ...] = ()

    @model_validator(mode="after")
    def _unique_names(self) -> ClusterInventory:
        for what, names in (
            ("node pool", [p.name for p in self.node_pools]),
            ("add-on", [a.name for a in self.addons]),
        ):
            dupes = sorted({n for n in names if names.count(n) > 1})
            if dupes:
                raise ValueError(f"{what} listed more than once: {', '.join(dupes)}")
        return self
