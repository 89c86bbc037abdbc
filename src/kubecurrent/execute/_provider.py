"""Who changes the cluster: the provider protocols the executor drives.

The executor never knows which infrastructure it talks to. A provider upgrades the control
plane and creates or deletes the machines of a node pool; the executor does everything else
(cordon, drain through the Eviction API, health gates, verification, audit). The sandbox
provider lives in ``kubecurrent.sandbox`` and is injected by the CLI; kubeadm clusters get a
runbook instead (``kubecurrent.execute.kubeadm``).

Some infrastructure replaces and drains machines itself (Cluster API's MachineDeployments): its
provider is a ``ManagedPoolProvider``, and a node-pool step then hands the whole roll to it
instead of the executor's surge-and-drain (``_roll``). The Cluster API provider is in
``_capi``; the Amazon EKS provider in ``_eks`` (control plane, managed node groups, and EKS
add-ons as a ``ManagedAddonProvider``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

__all__ = [
    "ControlPlaneProvider",
    "ManagedAddonProvider",
    "ManagedPoolProvider",
    "NodeImageProvider",
    "NodePoolProvider",
    "Providers",
]


class ControlPlaneProvider(Protocol):
    """Moves the control plane to a version, one minor at a time."""

    name: str

    def upgrade_control_plane(self, version: str) -> str:
        """Upgrade to ``version`` (``1.37.2``); returns the version the API server now reports.

        Raises ``PermanentStepError`` when the upgrade failed (saying whether it was rolled back)
        or ``RetryableStepError`` for a transient failure before anything changed.
        """
        ...


class NodePoolProvider(Protocol):
    """Creates and deletes the nodes of a pool (machines, VMs or simulated nodes)."""

    name: str
    pool_label: str
    """The node label whose value names the pool (``kubecurrent.dev/node-pool``)."""

    def add_node(self, pool: str, kubelet_version: str, index: int) -> str:
        """Create one node of ``pool`` running ``kubelet_version``; returns its Node name.

        Creating a node that already exists (a resumed roll) returns its name again.
        """
        ...

    def remove_node(self, name: str) -> None:
        """Delete the machine behind Node ``name`` and the Node object (gone is fine)."""
        ...


@runtime_checkable
class ManagedPoolProvider(Protocol):
    """Rolls a whole node pool itself: replaces the machines, drains and deletes the old ones."""

    name: str

    def roll_pool(self, pool: str, version: str, timeout: float) -> str:
        """Roll ``pool`` to kubelet ``version`` and wait until done; returns what it did.

        Rolling a pool already at ``version`` only waits. Raises ``PermanentStepError`` naming
        the object and what it is stuck on at ``timeout`` seconds, ``RetryableStepError`` for a
        transient failure (rolling again is safe).
        """
        ...


class ManagedAddonProvider(Protocol):
    """Moves an add-on the cloud manages (an EKS add-on) through the cloud's own API."""

    name: str

    def update_addon(self, addon: str, version: str, timeout: float) -> str:
        """Move ``addon`` to ``version`` and wait until applied; returns what it did.

        An add-on already at ``version`` is left alone. Raises ``PermanentStepError`` with the
        cloud's error when the update fails.
        """
        ...


class NodeImageProvider(Protocol):
    """Moves a pool to a newer OS image of the same Kubernetes version (AKS node images)."""

    name: str

    def upgrade_node_image(self, pool: str, image: str, timeout: float) -> str:
        """Move ``pool`` to node image ``image`` and wait until done; returns what it did.

        A pool already on ``image`` is left alone. Raises ``PermanentStepError`` with the
        cloud's error when the operation fails.
        """
        ...


@dataclass(frozen=True)
class Providers:
    """The providers an execution uses; ``None`` means that kind of step cannot run."""

    control_plane: ControlPlaneProvider | None = None
    node_pools: NodePoolProvider | ManagedPoolProvider | None = None
    """A ``ManagedPoolProvider`` rolls pools itself; a ``NodePoolProvider`` only makes nodes."""
    addons: ManagedAddonProvider | None = None
    """Runs add-on steps the plan marks ``managed_by`` this provider (EKS add-ons)."""
    node_images: NodeImageProvider | None = None
    """Runs ``node-image`` steps (AKS)."""
