"""What each step type does, bound to one cluster's providers, drainer and Helm."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from kubecurrent.catalog import Catalog
from kubecurrent.execute._audit import Audit
from kubecurrent.execute._clock import Clock
from kubecurrent.execute._drain import Drainer
from kubecurrent.execute._errors import PermanentStepError
from kubecurrent.execute._executor import StepAction
from kubecurrent.execute._helm import HelmAddons, find_release
from kubecurrent.execute._provider import (
    ManagedAddonProvider,
    ManagedPoolProvider,
    NodePoolProvider,
    Providers,
)
from kubecurrent.execute._roll import roll_pool
from kubecurrent.model.inventory import ClusterInventory
from kubecurrent.model.plan import Step

__all__ = ["Runtime", "step_actions"]


@dataclass(frozen=True)
class Runtime:
    """Everything the step actions act through."""

    catalog: Catalog
    providers: Providers
    drainer: Drainer
    audit: Audit
    clock: Clock
    helm: HelmAddons | None = None
    gitops: Callable[[Step], str] | None = None
    """GitOps mode: add-on steps commit to the user's repository and wait for the sync."""
    roll_timeout: float = 1800.0
    """Seconds a whole node-pool roll may take (1800)."""


def step_actions(rt: Runtime) -> dict[str, StepAction]:
    """The step types this runtime can execute, each with its action."""
    actions: dict[str, StepAction] = {"check": lambda _s, _i: "health gate passed"}
    cp, pools, helm = rt.providers.control_plane, rt.providers.node_pools, rt.helm
    if cp is not None:

        def control_plane(step: Step, _inv: ClusterInventory) -> str:
            served = cp.upgrade_control_plane(_to(step))
            return f"{cp.name}: the control plane reports {served}"

        actions["control-plane"] = control_plane
    if isinstance(pools, ManagedPoolProvider):
        actions["node-pool"] = _managed_roll(rt, pools)
    elif pools is not None:
        actions["node-pool"] = _surge_roll(rt, pools)
    generic: StepAction | None = None
    if rt.gitops is not None:
        gitops = rt.gitops
        generic = lambda step, _inv: gitops(step)  # noqa: E731
    elif helm is not None:

        def addon(step: Step, inv: ClusterInventory) -> str:
            release = find_release(rt.catalog, inv, step.target)
            entry = rt.catalog.addon(step.target)
            if entry is None:  # find_release has refused it already; for the type checker
                raise PermanentStepError(f"the catalog has no add-on {step.target!r}")
            helm.upgrade(release, entry, _to(step))
            return f"helm: release {release.namespace}/{release.name} at {step.to}"

        generic = addon
    images = rt.providers.node_images
    if images is not None:

        def node_image(step: Step, _inv: ClusterInventory) -> str:
            return f"{images.name}: {images.upgrade_node_image(step.target, _to(step), rt.roll_timeout)}"

        actions["node-image"] = node_image
    managed = rt.providers.addons
    if managed is not None:
        actions["addon"] = _managed_addon(rt, managed, generic)
    elif generic is not None:
        actions["addon"] = generic
    return actions


def _managed_addon(
    rt: Runtime, managed: ManagedAddonProvider, generic: StepAction | None
) -> StepAction:
    """Add-on steps the plan marks ``managed_by`` the provider go through its API; the others
    through Helm or GitOps as usual."""

    def addon(step: Step, inv: ClusterInventory) -> str:
        if step.managed_by == managed.name:
            return (
                f"{managed.name}: {managed.update_addon(step.target, _to(step), rt.roll_timeout)}"
            )
        if generic is None:
            raise PermanentStepError(
                f"step {step.order} (addon {step.target}): no Helm or GitOps for this add-on",
                hint="give --addon-chart or --gitops-repo for add-ons EKS does not manage",
            )
        return generic(step, inv)

    return addon


def _managed_roll(rt: Runtime, pools: ManagedPoolProvider) -> StepAction:
    """The provider replaces and drains the machines itself (Cluster API)."""

    def node_pool(step: Step, _inv: ClusterInventory) -> str:
        return f"{pools.name}: {pools.roll_pool(step.target, _to(step), rt.roll_timeout)}"

    return node_pool


def _surge_roll(rt: Runtime, pools: NodePoolProvider) -> StepAction:
    """The provider makes and deletes nodes; the executor cordons and drains (``_roll``)."""

    def node_pool(step: Step, _inv: ClusterInventory) -> str:
        r = roll_pool(
            rt.drainer, pools, rt.audit, rt.clock, step.target, _to(step), rt.roll_timeout
        )
        forced = f"; force-deleted {', '.join(r.forced)}" if r.forced else ""
        return (
            f"{pools.name}: created {len(r.created)} nodes, drained and deleted "
            f"{len(r.removed)}, {r.evicted} pods evicted{forced}"
        )

    return node_pool


def _to(step: Step) -> str:
    if step.to is None:
        raise PermanentStepError(f"step {step.order} ({step.type} {step.target}) has no version")
    return step.to
