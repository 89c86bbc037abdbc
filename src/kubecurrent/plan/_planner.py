"""The planner: a pure function of (inventory, catalog, target, policy) to an explained plan.

Order of the steps::

    path check   the managed provider offers every minor the path passes through
    pre-flight   API migrations whose replacement is served now; what the provider manages
                 (EKS managed node groups, EKS add-ons) brought to the current minor; add-ons
                 and node pools that do not fit the current control plane
    every hop    late API migrations; add-ons whose window ends; node pools the hop would leave
                 outside the skew (minimal strategy); the control-plane hop; what the provider
                 rolls after each hop (EKS: managed node groups, EKS add-ons, Fargate pods);
                 add-ons that must match the minor; node pools (lockstep strategy); a post-hop
                 check
    the end      every node pool to the target version; a final check

The provider's rules are chosen from the inventory (``_provider.rules_for``); a cluster no
provider manages gets none.
"""

from __future__ import annotations

from kubecurrent.catalog import Catalog
from kubecurrent.model import KubeVersion
from kubecurrent.model.inventory import ClusterInventory
from kubecurrent.model.plan import ClusterPlan
from kubecurrent.plan import _addons, _migrations, _nodes
from kubecurrent.plan._alternatives import alternatives
from kubecurrent.plan._bluegreen import estimate
from kubecurrent.plan._policy import PlanPolicy
from kubecurrent.plan._provider import holds_for, rules_for
from kubecurrent.plan._rules import Rules, label
from kubecurrent.plan._work import Work, show


def plan_cluster(
    inventory: ClusterInventory,
    catalog: Catalog | Rules,
    target: KubeVersion,
    policy: PlanPolicy | None = None,
) -> ClusterPlan:
    """Plan one cluster's way to ``target`` (pass ``Rules`` to share look-ups across a fleet)."""
    rules = catalog if isinstance(catalog, Rules) else Rules(catalog)
    work = Work.start(inventory, rules, target, policy or PlanPolicy(), rules_for(inventory))
    _walk(work)
    return ClusterPlan(
        name=inventory.name,
        status="blocked" if work.reasons else "ok",
        from_version=show(inventory.control_plane),
        target=show(target),
        provider=inventory.managed.provider if inventory.managed is not None else None,
        reasons=tuple(work.reasons),
        steps=() if work.reasons else tuple(work.steps),
        alternatives=alternatives(work),
        blue_green=estimate(work),
        holds=holds_for(inventory),
    )


def _walk(work: Work) -> None:
    if work.minor > work.target_minor:
        work.block(
            f"the control plane {work.cp_text} is newer than the target {show(work.target)}; "
            "kubecurrent does not plan downgrades"
        )
        return
    hops = _hops(work)
    work.provider.check_path(work, hops)
    if work.reasons:
        return
    _nodes.check_preconditions(work)
    _addons.place_installed(work)
    _migrations.api_migrations_preflight(work)
    work.provider.preflight(work)
    _addons.fit_current(work)
    _nodes.fit_current(work)
    for number, m in enumerate(hops, start=1):
        work.hop = number
        _hop(work, m)
    _nodes.finish(work)
    if work.steps:
        _check(work, "final", "the cluster is at the target")


def _hops(work: Work) -> list[int]:
    """The minors the control plane passes through, the target's patch last."""
    step = work.rules.hop_step
    minors = list(range(work.minor + step, work.target_minor, step))
    if work.minor < work.target_minor or work.cp < work.target:
        minors.append(work.target_minor)
    return minors


def _hop(work: Work, m: int) -> None:
    _migrations.api_migrations_before_hop(work, m)
    _addons.before_hop(work, m)
    _nodes.before_hop(work, m)  # both strategies: lockstep pools may start too far behind
    to = work.target if m == work.target_minor else work.rules.latest_patch(m)
    if to is None:
        work.block(f"the catalog has no Kubernetes {label(m)} release to pass through")
        return
    _control_plane(work, to)
    work.provider.after_hop(work)
    _addons.after_hop(work)
    if work.policy.node_strategy == "lockstep":
        _nodes.lockstep(work)
    if m != work.target_minor:
        _check(work, "post-hop", f"the control plane runs {work.cp_text}")


def _control_plane(work: Work, to: KubeVersion) -> None:
    to_text = show(to)
    if to.minor_version == work.cp.minor_version:
        why = f"{to_text} is the target patch of the current minor"
        without = "the fixes (security and bugs) of the target patch would be missing"
    else:
        why = (
            f"the control plane moves at most {work.rules.hop_step} minor per upgrade; "
            f"{to_text} is the {'target' if to == work.target else 'newest'} "
            f"{to.minor_version} patch in the catalog"
        )
        without = (
            "skipping a minor is outside the supported upgrade order: the API server's stored "
            "objects and the controllers expect every intermediate minor to have run"
        )
    work.emit("control-plane", "control-plane", work.cp_text, to_text, why, without)
    work.move_cp(to, to_text)


def _check(work: Work, kind: str, what: str) -> None:
    work.emit(
        "check",
        "control-plane",
        work.cp_text,
        work.cp_text,
        f"{kind} check: {what}; confirm all nodes are Ready, add-ons are healthy and no client "
        "still calls a removed API (apiserver_requested_deprecated_apis)",
        "a fault from this step would be carried into the next one, where it is harder to find "
        "and to roll back",
    )
