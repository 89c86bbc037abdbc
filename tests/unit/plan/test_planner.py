"""The planner, one behaviour per test, against the built-in catalog."""

from __future__ import annotations

import datetime as dt

import pytest

from kubecurrent.catalog import Catalog
from kubecurrent.errors import UsageError
from kubecurrent.model import KubeVersion
from kubecurrent.model.plan import ClusterPlan
from kubecurrent.plan import PlanPolicy, plan_cluster, plan_fleet, resolve_target
from tests.unit.plan.conftest import cluster

V = KubeVersion.parse


def tgt(catalog: Catalog, text: str) -> KubeVersion:
    return resolve_target(catalog, text, dt.date(2026, 11, 25))


def steps_of(
    plan: ClusterPlan, type_: str, target: str | None = None
) -> list[tuple[str, str | None]]:
    return [
        (s.from_, s.to)
        for s in plan.steps
        if s.type == type_ and (target is None or s.target == target)
    ]


def test_control_plane_moves_one_minor_at_a_time_to_each_latest_patch(catalog: Catalog) -> None:
    plan = plan_cluster(cluster("1.27.9"), catalog, tgt(catalog, "1.30"))
    assert plan.status == "ok"
    assert steps_of(plan, "control-plane") == [
        ("1.27.9", "1.28.15"),
        ("1.28.15", "1.29.14"),
        ("1.29.14", "1.30.14"),
    ]
    assert plan.path() == ["1.27.9", "1.28.15", "1.29.14", "1.30.14"]


def test_an_explicit_target_patch_is_the_last_hop(catalog: Catalog) -> None:
    target = resolve_target(catalog, "1.29.3", dt.date(2026, 11, 25))
    plan = plan_cluster(cluster("1.28.1"), catalog, target)
    assert steps_of(plan, "control-plane") == [("1.28.1", "1.29.3")]


def test_addon_moves_once_to_the_release_spanning_the_most_hops(catalog: Catalog) -> None:
    plan = plan_cluster(cluster("1.24.9", addons={"cert-manager": "1.9.1"}), catalog, V("1.32.13"))
    moves = [s for s in plan.steps if s.type == "addon"]
    assert [(s.from_, s.to) for s in moves] == [("1.9.1", "1.12")]
    assert moves[0].hop == 1  # before the hop to 1.25, the first one 1.9 does not support
    assert "already covers the target 1.32" in moves[0].why
    assert "1.25" in moves[0].without


def test_addon_move_is_placed_before_the_hop_that_needs_it(catalog: Catalog) -> None:
    plan = plan_cluster(cluster("1.29.4", addons={"traefik": "3.2.1"}), catalog, V("1.33.13"))
    order = [(s.type, s.to) for s in plan.steps if s.type in ("addon", "control-plane")]
    # traefik 3.2 runs on 1.29-1.31: it moves before the hop to 1.32, not earlier, to the newest
    # of the releases that reach the target (3.4 and 3.5 both run on 1.31-1.33).
    assert order.index(("addon", "3.5.6")) == order.index(("control-plane", "1.32.13")) - 1


def test_cluster_autoscaler_follows_every_hop(catalog: Catalog) -> None:
    plan = plan_cluster(
        cluster("1.27.9", addons={"cluster-autoscaler": "1.27.3"}), catalog, V("1.30.14")
    )
    types = [s.type for s in plan.steps if s.type in ("addon", "control-plane")]
    assert types == ["control-plane", "addon"] * 3
    assert steps_of(plan, "addon") == [("1.27.3", "1.28.7"), ("1.28.7", "1.29"), ("1.29", "1.30")]


def test_minimal_strategy_rolls_a_pool_only_when_skew_requires_and_at_the_end(
    catalog: Catalog,
) -> None:
    plan = plan_cluster(cluster("1.28.3", {"general": "1.27.1"}), catalog, V("1.33.13"))
    rolls = [(s.hop, s.from_, s.to) for s in plan.steps if s.type == "node-pool"]
    # 1.27 kubelets are fine up to a 1.30 control plane (3 minors); the hop to 1.31 needs a roll.
    assert rolls == [(3, "1.27.1", "1.30.14"), (5, "1.30.14", "1.33.13")]


def test_kubelet_skew_before_1_28_is_two_minors(catalog: Catalog) -> None:
    plan = plan_cluster(cluster("1.25.3", {"general": "1.24.1"}), catalog, V("1.27.16"))
    rolls = [(s.hop, s.to) for s in plan.steps if s.type == "node-pool"]
    assert rolls == [(2, "1.26.15"), (2, "1.27.16")]


