"""GKE's resources into the model, the planner's GKE rules and the maintenance policy as plan
holds, without Google: resources are built with the SDK's own message types."""

from __future__ import annotations

import datetime as dt

import pytest
from google.cloud import container_v1 as gke

from kubecurrent.catalog import load_catalog
from kubecurrent.collect.gke import cluster_of, endpoint_url, to_dict
from kubecurrent.model import KubeVersion
from kubecurrent.model.gke import (
    Channel,
    ExclusionScope,
    GkeCluster,
    MaintenancePolicy,
    RecurringWindow,
    UpgradeStrategy,
)
from kubecurrent.model.inventory import ClusterInventory, NodePool
from kubecurrent.model.plan import Hold
from kubecurrent.plan import plan_cluster
from kubecurrent.plan._gke import MAINTENANCE_URL, windows
from kubecurrent.plan._text import hold_text
from kubecurrent.rollout._windows import hold_opening, unenforced

UTC = dt.UTC


def _cluster(channel: int = gke.ReleaseChannel.Channel.REGULAR) -> gke.Cluster:
    return gke.Cluster(
        name="web",
        location="europe-west1",
        self_link="https://container.googleapis.com/v1/projects/shop/locations/europe-west1/clusters/web",
        current_master_version="1.36.3-gke.1200",
        status=gke.Cluster.Status.RUNNING,
        endpoint="10.0.0.2",
        master_auth=gke.MasterAuth(cluster_ca_certificate="Q0E="),
        release_channel=gke.ReleaseChannel(channel=channel),
        node_pools=[
            gke.NodePool(
                name="default-pool",
                version="1.36.3-gke.1200",
                status=gke.NodePool.Status.RUNNING,
                management=gke.NodeManagement(auto_upgrade=True),
                autoscaling=gke.NodePoolAutoscaling(
                    enabled=True, min_node_count=1, max_node_count=5
                ),
                upgrade_settings=gke.NodePool.UpgradeSettings(max_surge=2, max_unavailable=1),
            ),
            gke.NodePool(
                name="gpu",
                version="1.35.4-gke.1200",
                upgrade_settings=gke.NodePool.UpgradeSettings(
                    strategy=gke.NodePoolUpdateStrategy.BLUE_GREEN,
                    blue_green_settings=gke.BlueGreenSettings(
                        standard_rollout_policy=gke.BlueGreenSettings.StandardRolloutPolicy(
                            batch_node_count=1
                        ),
                        node_pool_soak_duration="600s",
                    ),
                ),
            ),
        ],
        maintenance_policy=gke.MaintenancePolicy(
            window=gke.MaintenanceWindow(
                recurring_window=gke.RecurringTimeWindow(
                    window=gke.TimeWindow(
                        start_time="2026-01-03T02:00:00Z", end_time="2026-01-03T06:00:00Z"
                    ),
                    recurrence="FREQ=WEEKLY;BYDAY=SA,SU",
                ),
                maintenance_exclusions={
                    "holiday-freeze": gke.TimeWindow(
                        start_time="2026-12-20T00:00:00Z",
                        end_time="2027-01-04T00:00:00Z",
                        maintenance_exclusion_options=gke.MaintenanceExclusionOptions(
                            scope=gke.MaintenanceExclusionOptions.Scope.NO_MINOR_UPGRADES
                        ),
                    )
                },
            )
        ),
    )


def _server_config() -> gke.ServerConfig:
    return gke.ServerConfig(
        valid_master_versions=["1.37.2-gke.1200", "1.36.3-gke.1200", "1.35.4-gke.1200"],
        valid_node_versions=["1.37.2-gke.1200", "1.36.3-gke.1200", "1.35.4-gke.1200"],
        channels=[
            gke.ServerConfig.ReleaseChannelConfig(
                channel=gke.ReleaseChannel.Channel.REGULAR,
                default_version="1.36.3-gke.1200",
                valid_versions=["1.37.2-gke.1200", "1.36.3-gke.1200"],
            ),
            gke.ServerConfig.ReleaseChannelConfig(
                channel=gke.ReleaseChannel.Channel.STABLE,
                default_version="1.35.4-gke.1200",
                valid_versions=["1.36.3-gke.1200", "1.35.4-gke.1200"],
            ),
        ],
    )


def _operation(status: int, link: str) -> dict[str, object]:
    return to_dict(
        gke.Operation(
            name="operation-1",
            operation_type=gke.Operation.Type.UPGRADE_NODES,
            status=status,
            target_link=link,
        )
    )


