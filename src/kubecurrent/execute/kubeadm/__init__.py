"""kubeadm clusters: an exact per-node runbook instead of execution.

``build_runbook`` turns a plan and the cluster's nodes into ordered per-node command blocks
from the sourced facts in ``kubeadm.yaml`` (``load_facts``); ``render_markdown`` and
``Runbook.to_json`` print it; ``is_kubeadm`` recognises a kubeadm cluster by its
``kube-system/kubeadm-config`` ConfigMap; ``kubeadm_nodes`` lists the nodes.
"""

from kubecurrent.execute.kubeadm._cluster import is_kubeadm, kubeadm_nodes
from kubecurrent.execute.kubeadm._facts import KubeadmFacts, load_facts
from kubecurrent.execute.kubeadm._render import render_markdown
from kubecurrent.execute.kubeadm._runbook import (
    KubeadmNode,
    NodeBlock,
    Runbook,
    RunCommand,
    Stage,
    build_runbook,
)

__all__ = [
    "KubeadmFacts",
    "KubeadmNode",
    "NodeBlock",
    "RunCommand",
    "Runbook",
    "Stage",
    "build_runbook",
    "is_kubeadm",
    "kubeadm_nodes",
    "load_facts",
    "render_markdown",
]