def test_lockstep_strategy_rolls_every_pool_every_hop(catalog: Catalog) -> None:
    policy = PlanPolicy(node_strategy="lockstep")
    plan = plan_cluster(
        cluster("1.28.3", {"a": "1.28.3", "b": "1.27.1"}), catalog, tgt(catalog, "1.31"), policy
    )
    assert len(steps_of(plan, "node-pool", "a")) == 3
    assert len(steps_of(plan, "node-pool", "b")) == 3


def test_a_pool_already_outside_the_skew_rolls_pre_flight_in_allowed_jumps(
    catalog: Catalog,
) -> None:
    plan = plan_cluster(cluster("1.30.2", {"old": "1.25.4"}), catalog, V("1.30.14"))
    pre = [(s.from_, s.to) for s in plan.steps if s.type == "node-pool" and s.hop == 0]
    assert pre == [("1.25.4", "1.28.15"), ("1.28.15", "1.30.2")]
    assert "already more than 3 minors behind" in plan.steps[0].why


def test_a_kubelet_newer_than_the_control_plane_blocks(catalog: Catalog) -> None:
    plan = plan_cluster(cluster("1.29.1", {"new": "1.30.2"}), catalog, tgt(catalog, "1.31"))
    assert plan.status == "blocked"
    assert plan.steps == ()
    assert "node pool new: kubelet 1.30.2 is newer than the control plane 1.29.1" in plan.reasons[0]


def test_a_retired_addon_without_a_release_for_the_target_blocks_with_alternatives(
    catalog: Catalog,
) -> None:
    plan = plan_cluster(
        cluster("1.33.5", addons={"ingress-nginx": "1.13.3"}), catalog, tgt(catalog, "1.36")
    )
    assert plan.status == "blocked"
    assert "ingress-nginx (retired since" in plan.reasons[0]
    assert "no release in the catalog supports Kubernetes 1.36" in plan.reasons[0]
    flags = [a.flag for a in plan.alternatives]
    assert "--replace ingress-nginx=envoy-gateway" in flags
    assert "--remove ingress-nginx" in flags
    assert flags[-1] == "--target 1.35"


def test_replace_installs_the_replacement_where_the_old_addon_stops(catalog: Catalog) -> None:
    policy = PlanPolicy(replace=(("ingress-nginx", "envoy-gateway"),))
    plan = plan_cluster(
        cluster("1.34.2", addons={"ingress-nginx": "1.15.1"}), catalog, tgt(catalog, "1.36"), policy
    )
    assert plan.status == "ok"
    (replace,) = [s for s in plan.steps if s.type == "replace"]
    assert (replace.hop, replace.from_, replace.to) == (
        2,
        "ingress-nginx 1.15.1",
        "envoy-gateway 1.9.2",
    )


def test_remove_drops_an_addon_that_cannot_follow(catalog: Catalog) -> None:
    policy = PlanPolicy(remove=frozenset({"krustlet"}))
    plan = plan_cluster(
        cluster("1.24.1", addons={"krustlet": "1.0.0-alpha.1"}),
        catalog,
        tgt(catalog, "1.25"),
        policy,
    )
    assert (plan.steps[0].type, plan.steps[0].hop, plan.steps[0].to) == ("remove", 0, None)


def test_no_release_for_both_sides_of_a_hop_is_explained_as_a_two_step(catalog: Catalog) -> None:
    # wasmcloud-operator 0.2 runs on 1.27-1.30 and 2.0 on 1.31-1.35: nothing spans 1.30 -> 1.31.
    plan = plan_cluster(
        cluster("1.30.2", addons={"wasmcloud-operator": "0.2.1"}), catalog, tgt(catalog, "1.32")
    )
    assert plan.status == "blocked"
    assert (
        "no release runs on both 1.30 and 1.31; 0.2 is the newest for 1.30 and 2.0 the oldest"
        in (plan.reasons[0])
    )
    assert [a.kind for a in plan.alternatives] == ["remove"]  # 1.30 is where it already is