def _facts(channel: int = gke.ReleaseChannel.Channel.REGULAR) -> GkeCluster:
    base = "https://container.googleapis.com/v1/projects/shop/locations/europe-west1/clusters/"
    ops = [
        _operation(gke.Operation.Status.RUNNING, base + "web/nodePools/gpu"),
        _operation(gke.Operation.Status.DONE, base + "web"),
        _operation(gke.Operation.Status.RUNNING, base + "webshop"),
    ]
    return cluster_of("shop", to_dict(_cluster(channel)), to_dict(_server_config()), ops)


def test_a_cluster_resource_maps_to_the_model() -> None:
    c = _facts()
    assert (c.project, c.location, c.name, c.channel) == (
        "shop",
        "europe-west1",
        "web",
        Channel.REGULAR,
    )
    assert (c.master_version, c.minor, c.status) == ("1.36.3-gke.1200", "1.36", "RUNNING")
    default, gpu = c.node_pools
    assert (default.auto_upgrade, default.autoscaling, default.min_nodes, default.max_nodes) == (
        True, True, 1, 5,
    )  # fmt: skip
    assert default.strategy_text() == "surge (maxSurge 2, maxUnavailable 1)"
    assert gpu.strategy is UpgradeStrategy.BLUE_GREEN
    assert gpu.strategy_text() == "blue-green (batch 1 nodes, soak 600s)"
    (freeze,) = c.maintenance.exclusions
    assert freeze.scope is ExclusionScope.NO_MINOR_UPGRADES
    assert freeze.start == dt.datetime(2026, 12, 20, tzinfo=UTC)
    assert c.maintenance.recurring is not None
    assert c.maintenance.recurring.recurrence == "FREQ=WEEKLY;BYDAY=SA,SU"
    assert c.offered_master_versions() == ("1.37.2-gke.1200", "1.36.3-gke.1200")
    assert [o.target_link.rsplit("/", 1)[-1] for o in c.operations] == ["gpu"]  # running, ours
    assert endpoint_url(to_dict(_cluster())) == ("https://10.0.0.2", "Q0E=")
    again = GkeCluster.model_validate_json(c.model_dump_json(by_alias=True))
    assert again == c


def _inventory(c: GkeCluster, pools: dict[str, str]) -> ClusterInventory:
    return ClusterInventory(
        name="web",
        control_plane=KubeVersion.parse(c.master_version),
        node_pools=tuple(
            NodePool(
                name=n, nodes=2, kubelet=KubeVersion.parse(v), label="cloud.google.com/gke-nodepool"
            )
            for n, v in pools.items()
        ),
        managed=c,
    )


def test_gke_pools_are_upgraded_by_gke_after_the_last_hop_with_their_strategy() -> None:
    c = _facts()
    inv = _inventory(c, {"default-pool": "1.36.3", "gpu": "1.35.4", "self-made": "1.36.3"})
    plan = plan_cluster(inv, load_catalog(), KubeVersion.parse("1.37.2"))
    assert plan.status == "ok", plan.reasons
    steps = [(s.type, s.target, s.managed_by) for s in plan.steps if s.type != "check"]
    assert steps[0] == ("control-plane", "control-plane", None)
    assert ("node-pool", "default-pool", "gke") in steps and ("node-pool", "gpu", "gke") in steps
    gpu = next(s for s in plan.steps if s.target == "gpu")
    assert "blue-green" in gpu.why and "two minors" not in gpu.why
    assert "at most 2 minors behind the master" in gpu.why
    mine = next(s for s in plan.steps if s.target == "self-made")
    assert mine.managed_by is None and "GKE does not upgrade this pool" in mine.why


def test_a_pool_two_minors_behind_is_upgraded_before_the_hop_that_would_leave_it_out() -> None:
    c = _facts()
    inv = _inventory(c, {"gpu": "1.34.1", "default-pool": "1.36.3"})
    plan = plan_cluster(inv, load_catalog(), KubeVersion.parse("1.37.2"))
    order = [(s.type, s.target) for s in plan.steps]
    assert order.index(("node-pool", "gpu")) < order.index(("control-plane", "control-plane"))


def test_a_target_the_channel_does_not_offer_blocks_the_plan_naming_the_channel() -> None:
    c = _facts(gke.ReleaseChannel.Channel.STABLE)
    plan = plan_cluster(_inventory(c, {}), load_catalog(), KubeVersion.parse("1.37.2"))
    assert plan.status == "blocked"
    assert "the STABLE channel in europe-west1 (1.35, 1.36)" in plan.reasons[0]
    assert "RAPID" in plan.reasons[0]


