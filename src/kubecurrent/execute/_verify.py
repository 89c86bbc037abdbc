"""Pure checks of a step against an inventory: is it already done, and did it take effect?

After each step the executor collects the cluster again and asks ``effect_missing``; before a
step it asks ``already_done``, so running the same upgrade again resumes where it stopped.
"""

from __future__ import annotations

from kubecurrent.catalog import DottedVersion
from kubecurrent.collect.eks import addon_version_key
from kubecurrent.model import KubeVersion
from kubecurrent.model.aks import AksCluster
from kubecurrent.model.inventory import ClusterInventory
from kubecurrent.model.managed import EksCluster
from kubecurrent.model.plan import Step

__all__ = ["EXECUTABLE", "already_done", "effect_missing", "unsupported"]

EXECUTABLE = frozenset({"control-plane", "node-pool", "node-image", "addon", "check"})
_WHY_NOT = {
    "migration": "API migrations rewrite the user's manifests: run `kubecurrent fix files`",
    "replace": "replacing an add-on by another needs its own install and cut-over",
    "remove": "removing an add-on is a decision kubecurrent leaves to you",
}


def unsupported(steps: tuple[Step, ...]) -> list[str]:
    """Why each step kubecurrent cannot execute yet is left out, one line per step."""
    return [
        f"step {s.order} ({s.type} {s.target}): {_WHY_NOT.get(s.type, 'not supported')}"
        for s in steps
        if s.type not in EXECUTABLE
    ]


def already_done(step: Step, inv: ClusterInventory) -> bool:
    """Whether the cluster already shows the step's result (checks are never done)."""
    return step.type != "check" and effect_missing(step, inv) is None


def effect_missing(step: Step, inv: ClusterInventory) -> str | None:
    """None when ``inv`` shows the step's effect, else what is missing."""
    if step.type == "control-plane" and step.to:
        # Patch releases count: a control plane at 1.36.3 has not reached 1.36.6.
        if inv.control_plane < KubeVersion.parse(step.to):
            return f"the control plane reports {inv.control_plane}, expected {step.to}"
        return None
    if step.type == "node-pool" and step.to:
        pool = next((p for p in inv.node_pools if p.name == step.target), None)
        if pool is None:
            return f"node pool {step.target} is gone from the inventory"
        if pool.kubelet < KubeVersion.parse(step.to):
            return f"node pool {step.target} still has kubelet {pool.kubelet}, expected {step.to}"
        return None
    if step.type == "addon" and step.to and step.managed_by == "eks":
        managed = inv.managed.addon(step.target) if isinstance(inv.managed, EksCluster) else None
        if managed is None:
            return f"EKS add-on {step.target} is not listed by EKS any more"
        if addon_version_key(managed.version) < addon_version_key(step.to):
            return f"EKS add-on {step.target} is at {managed.version}, expected {step.to}"
        return None
    if step.type == "addon" and step.to:
        found = next((a for a in inv.addons if a.name == step.target), None)
        if found is None:
            return f"add-on {step.target} is not detected any more"
        if DottedVersion.parse(found.version) < DottedVersion.parse(step.to):
            return f"add-on {step.target} is at {found.version}, expected {step.to}"
        return None
    if step.type == "node-image" and step.to:
        return _image_missing(step, inv)
    if step.type == "check":
        return None
    return f"kubecurrent cannot verify {step.type} steps"


def _image_missing(step: Step, inv: ClusterInventory) -> str | None:
    """A node-image step took effect when the cloud reports the pool on that image."""
    pool = inv.managed.agent_pool(step.target) if isinstance(inv.managed, AksCluster) else None
    if pool is None:
        return f"agent pool {step.target} is not listed by AKS any more"
    if pool.node_image_version != step.to:
        return f"agent pool {step.target} runs node image {pool.node_image_version}, expected {step.to}"
    return None
