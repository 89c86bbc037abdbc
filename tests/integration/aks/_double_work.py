"""What the AKS double does in the sandbox behind a cluster.

Agent pools are kwok nodes labelled as AKS labels its nodes (``kubernetes.azure.com/agentpool``,
``kubernetes.azure.com/mode``, ``kubernetes.azure.com/node-image-version``), without the
sandbox's own pool label. Upgrading a pool (a new Kubernetes version or a new node image) works
as AKS describes it (https://learn.microsoft.com/azure/aks/upgrade-aks-cluster#optimize-upgrades-
to-improve-performance-and-minimize-disruptions): ``maxSurge`` new nodes first, then as many old
nodes cordoned and drained through the Eviction API (a PodDisruptionBudget's 429 retried until
the eviction timeout, then the operation fails with ``UpgradeFailed``), deleted, repeated until no
old node is left. The control plane is upgraded with ``sandbox upgrade``. The drain, cordon and
node creation come from the EKS double's work module (the same Kubernetes calls).
"""

from __future__ import annotations

import itertools
import math
from typing import Any

from lightkube import Client
from lightkube.resources.core_v1 import Node

from kubecurrent import sandbox as sb

from ..eks._double_work import WorkFailed, cordon, create_nodes, delete_node, drain
from ._double_state import Cluster, Fault, Pool

POOL_LABEL = "kubernetes.azure.com/agentpool"
MODE_LABEL = "kubernetes.azure.com/mode"
IMAGE_LABEL = "kubernetes.azure.com/node-image-version"
_SERIAL = itertools.count()

__all__ = ["WorkFailed", "create_pool", "roll_pool", "surge_of", "upgrade_control_plane"]


def surge_of(pool: Pool) -> int:
    """``maxSurge`` as a node count: ``33%`` of the pool rounded up, or the number given."""
    text = pool.max_surge.strip()
    if text.endswith("%"):
        return max(1, math.ceil(pool.count * int(text[:-1]) / 100))
    return max(1, int(text))


def node_manifest(c: Cluster, pool: Pool, version: str, image: str) -> dict[str, Any]:
    name = f"aks-{pool.name}-{abs(hash(c.name)) % 10**8:08d}-vmss{next(_SERIAL):06d}"
    spec = sb.NodePool(name=pool.name, count=1, kubelet_version=f"v{version}")
    manifest = sb.node_manifest(spec, 0)
    manifest["metadata"]["name"] = name
    labels = manifest["metadata"]["labels"]
    del labels[sb.POOL_LABEL]
    labels.update(
        {
            POOL_LABEL: pool.name,
            "agentpool": pool.name,
            MODE_LABEL: pool.mode.lower(),
            IMAGE_LABEL: image,
            "kubernetes.io/hostname": name,
            "node.kubernetes.io/instance-type": "Standard_D4ds_v5",
            "topology.kubernetes.io/region": c.location,
        }
    )
    manifest["status"]["nodeInfo"]["osImage"] = f"Ubuntu 22.04 ({image}, simulated)"
    return manifest


def create_pool(client: Client, c: Cluster, pool: Pool) -> None:
    nodes = [node_manifest(c, pool, pool.version, pool.node_image) for _ in range(pool.count)]
    create_nodes(client, nodes, timeout=120)


def _old_nodes(client: Client, pool: Pool, version: str, image: str) -> list[str]:
    names = []
    for node in client.list(Node, labels={POOL_LABEL: pool.name}):
        labels = (node.metadata and node.metadata.labels) or {}
        kubelet = (
            node.status and node.status.nodeInfo and node.status.nodeInfo.kubeletVersion
        ) or ""
        stale = labels.get(IMAGE_LABEL) != image or kubelet.removeprefix("v") != version
        if stale and node.metadata and node.metadata.name:
            names.append(node.metadata.name)
    return sorted(names)


def roll_pool(
    client: Client, c: Cluster, pool: Pool, version: str, image: str, eviction_timeout: float
) -> None:
    """Replace the pool's nodes not at ``version`` on ``image``, ``maxSurge`` at a time."""
    old = _old_nodes(client, pool, version, image)
    surge = surge_of(pool)
    for i in range(0, len(old), surge):
        batch = old[i : i + surge]
        create_nodes(client, [node_manifest(c, pool, version, image) for _ in batch], timeout=120)
        for name in batch:
            cordon(client, name)
        try:
            drain(client, pool.name, batch, False, eviction_timeout)
        except WorkFailed as exc:
            raise WorkFailed(
                type(exc.error)(
                    "UpgradeFailed",
                    f"Drain of {', '.join(batch)} did not complete: pods could not be evicted "
                    "(a PodDisruptionBudget allows no disruption). See "
                    "https://aka.ms/aks/debugdrainfailures",
                    tuple(batch),
                )
            ) from None
        for name in batch:
            delete_node(client, name)


def upgrade_control_plane(c: Cluster, version: str) -> None:
    """``sandbox upgrade`` to ``version``'s minor (one above the current)."""
    sb.upgrade(c.sandbox, ".".join(version.split(".")[:2]), timeout=300)


def fault_error(fault: Fault) -> WorkFailed:
    from ..eks._double_state import UpdateError

    return WorkFailed(UpdateError(fault.code, fault.message, ()))
