"""What a cluster is at one moment: versions, node pools, add-ons, API usage and CRDs.

An inventory is a plain, serialisable snapshot. The live collector will fill it from a cluster;
a hand-written fleet spec fills it for planning without access. Field names say what the cluster
has, not what any consumer does with it. JSON uses camelCase keys, like Kubernetes objects.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from kubecurrent.model._snapshot import _Snapshot
from kubecurrent.model.clouds import ManagedCluster
from kubecurrent.model.fields import KubeVersionField

__all__ = [
    "ApiEvidence",
    "ApiUse",
    "ClusterInventory",
    "CustomResourceDefinition",
    "DrainBlocker",
    "HelmRelease",
    "InstalledAddon",
    "Limitation",
    "NodePool",
    "RbacRole",
    "RuntimeClassInfo",
    "WasmCapability",
]

_NAME = r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$"


class NodePool(_Snapshot):
    """A group of nodes that share a kubelet version and are rolled together."""

    name: str = Field(min_length=1)
    kubelet: KubeVersionField
    """The oldest kubelet in the pool (what skew rules must hold for)."""
    nodes: int = Field(ge=0)
    label: str | None = None
    """The node label the pool was grouped by (``eks.amazonaws.com/nodegroup``, ...)."""
    kubelet_versions: tuple[str, ...] = ()
    kube_proxy_versions: tuple[str, ...] = ()
    container_runtimes: tuple[str, ...] = ()
    os_images: tuple[str, ...] = ()
    architectures: tuple[str, ...] = ()


class InstalledAddon(_Snapshot):
    """An add-on found in the cluster, by its catalog name, at its installed version."""

    name: str = Field(pattern=_NAME)
    version: str = Field(min_length=1)
    """The add-on's own version (``1.12.3``), as the add-on writes it."""
    detected_by: tuple[str, ...] = ()
    """Which signatures matched: ``helm-chart``, ``image``, ``crd-group``, ``label``."""
    namespaces: tuple[str, ...] = ()


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
    served_versions: tuple[str, ...] = ()
    deprecated_versions: tuple[str, ...] = ()
    """Served versions the CRD marks ``deprecated: true``."""
    plural: str = ""


class ApiEvidence(_Snapshot):
    """Who or what uses one apiVersion and kind, and where that was seen.

    ``source`` is an ``EvidenceSource`` value (``managed-fields``, ``last-applied``,
    ``helm-release``, ``metrics``, ``audit-log``). Counts are aggregated; ``examples`` holds at
    most a few ``namespace/name`` strings so memory never grows with the cluster.
    """

    api_version: str = Field(min_length=1)
    kind: str = Field(min_length=1)
    source: str = Field(min_length=1)
    count: int = Field(default=1, ge=1)
    manager: str | None = None
    """Field manager (managedFields) or user agent (audit log)."""
    operation: str | None = None
    resource: str | None = None
    release: str | None = None
    """Helm release ``namespace/name`` (revision) for ``helm-release`` evidence."""
    last_seen: str | None = None
    examples: tuple[str, ...] = ()


class HelmRelease(_Snapshot):
    """One Helm release record (a ``sh.helm.release.v1.*`` Secret)."""

    name: str
    namespace: str
    revision: int = Field(ge=1)
    status: str
    chart: str
    chart_version: str
    app_version: str | None = None
    kube_version: str | None = None
    """The chart's ``kubeVersion`` constraint."""


class RuntimeClassInfo(_Snapshot):
    name: str
    handler: str
    wasm: bool = False


class WasmCapability(_Snapshot):
    """What the cluster offers to run WebAssembly."""

    runtime_handlers: tuple[str, ...] = ()
    """RuntimeClass handlers of wasm containerd shims (``spin``, ``wasmtime``, ...)."""
    spinkube: bool = False
    wasmcloud: bool = False
    krustlet_nodes: int = 0


class DrainBlocker(_Snapshot):
    """A workload or PodDisruptionBudget that blocks a node drain or is hurt by one."""

    kind: str
    namespace: str
    name: str
    reason: str
    """``pdb-zero-disruptions``, ``single-replica`` or ``no-pdb``."""
    detail: str = ""


class RbacRole(_Snapshot):
    """A Role or ClusterRole whose rules name APIs the catalog lists as deprecated or removed."""

    kind: str
    name: str
    namespace: str = ""
    rules: tuple[dict[str, Any], ...] = ()


class Limitation(_Snapshot):
    """Something the collector could not check, and the permission or fix it needs."""

    check: str
    reason: str


class ClusterInventory(_Snapshot):
    """One cluster: control-plane version, node pools, add-ons, API usage and CRDs."""

    name: str = Field(pattern=_NAME)
    control_plane: KubeVersionField
    node_pools: tuple[NodePool, ...] = ()
    addons: tuple[InstalledAddon, ...] = ()
    api_usage: tuple[ApiUse, ...] = ()
    crds: tuple[CustomResourceDefinition, ...] = ()
    server_version: str | None = None
    """As the API server reports it (``v1.31.13``, ``v1.30.2-eks-1234``)."""
    context: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    collected_at: str | None = None
    end_of_life: str | None = None
    end_of_life_passed: bool | None = None
    cves: tuple[str, ...] = ()
    """CVE ids the catalog lists for the running control-plane version."""
    api_evidence: tuple[ApiEvidence, ...] = ()
    helm_releases: tuple[HelmRelease, ...] = ()
    runtime_classes: tuple[RuntimeClassInfo, ...] = ()
    wasm: WasmCapability | None = None
    drain_blockers: tuple[DrainBlocker, ...] = ()
    drain_blockers_total: int = 0
    rbac_roles: tuple[RbacRole, ...] = ()
    limitations: tuple[Limitation, ...] = ()
    managed: ManagedCluster | None = None
    """What the managed cloud (EKS, GKE, AKS: ``managed.provider``) knows about the cluster,
    when discovered through it."""

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
