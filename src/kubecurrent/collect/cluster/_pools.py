"""Nodes into node pools, by the well-known pool labels of each provisioner.

Aggregation is incremental (``PoolCounter.add`` per node) so nodes can be streamed page by page.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from kubecurrent.model import KubeVersion
from kubecurrent.model.inventory import NodePool

POOL_LABELS = (
    "cluster.x-k8s.io/deployment-name",
    "cluster.x-k8s.io/set-name",
    "eks.amazonaws.com/nodegroup",
    "cloud.google.com/gke-nodepool",
    "kubernetes.azure.com/agentpool",
    "agentpool",
    "karpenter.sh/nodepool",
    "kubecurrent.dev/node-pool",
)
"""Checked in this order; the first present on a node names its pool."""
OWNER_KIND, OWNER_NAME = "cluster.x-k8s.io/owner-kind", "cluster.x-k8s.io/owner-name"
"""Annotations Cluster API puts on a MachinePool's nodes (``MachinePool`` and its name); they
come before ``POOL_LABELS``, so such a pool is named after its MachinePool, not a cloud's own
node-group label (https://github.com/kubernetes-sigs/cluster-api/blob/v1.14.2/core/reconcilers/machinepool/machinepool_controller_noderef.go)."""
CONTROL_PLANE_LABEL = "node-role.kubernetes.io/control-plane"
KRUSTLET_ARCHS = ("wasm32-wasi", "wasm32-wagi")
UNGROUPED = "(no pool label)"


def pool_of(
    labels: dict[str, str],
    user_label: str | None = None,
    annotations: dict[str, str] | None = None,
) -> tuple[str, str | None]:
    """The pool name of a node with ``labels`` (and ``annotations``) and the key that named it:
    ``user_label``, then a Cluster API MachinePool's owner annotation, then ``POOL_LABELS``."""
    if user_label and labels.get(user_label):
        return labels[user_label], user_label
    notes = annotations or {}
    if notes.get(OWNER_KIND) == "MachinePool" and notes.get(OWNER_NAME):
        return notes[OWNER_NAME], OWNER_NAME
    for key in POOL_LABELS:
        if labels.get(key):
            return labels[key], key
    if CONTROL_PLANE_LABEL in labels:
        return "control-plane", CONTROL_PLANE_LABEL
    return UNGROUPED, None


@dataclass
class _Pool:
    label: str | None
    nodes: int = 0
    kubelets: Counter[str] = field(default_factory=Counter)
    proxies: Counter[str] = field(default_factory=Counter)
    runtimes: Counter[str] = field(default_factory=Counter)
    images: Counter[str] = field(default_factory=Counter)
    archs: Counter[str] = field(default_factory=Counter)


@dataclass
class PoolCounter:
    """Counts nodes per pool with the versions they run; O(pools × distinct versions) memory."""

    user_label: str | None = None
    pools: dict[str, _Pool] = field(default_factory=dict)
    krustlet_nodes: int = 0

    def add(self, node: dict[str, Any]) -> None:
        meta = node.get("metadata") or {}
        labels = meta.get("labels") or {}
        info = (node.get("status") or {}).get("nodeInfo") or {}
        name, label = pool_of(labels, self.user_label, meta.get("annotations"))
        pool = self.pools.setdefault(name, _Pool(label))
        pool.nodes += 1
        for counter, value in (
            (pool.kubelets, info.get("kubeletVersion")),
            (pool.proxies, info.get("kubeProxyVersion")),
            (pool.runtimes, info.get("containerRuntimeVersion")),
            (pool.images, info.get("osImage")),
            (pool.archs, labels.get("kubernetes.io/arch") or info.get("architecture")),
        ):
            if value:
                counter[str(value)] += 1
        if labels.get("kubernetes.io/arch") in KRUSTLET_ARCHS:
            self.krustlet_nodes += 1

    def result(self) -> tuple[NodePool, ...]:
        return tuple(_pool(name, p) for name, p in sorted(self.pools.items()) if p.kubelets)


def _pool(name: str, p: _Pool) -> NodePool:
    kubelets = sorted(p.kubelets, key=_version_key)
    return NodePool(
        name=name,
        kubelet=KubeVersion.parse(kubelets[0]),
        nodes=p.nodes,
        label=p.label,
        kubelet_versions=tuple(kubelets),
        kube_proxy_versions=tuple(sorted(p.proxies)),
        container_runtimes=tuple(sorted(p.runtimes)),
        os_images=tuple(sorted(p.images)),
        architectures=tuple(sorted(p.archs)),
    )


def _version_key(text: str) -> tuple[int, int, int]:
    try:
        v = KubeVersion.parse(text)
    except Exception:
        return (999, 0, 0)
    return (v.major, v.minor, v.patch)
