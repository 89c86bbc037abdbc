"""The fleet view: every cluster's plan, clusters with identical paths grouped, totals."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from kubecurrent.catalog import Catalog
from kubecurrent.model import KubeVersion
from kubecurrent.model.inventory import ClusterInventory
from kubecurrent.model.plan import ClusterPlan, FleetPlan, PathGroup
from kubecurrent.plan._planner import plan_cluster
from kubecurrent.plan._policy import PlanPolicy
from kubecurrent.plan._rules import Rules


def plan_fleet(
    inventories: Iterable[ClusterInventory],
    catalog: Catalog,
    target: KubeVersion,
    policy: PlanPolicy | None = None,
    adjust: Callable[[ClusterInventory, ClusterPlan], ClusterPlan] | None = None,
) -> FleetPlan:
    """Plan every cluster against one catalog and target; group clusters by identical path.

    ``adjust`` may rewrite a cluster's plan for its infrastructure (``pin_patches`` for the
    patch releases a provider offers) before the plans are grouped.
    """
    rules = Rules(catalog)
    plans = tuple(
        (adjust or _same)(inv, plan_cluster(inv, rules, target, policy)) for inv in inventories
    )
    return FleetPlan(target=str(target.minor_version), clusters=plans, groups=group_paths(plans))


def _same(_inv: ClusterInventory, plan: ClusterPlan) -> ClusterPlan:
    return plan


def group_paths(plans: Iterable[ClusterPlan]) -> tuple[PathGroup, ...]:
    """Clusters whose steps do the same things (type, target, versions), in first-seen order."""
    groups: dict[tuple[object, ...], list[ClusterPlan]] = {}
    for plan in plans:
        signature = (plan.status, plan.reasons, tuple(s.key() for s in plan.steps))
        groups.setdefault(signature, []).append(plan)
    return tuple(
        PathGroup(
            clusters=tuple(p.name for p in members),
            status=members[0].status,
            path=tuple(members[0].path()),
            steps=len(members[0].steps),
        )
        for members in groups.values()
    )
