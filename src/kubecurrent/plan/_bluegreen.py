"""Pricing the blue/green alternative for clusters far behind: a new cluster at the target,
workloads moved over, next to the in-place path."""

from __future__ import annotations

from kubecurrent.model.plan import BlueGreenEstimate, PlanTotals
from kubecurrent.plan._rules import key, label
from kubecurrent.plan._work import Work


def estimate(work: Work) -> BlueGreenEstimate | None:
    """None unless the cluster is more than ``policy.blue_green_after`` minors behind."""
    behind = work.target_minor - key(work.inventory.control_plane.minor_version)
    if behind <= work.policy.blue_green_after:
        return None
    in_place = PlanTotals.of(work.steps)
    installs, missing = _addon_installs(work)
    pools = work.inventory.node_pools
    nodes = sum(p.nodes for p in pools)
    apis = _api_migrations(work)
    target = label(work.target_minor)
    summary = (
        f"{behind} minors behind. In place: {in_place.hops} control-plane upgrades, "
        f"{in_place.node_rolls} node-pool rolls, {in_place.addon_moves} add-on moves, "
        f"{in_place.migrations} migrations. Blue/green: one new {target} cluster with "
        f"{len(pools)} node pools ({nodes} nodes), {installs} add-on installs at their {target} "
        f"releases, {apis} API migrations in the manifests, then moving the workloads"
    )
    if missing:
        summary += f"; no {target} release for {', '.join(missing)}"
    return BlueGreenEstimate(
        minors_behind=behind,
        in_place=in_place,
        new_cluster_node_pools=len(pools),
        new_cluster_nodes=nodes,
        addon_installs=installs,
        api_migrations=apis,
        addons_without_release=tuple(missing),
        summary=summary,
    )


def _addon_installs(work: Work) -> tuple[int, list[str]]:
    installs, missing = 0, []
    for installed in work.inventory.addons:
        name = installed.name
        if name in work.policy.remove:
            continue
        options = (name, work.policy.replacement_for(name))
        if any(work.rules.has_release(o, work.target_minor) for o in options if o):
            installs += 1
        else:
            missing.append(name)
    return installs, missing


def _api_migrations(work: Work) -> int:
    count = 0
    for use in work.inventory.api_usage:
        dep = work.rules.deprecation(use.api_version, use.kind)
        if dep and dep.removed_in is not None and key(dep.removed_in) <= work.target_minor:
            count += 1
    return count