def test_the_maintenance_policy_becomes_holds_with_their_source() -> None:
    plan = plan_cluster(_inventory(_facts(), {}), load_catalog(), KubeVersion.parse("1.37.2"))
    freeze, window = plan.holds
    assert (freeze.kind, freeze.source) == (
        "blackout",
        'GKE maintenance exclusion "holiday-freeze"',
    )
    assert freeze.note == "scope NO_MINOR_UPGRADES"
    assert (window.kind, window.days) == ("window", ("sat", "sun"))

    inside = hold_opening(plan.holds, dt.datetime(2026, 12, 26, 3, 0, tzinfo=UTC))  # a Saturday
    assert not inside.open and 'GKE maintenance exclusion "holiday-freeze"' in inside.reason
    assert inside.next_open == dt.datetime(2027, 1, 9, 2, 0, tzinfo=UTC)  # first Saturday after
    weekday = hold_opening(plan.holds, dt.datetime(2026, 11, 4, 12, 0, tzinfo=UTC))  # Wednesday
    assert not weekday.open and weekday.reason.startswith("outside GKE maintenance window")
    assert weekday.next_open == dt.datetime(2026, 11, 7, 2, 0, tzinfo=UTC)
    assert hold_opening(plan.holds, dt.datetime(2026, 11, 8, 5, 59, tzinfo=UTC)).open


_START = dt.datetime(2026, 1, 3, 2, 0, tzinfo=UTC)  # a Saturday; windows last four hours


def _window(rule: str) -> Hold:
    recurring = RecurringWindow(start=_START, end=_START + dt.timedelta(hours=4), recurrence=rule)
    (window,) = windows(MaintenancePolicy(recurring=recurring))
    return window


@pytest.mark.parametrize(
    ("rule", "now", "next_open"),
    [
        ("FREQ=MONTHLY;BYDAY=1SA", dt.datetime(2026, 11, 10, 12), dt.datetime(2026, 12, 5, 2)),
        (
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=SA",
            dt.datetime(2026, 11, 10, 12),
            dt.datetime(2026, 11, 21, 2),
        ),
        ("FREQ=MONTHLY;BYDAY=-1SU", dt.datetime(2026, 11, 30, 12), dt.datetime(2026, 12, 27, 2)),
        ("FREQ=MONTHLY;BYMONTHDAY=31", dt.datetime(2027, 1, 31, 7), dt.datetime(2027, 3, 31, 2)),
        (
            "FREQ=MONTHLY;BYSETPOS=1;BYDAY=SA,SU",
            dt.datetime(2026, 11, 2, 3),
            dt.datetime(2026, 12, 5, 2),
        ),
    ],
)
def test_a_recurring_window_opens_when_its_rule_says(
    rule: str, now: dt.datetime, next_open: dt.datetime
) -> None:
    window = _window(rule)
    assert window.kind == "window" and window.source == f"GKE maintenance window ({rule})"
    closed = hold_opening((window,), now.replace(tzinfo=UTC))
    assert not closed.open and closed.reason == f"outside GKE maintenance window ({rule})"
    assert closed.next_open == next_open.replace(tzinfo=UTC)
    assert hold_opening((window,), closed.next_open + dt.timedelta(hours=3, minutes=59)).open
    assert not hold_opening((window,), closed.next_open + dt.timedelta(hours=4)).open


def test_a_rule_outside_the_subset_is_refused_with_its_reason_and_holds_nothing() -> None:
    refused = _window("FREQ=WEEKLY;BYDAY=SA;COUNT=4")
    assert refused.kind == "refused"
    assert refused.note.startswith("COUNT is not enforced by kubecurrent;")
    assert MAINTENANCE_URL in refused.note
    assert hold_opening((refused,), dt.datetime(2026, 11, 4, 12, tzinfo=UTC)).open
    assert unenforced((refused,)) == (
        f"window not enforced: GKE maintenance window (FREQ=WEEKLY;BYDAY=SA;COUNT=4) ({refused.note})"
    )
    assert hold_text(refused) == unenforced((refused,))


def test_plans_show_the_holds_in_words() -> None:
    from kubecurrent.model.plan import FleetPlan
    from kubecurrent.plan import render_markdown

    plan = plan_cluster(_inventory(_facts(), {}), load_catalog(), KubeVersion.parse("1.37.2"))
    text = render_markdown(FleetPlan(target="1.37", clusters=(plan,), groups=()))
    assert (
        '- no start: GKE maintenance exclusion "holiday-freeze" 2026-12-20 00:00 → '
        "2027-01-04 00:00 UTC (scope NO_MINOR_UPGRADES)"
    ) in text
    assert (
        "- start only in: GKE maintenance window (FREQ=WEEKLY;BYDAY=SA,SU) sat, sun 02:00 UTC for 4:00:00"
        in text
    )
    assert "holds" in plan.to_json()
    bare = plan.model_copy(update={"holds": ()})
    assert "holds" not in bare.to_json()
