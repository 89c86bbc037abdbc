"""The planner on an Amazon EKS cluster: EKS's rules on top of the generic ones (no cluster, no AWS).

The inventories are written by hand in the shape the EKS collector fills (``managed``).
"""

from __future__ import annotations

from typing import Any

import pytest

from kubecurrent.catalog import Catalog
from kubecurrent.model import KubeVersion
from kubecurrent.model.inventory import ClusterInventory
from kubecurrent.model.plan import ClusterPlan
from kubecurrent.plan import action, plan_cluster
from tests.unit.plan.conftest import cluster

pytestmark = pytest.mark.unit

TARGET = KubeVersion.parse("1.37.2")
ADDONS: list[dict[str, Any]] = [
    {  # offered for every minor of the path: never moves
        "name": "vpc-cni",
        "version": "v1.19.0-eksbuild.1",
        "status": "ACTIVE",
        "compatible": {
            "1.35": ["v1.19.0-eksbuild.1"],
            "1.36": ["v1.19.2-eksbuild.1", "v1.19.0-eksbuild.1"],
            "1.37": ["v1.19.2-eksbuild.1", "v1.19.0-eksbuild.1"],
        },
        "defaults": {"1.36": "v1.19.2-eksbuild.1", "1.37": "v1.19.2-eksbuild.1"},
    },
    {  # its version for 1.36 also serves 1.37: moves once
        "name": "coredns",
        "version": "v1.11.4-eksbuild.2",
        "status": "ACTIVE",
        "compatible": {
            "1.35": ["v1.11.4-eksbuild.2"],
            "1.36": ["v1.12.1-eksbuild.1"],
            "1.37": ["v1.12.1-eksbuild.1"],
        },
        "defaults": {"1.36": "v1.12.1-eksbuild.1", "1.37": "v1.12.1-eksbuild.1"},
    },
    {  # one version per minor, no default for 1.37: the newest offered
        "name": "kube-proxy",
        "version": "v1.35.0-eksbuild.1",
        "status": "ACTIVE",
        "compatible": {
            "1.35": ["v1.35.0-eksbuild.1"],
            "1.36": ["v1.36.2-eksbuild.1"],
            "1.37": ["v1.37.1-eksbuild.2", "v1.37.0-eksbuild.1"],
        },
        "defaults": {"1.36": "v1.36.2-eksbuild.1"},
    },
]


def eks_cluster(
    cp: str = "1.35.10",
    pools: dict[str, str] | None = None,
    nodegroups: tuple[str, ...] = ("ng-a", "ng-b"),
    **managed: Any,
) -> ClusterInventory:
    pools = pools if pools is not None else {"ng-a": cp, "ng-b": cp, "self-managed": cp}
    facts = {
        "name": "prod",
        "region": "eu-west-1",
        "account": "111122223333",
        "arn": "arn:aws:eks:eu-west-1:111122223333:cluster/prod",
        "minor": ".".join(cp.split(".")[:2]),
        "platformVersion": "eks.5",
        "status": "ACTIVE",
        "supportType": "standard",
        "offeredMinors": ["1.33", "1.34", "1.35", "1.36", "1.37"],
        "nodegroups": [
            {"name": n, "minor": ".".join(pools[n].split(".")[:2]), "status": "ACTIVE"}
            for n in nodegroups
        ],
        "addons": ADDONS,
        **managed,
    }
    return cluster(cp, pools, managed=facts)


def rows(plan: ClusterPlan) -> list[tuple[int, str, str, str, str | None, str | None]]:
    return [(s.hop, s.type, s.target, s.from_, s.to, s.managed_by) for s in plan.steps]


def test_node_groups_roll_every_hop_and_eks_addons_follow_in_exact_order(
    catalog: Catalog,
) -> None:
    plan = plan_cluster(eks_cluster(), catalog, TARGET)
    assert plan.status == "ok", plan.reasons
    assert rows(plan) == [
        (1, "control-plane", "control-plane", "1.35.10", "1.36.6", None),
        (1, "node-pool", "ng-a", "1.35.10", "1.36.6", "eks"),
        (1, "node-pool", "ng-b", "1.35.10", "1.36.6", "eks"),
        (1, "addon", "coredns", "v1.11.4-eksbuild.2", "v1.12.1-eksbuild.1", "eks"),
        (1, "addon", "kube-proxy", "v1.35.0-eksbuild.1", "v1.36.2-eksbuild.1", "eks"),
        (1, "check", "control-plane", "1.36.6", "1.36.6", None),
        (2, "control-plane", "control-plane", "1.36.6", "1.37.2", None),
        (2, "node-pool", "ng-a", "1.36.6", "1.37.2", "eks"),
        (2, "node-pool", "ng-b", "1.36.6", "1.37.2", "eks"),
        (2, "addon", "kube-proxy", "v1.36.2-eksbuild.1", "v1.37.1-eksbuild.2", "eks"),
        (2, "node-pool", "self-managed", "1.35.10", "1.37.2", None),
        (2, "check", "control-plane", "1.37.2", "1.37.2", None),
    ]


def test_every_step_is_explained_and_cites_eks_where_eks_decides(catalog: Catalog) -> None:
    plan = plan_cluster(eks_cluster(), catalog, TARGET)
    assert all(s.why and s.without for s in plan.steps)
    ng = next(s for s in plan.steps if s.target == "ng-a")
    assert "managed node group" in ng.why and "update-cluster.html" in ng.why
    proxy = [s for s in plan.steps if s.target == "kube-proxy"]
    assert "EKS's default" in proxy[0].why and "the newest EKS offers" in proxy[1].why


