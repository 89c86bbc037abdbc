"""Property-based: for random clusters, replaying a plan never leaves the supported space.

Replayed step by step: after every control-plane hop each kubelet is within the skew the catalog
allows and every ordinary add-on runs inside its release's window; add-ons that follow the
control plane (cluster-autoscaler, CoreDNS) are back inside theirs before the next hop; the
control plane ends at the target; and with the minimal strategy each roll before the end was
forced by the next hop and went as far as the control plane, so no pool rolls more than needed.
On EKS clusters every managed node group (and the EKS add-on) is at the control plane's minor
whenever a control-plane hop starts.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kubecurrent.catalog import Catalog, DottedVersion, load_catalog
from kubecurrent.model import KubeVersion
from kubecurrent.model.inventory import ClusterInventory, InstalledAddon, NodePool
from kubecurrent.model.managed import EksCluster, ManagedAddon, ManagedNodegroup, SupportType
from kubecurrent.model.plan import ClusterPlan, Step
from kubecurrent.plan import PlanPolicy, Rules, plan_cluster
from kubecurrent.plan._rules import key, label
from kubecurrent.plan._work import follows_control_plane

CATALOG: Catalog = load_catalog()
RULES = Rules(CATALOG)


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[ClusterInventory, KubeVersion, PlanPolicy]:
    cp_minor = draw(st.integers(min_value=22, max_value=36))
    target_minor = draw(st.integers(min_value=cp_minor, max_value=36))
    allowed = RULES.kubelet_max_older(1000 + cp_minor) or 0
    pools = tuple(
        NodePool(
            name=f"p{i}", kubelet=KubeVersion(1, cp_minor - lag, draw(st.integers(0, 9))), nodes=1
        )
        for i, lag in enumerate(draw(st.lists(st.integers(0, allowed), max_size=3)))
    )
    candidates = [
        a
        for a in CATALOG.addons
        if any(r.kubernetes_min.minor <= cp_minor <= r.kubernetes_max.minor for r in a.releases)
        and a.latest_release().kubernetes_max.minor >= target_minor
    ]
    chosen = (
        draw(st.lists(st.sampled_from(candidates), unique_by=lambda a: a.name, max_size=6))
        if candidates
        else []
    )
    addons = []
    for addon in chosen:
        fits = [
            r
            for r in addon.releases
            if r.kubernetes_min.minor <= cp_minor <= r.kubernetes_max.minor
        ]
        addons.append(
            InstalledAddon(name=addon.name, version=str(draw(st.sampled_from(fits)).version))
        )
    inventory = ClusterInventory(
        name="prop",
        control_plane=KubeVersion(1, cp_minor, draw(st.integers(0, 5))),
        node_pools=pools,
        addons=tuple(addons),
    )
    target = CATALOG.release(KubeVersion(1, target_minor).minor_version)
    assert target is not None
    policy = PlanPolicy(node_strategy=draw(st.sampled_from(["minimal", "lockstep"])))
    return inventory, target.latest_patch, policy


def _window(name: str, version: str) -> tuple[int, int]:
    line = RULES.line_of(CATALOG.addon(name), version)  # type: ignore[arg-type]
    assert line is not None
    found = RULES.lines(CATALOG.addon(name))[line]  # type: ignore[arg-type]
    return found.lo, found.hi


class Replay:
    def __init__(self, inventory: ClusterInventory) -> None:
        self.cp = key(inventory.control_plane.minor_version)
        self.pools = {p.name: key(p.kubelet.minor_version) for p in inventory.node_pools}
        self.addons = {a.name: a.version for a in inventory.addons}

    def apply(self, step: Step) -> None:
        if step.type == "control-plane":
            self.cp = key(KubeVersion.parse(step.to or "").minor_version)
        elif step.type == "node-pool":
            self.pools[step.target] = key(KubeVersion.parse(step.to or "").minor_version)
        elif step.type == "addon" and step.managed_by is None:  # EKS add-ons are not catalog ones
            self.addons[step.target] = step.to or ""

    def assert_skew(self) -> None:
        allowed = RULES.kubelet_max_older(self.cp)
        assert allowed is not None
        for name, kubelet in self.pools.items():
            assert self.cp - allowed <= kubelet <= self.cp, (name, kubelet, self.cp)

    def assert_addons(self, *, followers: bool) -> None:
        for name, version in self.addons.items():
            if followers or not follows_control_plane(CATALOG.addon(name)):  # type: ignore[arg-type]
                lo, hi = _window(name, version)
                assert lo <= self.cp <= hi, (name, version, self.cp)


def _replay(inventory: ClusterInventory, plan: ClusterPlan) -> Replay:
    state = Replay(inventory)
    for step in plan.steps:
        if step.type == "control-plane":
            state.assert_addons(followers=True)  # the previous hop is complete
        state.apply(step)
        if step.type == "control-plane":
            state.assert_skew()
            state.assert_addons(followers=False)
    state.assert_addons(followers=True)
    return state


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_every_intermediate_state_is_supported_and_the_path_ends_at_the_target(
    scenario: tuple[ClusterInventory, KubeVersion, PlanPolicy],
) -> None:
    inventory, target, policy = scenario
    plan = plan_cluster(inventory, RULES, target, policy)
    if plan.status == "blocked":
        # Only a gap in an add-on's releases may block these clusters, and the reason says so.
        assert all(any(a.name in r for a in inventory.addons) for r in plan.reasons), plan.reasons
        return
    state = _replay(inventory, plan)
    assert state.cp == key(target.minor_version)
    assert all(kubelet == state.cp for kubelet in state.pools.values())
    hops = [s for s in plan.steps if s.type == "control-plane"]
    assert all(s.to == str(target).removeprefix("v") for s in hops[-1:])


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_minimal_strategy_rolls_a_pool_only_when_forced_and_as_far_as_possible(
    scenario: tuple[ClusterInventory, KubeVersion, PlanPolicy],
) -> None:
    inventory, target, _ = scenario
    minimal = plan_cluster(inventory, RULES, target, PlanPolicy(node_strategy="minimal"))
    lockstep = plan_cluster(inventory, RULES, target, PlanPolicy(node_strategy="lockstep"))
    if minimal.status == "blocked":
        return
    cp = key(inventory.control_plane.minor_version)
    last_hop = max((s.hop for s in minimal.steps), default=0)
    for step in minimal.steps:
        if step.type == "control-plane":
            cp = key(KubeVersion.parse(step.to or "").minor_version)
        elif step.type == "node-pool" and step.hop < last_hop:
            kubelet = key(KubeVersion.parse(step.from_).minor_version)
            allowed = RULES.kubelet_max_older(cp + 1)
            assert allowed is not None and kubelet < cp + 1 - allowed, step  # forced
            assert key(KubeVersion.parse(step.to or "").minor_version) == cp, (
                step
            )  # as far as it goes
    assert minimal.totals.node_rolls <= lockstep.totals.node_rolls
    for pool in inventory.node_pools:
        final = [
            s
            for s in minimal.steps
            if s.type == "node-pool" and s.target == pool.name and s.hop == last_hop
        ]
        assert len(final) <= 2  # at most the forced roll before the last hop and the final one
    assert DottedVersion.parse("1.0") < DottedVersion.parse("1.1")  # the catalog type is in use


@st.composite
def eks_scenarios(draw: st.DrawFn) -> tuple[ClusterInventory, KubeVersion, PlanPolicy]:
    """EKS clusters: managed node groups and self-managed pools within the skew, one EKS add-on."""
    cp_minor = draw(st.integers(min_value=24, max_value=35))
    target_minor = draw(st.integers(min_value=cp_minor, max_value=36))
    lags = draw(st.lists(st.integers(0, 2), min_size=1, max_size=4))
    managed = draw(st.lists(st.booleans(), min_size=len(lags), max_size=len(lags)))
    pools = tuple(
        NodePool(name=f"p{i}", kubelet=KubeVersion(1, cp_minor - lag, 1), nodes=1)
        for i, lag in enumerate(lags)
    )
    per_minor = {f"1.{m}": (f"v1.{m}.0-eksbuild.1",) for m in range(cp_minor, target_minor + 1)}
    eks = EksCluster(
        name="prop",
        region="eu-west-1",
        account="111122223333",
        arn="arn:aws:eks:eu-west-1:111122223333:cluster/prop",
        minor=f"1.{cp_minor}",
        platform_version="eks.1",
        status="ACTIVE",
        support_type=SupportType.EXTENDED,
        nodegroups=tuple(
            ManagedNodegroup(name=p.name, minor=str(p.kubelet.minor_version), status="ACTIVE")
            for p, m in zip(pools, managed, strict=True)
            if m
        ),
        addons=(
            ManagedAddon(
                name="kube-proxy",
                version=f"v1.{cp_minor}.0-eksbuild.1",
                status="ACTIVE",
                compatible=per_minor,
            ),
        ),
    )
    inventory = ClusterInventory(
        name="prop", control_plane=KubeVersion(1, cp_minor, 1), node_pools=pools, managed=eks
    )
    target = CATALOG.release(KubeVersion(1, target_minor).minor_version)
    assert target is not None
    policy = PlanPolicy(node_strategy=draw(st.sampled_from(["minimal", "lockstep"])))
    return inventory, target.latest_patch, policy


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(eks_scenarios())
def test_eks_node_groups_are_never_behind_the_control_plane_when_a_hop_starts(
    scenario: tuple[ClusterInventory, KubeVersion, PlanPolicy],
) -> None:
    inventory, target, policy = scenario
    plan = plan_cluster(inventory, RULES, target, policy)
    assert plan.status == "ok", plan.reasons
    assert inventory.managed is not None
    groups = {g.name for g in inventory.managed.nodegroups}
    state = _replay(inventory, plan)  # the generic invariants hold for EKS clusters too
    assert state.cp == key(target.minor_version)
    replay = Replay(inventory)
    proxy = inventory.managed.addons[0].version
    for step in plan.steps:
        if step.type == "control-plane":
            behind = {g: replay.pools[g] for g in groups if replay.pools[g] != replay.cp}
            assert not behind, (step, behind)
            assert proxy == f"v{label(replay.cp)}.0-eksbuild.1"  # the EKS add-on fits the minor
        if step.type == "addon" and step.managed_by == "eks":
            proxy = step.to or ""
        else:
            replay.apply(step)
    assert all(replay.pools[g] == replay.cp for g in groups)
