"""What the runbook reads from a live cluster: its nodes, and whether kubeadm made it."""

from __future__ import annotations

from lightkube.core.exceptions import ApiError
from lightkube.resources.core_v1 import ConfigMap, Node

from kubecurrent.collect.cluster import CONTROL_PLANE_LABEL, pool_of
from kubecurrent.errors import ClusterError
from kubecurrent.execute._kube import Kube, meta
from kubecurrent.execute.kubeadm._runbook import KubeadmNode

__all__ = ["is_kubeadm", "kubeadm_nodes"]


def is_kubeadm(kube: Kube) -> bool:
    """True when ``kube-system/kubeadm-config`` exists (kubeadm writes it at ``init``)."""
    try:
        kube.client.get(ConfigMap, "kubeadm-config", namespace="kube-system")
        return True
    except ApiError as exc:
        if exc.status.code in (403, 404):
            return False
        raise ClusterError(f"could not read kube-system/kubeadm-config: {exc}") from exc


def kubeadm_nodes(kube: Kube, pool_label: str | None = None) -> list[KubeadmNode]:
    """Every node with its pool (as the inventory groups them) and control-plane role."""
    found = []
    for node in kube.client.list(Node):
        labels = dict(meta(node).labels or {})
        info = node.status.nodeInfo if node.status else None
        found.append(
            KubeadmNode(
                name=str(meta(node).name),
                pool=pool_of(labels, pool_label)[0],
                control_plane=CONTROL_PLANE_LABEL in labels,
                kubelet=str(info.kubeletVersion) if info else "",
                os_image=str(info.osImage) if info else "",
            )
        )
    return found