def test_a_self_managed_pool_keeps_the_skew_rule_and_says_eks_does_not_roll_it(
    catalog: Catalog,
) -> None:
    plan = plan_cluster(eks_cluster(), catalog, TARGET)
    own = [s for s in plan.steps if s.target == "self-managed"]
    assert len(own) == 1  # the generic minimal strategy: once, at the end
    assert "EKS does not roll this pool" in own[0].why


def test_a_node_group_behind_the_control_plane_rolls_before_the_first_hop(
    catalog: Catalog,
) -> None:
    inv = eks_cluster(pools={"ng-a": "1.34.3", "ng-b": "1.35.10"})
    plan = plan_cluster(inv, catalog, KubeVersion.parse("1.36.6"))
    assert rows(plan)[:2] == [
        (0, "node-pool", "ng-a", "1.34.3", "1.35.10", "eks"),
        (1, "control-plane", "control-plane", "1.35.10", "1.36.6", None),
    ]


def test_a_target_eks_does_not_offer_blocks_naming_the_offered_minors(catalog: Catalog) -> None:
    inv = eks_cluster(offeredMinors=["1.34", "1.35", "1.36"])
    plan = plan_cluster(inv, catalog, TARGET)
    assert plan.status == "blocked" and not plan.steps
    assert plan.reasons == (
        "EKS does not offer Kubernetes 1.37 for cluster prod (EKS offers: 1.34, 1.35, 1.36); "
        "choose a target among those, or wait until EKS offers it and collect the inventory "
        "again",
    )


def test_without_offered_minors_the_catalog_calendar_decides(catalog: Catalog) -> None:
    plan = plan_cluster(eks_cluster(offeredMinors=[]), catalog, TARGET)
    assert plan.status == "blocked"
    assert "the catalog's EKS calendar lists" in plan.reasons[0]
    assert "1.36" in plan.reasons[0] and "for cluster prod" in plan.reasons[0]
    ok = plan_cluster(eks_cluster(offeredMinors=[]), catalog, KubeVersion.parse("1.36.6"))
    assert ok.status == "ok"


def test_an_eks_addon_without_a_version_for_the_next_minor_blocks(catalog: Catalog) -> None:
    addon = {**ADDONS[1], "compatible": {"1.35": ["v1.11.4-eksbuild.2"]}, "defaults": {}}
    plan = plan_cluster(eks_cluster(addons=[addon]), catalog, TARGET)
    assert plan.status == "blocked"
    assert plan.reasons[0].startswith(
        "EKS add-on coredns v1.11.4-eksbuild.2: EKS offers no version of it for Kubernetes 1.36"
    )


def test_fargate_pods_are_restarted_after_every_hop(catalog: Catalog) -> None:
    inv = eks_cluster(fargateProfiles=[{"name": "batch", "status": "ACTIVE"}])
    plan = plan_cluster(inv, catalog, TARGET)
    fargate = [s for s in plan.steps if s.target == "fargate"]
    assert [(s.hop, s.type, s.to) for s in fargate] == [
        (1, "check", "1.36.6"),
        (2, "check", "1.37.2"),
    ]
    assert "batch" in fargate[0].why and "restart" in fargate[0].why


def test_an_eks_addon_is_not_also_planned_from_the_catalog(catalog: Catalog) -> None:
    """coredns is also a catalog add-on; on EKS the EKS add-on API moves it, once per need."""
    inv = eks_cluster().model_copy(
        update={"addons": cluster("1.35.10", addons={"coredns": "1.11.4"}).addons}
    )
    plan = plan_cluster(inv, catalog, TARGET)
    coredns = [s for s in plan.steps if s.target == "coredns"]
    assert [s.managed_by for s in coredns] == ["eks"]


def test_a_cluster_without_a_provider_plans_as_before(catalog: Catalog) -> None:
    inv = cluster("1.35.10", {"ng-a": "1.35.10"})
    plan = plan_cluster(inv, catalog, TARGET)
    assert [s.target for s in plan.steps if s.type == "node-pool"] == ["ng-a"]
    assert all(s.managed_by is None for s in plan.steps)


def test_runbooks_name_eks_steps_as_eks_does(catalog: Catalog) -> None:
    inv = eks_cluster(fargateProfiles=[{"name": "batch", "status": "ACTIVE"}])
    names = {action(s) for s in plan_cluster(inv, catalog, TARGET).steps}
    assert {
        "Roll EKS managed node group ng-a",
        "Upgrade EKS add-on coredns",
        "Restart Fargate pods",
        "Roll node pool self-managed",
    } <= names


def test_before_the_first_hop_an_eks_addon_eks_no_longer_offers_moves(catalog: Catalog) -> None:
    stale = {**ADDONS[2], "version": "v1.34.9-eksbuild.1"}  # kube-proxy of the previous minor
    plan = plan_cluster(eks_cluster(addons=[stale]), catalog, KubeVersion.parse("1.36.6"))
    assert rows(plan)[0] == (
        0,
        "addon",
        "kube-proxy",
        "v1.34.9-eksbuild.1",
        "v1.35.0-eksbuild.1",
        "eks",
    )
    assert "the current control-plane minor 1.35" in plan.steps[0].why


def test_an_unknown_pairing_with_the_current_minor_is_left_alone(catalog: Catalog) -> None:
    addon = {
        **ADDONS[1],
        "compatible": {k: v for k, v in ADDONS[1]["compatible"].items() if k != "1.35"},
    }
    plan = plan_cluster(eks_cluster(addons=[addon]), catalog, TARGET)
    assert plan.status == "ok"
    assert [s.hop for s in plan.steps if s.target == "coredns"] == [1]
