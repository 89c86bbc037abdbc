"""The managed clouds' providers behind one seam: ``providers_for(ref, ...)`` and the plan each
cloud can carry out (``cloud_steps``), dispatching on ``ref.provider``.

Each cloud's provider lives in its own module (``_eks``, ``_gke``, ``_aks``) and is imported
only when a cluster of that cloud is upgraded. See docs/clouds.md.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from kubecurrent.collect.clouds import AksRef, CloudRef, EksRef, GkeRef, title_of
from kubecurrent.errors import UsageError
from kubecurrent.execute._audit import Audit
from kubecurrent.execute._provider import Providers
from kubecurrent.model.plan import ClusterPlan

__all__ = ["CloudOptions", "cloud_steps", "providers_for"]


@dataclass(frozen=True)
class CloudOptions:
    """How a cloud provider changes a cluster (command-line choices, audited)."""

    timeout: float = 3600.0
    """Seconds one cloud operation may take before the step fails (it goes on in the cloud)."""
    eks_force: bool = False
    """EKS UpdateNodegroupVersion ``force``: replace nodes even when a PDB blocks their drain."""
    eks_addon_conflicts: str = "PRESERVE"
    """EKS UpdateAddon ``resolveConflicts``: PRESERVE or OVERWRITE."""


def _eks(ref: CloudRef, audit: Audit, options: CloudOptions) -> Providers:
    from kubecurrent.execute._eks import Conflicts, EksOptions, EksProvider

    assert isinstance(ref, EksRef)
    eks = EksProvider(
        ref,
        audit,
        EksOptions(
            force=options.eks_force,
            conflicts=Conflicts(options.eks_addon_conflicts),
            timeout=options.timeout,
        ),
    )
    return Providers(control_plane=eks, node_pools=eks, addons=eks)


def _eks_steps(plan: ClusterPlan) -> ClusterPlan:
    from kubecurrent.execute._eks import eks_minor_steps

    return eks_minor_steps(plan)  # EKS chooses the patch release


def _gke(ref: CloudRef, audit: Audit, options: CloudOptions) -> Providers:
    from kubecurrent.execute._gke import GkeOptions, GkeProvider

    assert isinstance(ref, GkeRef)
    gke = GkeProvider(ref, audit, GkeOptions(timeout=options.timeout))
    return Providers(control_plane=gke, node_pools=gke)


def _gke_steps(plan: ClusterPlan) -> ClusterPlan:
    from kubecurrent.execute._eks import minor_steps

    return minor_steps(plan, "GKE chooses the newest patch its channel offers of")


def _aks(ref: CloudRef, audit: Audit, options: CloudOptions) -> Providers:
    from kubecurrent.execute._aks import AksOptions, AksProvider

    assert isinstance(ref, AksRef)
    aks = AksProvider(ref, audit, AksOptions(timeout=options.timeout))
    return Providers(control_plane=aks, node_pools=aks, node_images=aks)


def _aks_steps(plan: ClusterPlan) -> ClusterPlan:
    from kubecurrent.execute._aks import aks_minor_steps

    return aks_minor_steps(plan)  # the upgrade profile decides the patch


_Factory = Callable[[CloudRef, Audit, CloudOptions], Providers]
_PROVIDERS: Mapping[str, _Factory] = {"eks": _eks, "gke": _gke, "aks": _aks}
_STEPS: Mapping[str, Callable[[ClusterPlan], ClusterPlan]] = {
    "eks": _eks_steps,
    "gke": _gke_steps,
    "aks": _aks_steps,
}


def providers_for(ref: CloudRef, audit: Audit, options: CloudOptions) -> Providers:
    """The providers that upgrade ``ref`` through its cloud's API."""
    factory = _PROVIDERS.get(ref.provider)
    if factory is None:
        raise UsageError(
            f"{ref}: upgrading {title_of(ref.provider)} clusters is not supported by this build",
            hint="use --provider none to plan only",
        )
    return factory(ref, audit, options)


def cloud_steps(ref: CloudRef, plan: ClusterPlan) -> ClusterPlan:
    """``plan`` with the versions ``ref``'s cloud is asked for (EKS, AKS: minors, the cloud
    choosing the patch; GKE: the versions its channel offers)."""
    steps = _STEPS.get(ref.provider)
    return plan if steps is None else steps(plan)