def test_api_migrations_run_pre_flight_and_name_the_replacement(catalog: Catalog) -> None:
    inv = cluster(
        "1.24.3", apiUsage=[{"apiVersion": "batch/v1beta1", "kind": "CronJob", "count": 3}]
    )
    plan = plan_cluster(inv, catalog, tgt(catalog, "1.26"))
    (migration,) = [s for s in plan.steps if s.type == "migration"]
    assert (migration.hop, migration.target, migration.from_, migration.to) == (
        0,
        "CronJob",
        "batch/v1beta1",
        "batch/v1",
    )
    assert (
        "3 CronJob objects use batch/v1beta1, which Kubernetes 1.25 no longer serves"
        in migration.why
    )


def test_api_removed_beyond_the_target_is_not_migrated(catalog: Catalog) -> None:
    inv = cluster("1.22.3", apiUsage=[{"apiVersion": "batch/v1beta1", "kind": "CronJob"}])
    assert steps_of(plan_cluster(inv, catalog, tgt(catalog, "1.24")), "migration") == []


def test_crd_stored_versions_migrate_before_the_addon_drops_them(catalog: Catalog) -> None:
    crd = {
        "name": "certificates.cert-manager.io",
        "group": "cert-manager.io",
        "kind": "Certificate",
        "storedVersions": ["v1alpha2", "v1"],
    }
    inv = cluster("1.22.3", addons={"cert-manager": "1.6.1"}, crds=[crd])
    plan = plan_cluster(inv, catalog, tgt(catalog, "1.24"))
    types = [(s.type, s.target) for s in plan.steps if s.type in ("migration", "addon")]
    assert types == [("migration", "certificates.cert-manager.io"), ("addon", "cert-manager")]
    assert "status.storedVersions" in plan.steps[0].why


def test_blue_green_is_priced_only_beyond_the_threshold(catalog: Catalog) -> None:
    far = plan_cluster(cluster("1.27.9", {"p": "1.27.9"}), catalog, tgt(catalog, "1.32"))
    near = plan_cluster(cluster("1.28.9", {"p": "1.28.9"}), catalog, tgt(catalog, "1.32"))
    assert near.blue_green is None
    assert far.blue_green is not None
    assert far.blue_green.minors_behind == 5
    assert far.blue_green.in_place.hops == 5
    assert "one new 1.32 cluster with 1 node pools (3 nodes)" in far.blue_green.summary


def test_a_cluster_at_the_target_has_nothing_to_do(catalog: Catalog) -> None:
    plan = plan_cluster(cluster("1.36.6", {"p": "1.36.6"}), catalog, tgt(catalog, "1.36"))
    assert (plan.status, plan.steps) == ("ok", ())


def test_a_cluster_above_the_target_is_blocked(catalog: Catalog) -> None:
    plan = plan_cluster(cluster("1.37.1"), catalog, tgt(catalog, "1.36"))
    assert plan.status == "blocked"
    assert "does not plan downgrades" in plan.reasons[0]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("latest", "v1.37.2"), ("latest-supported", "v1.37.2"), ("1.30", "v1.30.14")],
)
def test_targets_resolve_from_the_catalog(catalog: Catalog, text: str, expected: str) -> None:
    assert str(resolve_target(catalog, text, dt.date(2026, 11, 25))) == expected


def test_latest_supported_depends_on_the_day(catalog: Catalog) -> None:
    assert str(resolve_target(catalog, "latest-supported", dt.date(2026, 5, 1))) == "v1.36.6"


def test_an_unknown_target_is_a_usage_error_listing_known_ones(catalog: Catalog) -> None:
    with pytest.raises(UsageError, match=r"does not know Kubernetes 1\.99") as err:
        resolve_target(catalog, "1.99", dt.date(2026, 11, 25))
    assert "1.37" in (err.value.hint or "")


def test_fleet_groups_identical_paths_and_sums_totals(catalog: Catalog) -> None:
    fleet = plan_fleet(
        [
            cluster("1.30.2", {"p": "1.30.2"}, name="a"),
            cluster("1.30.2", {"p": "1.30.2"}, name="b"),
            cluster("1.31.1", name="c"),
        ],
        catalog,
        tgt(catalog, "1.32"),
    )
    assert [g.clusters for g in fleet.groups] == [("a", "b"), ("c",)]
    assert fleet.totals.hops == 2 + 2 + 1
    assert fleet.totals.node_rolls == 2
    data = fleet.to_json()
    assert data["target"] == "1.32"
    step = data["clusters"][0]["steps"][0]
    assert set(step) >= {"order", "type", "target", "from", "to", "why"}
