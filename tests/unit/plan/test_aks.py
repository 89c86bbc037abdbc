"""The planner on an AKS cluster: AKS's rules on top of the generic ones (no cluster, no Azure).

The inventories are written by hand in the shape the AKS collector fills (``managed``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from kubecurrent.catalog import Catalog
from kubecurrent.execute import aks_minor_steps
from kubecurrent.model import KubeVersion
from kubecurrent.model.inventory import ClusterInventory
from kubecurrent.model.plan import ClusterPlan, FleetPlan
from kubecurrent.plan import action, plan_cluster, render_markdown
from kubecurrent.rollout._windows import hold_opening
from tests.unit.plan.conftest import cluster

pytestmark = pytest.mark.unit

TARGET = KubeVersion.parse("1.37.2")
OLD_IMAGE = "AKSUbuntu-2204gen2containerd-202610.01.0"
NEW_IMAGE = "AKSUbuntu-2204gen2containerd-202611.01.0"


def aks_cluster(
    cp: str = "1.35.10",
    pools: dict[str, str] | None = None,
    offered: tuple[str, ...] = ("1.36.6",),
    agent_pools: tuple[str, ...] = ("system", "general"),
    **managed: Any,
) -> ClusterInventory:
    pools = pools if pools is not None else {"general": cp, "system": cp}
    facts = {
        "provider": "aks",
        "name": "orders",
        "subscription": "0000-sub",
        "resourceGroup": "rg-shop",
        "id": "/subscriptions/0000-sub/resourceGroups/rg-shop/providers/"
        "Microsoft.ContainerService/managedClusters/orders",
        "location": "westeurope",
        "kubernetesVersion": cp,
        "currentKubernetesVersion": cp,
        "upgrades": [{"kubernetesVersion": v} for v in offered],
        "upgradeProfileRead": True,
        "agentPools": [
            {
                "name": n,
                "mode": "System" if n == "system" else "User",
                "orchestratorVersion": pools[n],
                "currentOrchestratorVersion": pools[n],
                "nodeImageVersion": OLD_IMAGE,
                "latestNodeImageVersion": NEW_IMAGE,
                "maxSurge": "33%",
            }
            for n in agent_pools
        ],
        **managed,
    }
    return cluster(cp, pools, managed=facts)


def rows(plan: ClusterPlan) -> list[tuple[int, str, str, str, str | None, str | None]]:
    return [(s.hop, s.type, s.target, s.from_, s.to, s.managed_by) for s in plan.steps]


def test_the_control_plane_moves_alone_then_every_agent_pool_follows_system_pools_first(
    catalog: Catalog,
) -> None:
    plan = plan_cluster(aks_cluster(), catalog, TARGET)
    assert plan.status == "ok", plan.reasons
    assert rows(plan) == [
        (1, "control-plane", "control-plane", "1.35.10", "1.36.6", None),
        (1, "node-pool", "system", "1.35.10", "1.36.6", "aks"),
        (1, "node-pool", "general", "1.35.10", "1.36.6", "aks"),
        (1, "check", "control-plane", "1.36.6", "1.36.6", None),
        (2, "control-plane", "control-plane", "1.36.6", "1.37.2", None),
        (2, "node-pool", "system", "1.36.6", "1.37.2", "aks"),
        (2, "node-pool", "general", "1.36.6", "1.37.2", "aks"),
        (2, "check", "control-plane", "1.37.2", "1.37.2", None),
    ]
    pool = plan.steps[1]
    assert "upgrade-node-pools" in pool.why and "controlPlaneOnly" in pool.why
    assert action(pool) == "Upgrade AKS agent pool system"


def test_a_first_hop_the_upgrade_profile_does_not_offer_blocks_naming_what_aks_offers(
    catalog: Catalog,
) -> None:
    plan = plan_cluster(aks_cluster(offered=("1.35.12",)), catalog, TARGET)
    assert plan.status == "blocked" and plan.steps == ()
    assert "AKS does not offer Kubernetes 1.36 to cluster orders" in plan.reasons[0]
    assert "1.35.12" in plan.reasons[0]


def test_preview_versions_are_never_planned(catalog: Catalog) -> None:
    inv = aks_cluster(offered=())
    data = inv.model_dump(mode="json", by_alias=True)
    data["managed"]["upgrades"] = [{"kubernetesVersion": "1.36.6", "isPreview": True}]
    plan = plan_cluster(ClusterInventory.model_validate(data), catalog, TARGET)
    assert plan.status == "blocked" and "offers: none" in plan.reasons[0]


def test_without_an_upgrade_profile_the_catalog_calendar_decides(catalog: Catalog) -> None:
    plan = plan_cluster(aks_cluster(offered=(), upgradeProfileRead=False), catalog, TARGET)
    assert plan.status == "ok", plan.reasons
    blocked = plan_cluster(
        aks_cluster(offered=(), upgradeProfileRead=False), catalog, KubeVersion.parse("1.38.0")
    )
    assert blocked.status == "blocked"


def test_a_pool_at_the_target_with_an_old_image_gets_a_node_image_step(catalog: Catalog) -> None:
    plan = plan_cluster(aks_cluster(cp="1.37.2", offered=()), catalog, TARGET)
    assert rows(plan)[:2] == [
        (0, "node-image", "system", OLD_IMAGE, NEW_IMAGE, "aks"),
        (0, "node-image", "general", OLD_IMAGE, NEW_IMAGE, "aks"),
    ]
    assert "upgradeNodeImageVersion" in plan.steps[0].why
    assert action(plan.steps[0]) == "Upgrade the node image of AKS agent pool system"


def test_a_pool_aks_does_not_know_keeps_the_generic_rule_and_says_so(catalog: Catalog) -> None:
    inv = aks_cluster(pools={"system": "1.35.10", "general": "1.35.10", "virtual": "1.35.10"})
    plan = plan_cluster(inv, catalog, TARGET)
    own = [s for s in plan.steps if s.target == "virtual"]
    assert len(own) == 1 and own[0].managed_by is None
    assert "AKS knows no agent pool of this name" in own[0].why


def test_aks_chooses_the_patch_so_the_executor_asks_for_minors(catalog: Catalog) -> None:
    plan = aks_minor_steps(plan_cluster(aks_cluster(), catalog, TARGET))
    assert [s.to for s in plan.steps if s.type == "control-plane"] == ["1.36", "1.37"]
    assert "AKS offers the patch" in plan.steps[0].why


def test_planned_maintenance_becomes_rollout_holds_with_their_source(catalog: Catalog) -> None:
    schedule = {
        "name": "aksManagedAutoUpgradeSchedule",
        "kind": "aksManagedAutoUpgradeSchedule",
        "schedule": "weekly every 1 week(s) on Sunday",
        "frequency": "weekly",
        "interval": 1,
        "dayOfWeek": "Sunday",
        "startDate": "2026-11-01",
        "startTime": "00:30",
        "durationHours": 4,
        "utcOffset": "+01:00",
        "notAllowed": [{"start": "2026-12-20T00:00:00Z", "end": "2027-01-03T00:00:00Z"}],
    }
    monthly = {
        "name": "aksManagedNodeOSUpgradeSchedule",
        "kind": "aksManagedNodeOSUpgradeSchedule",
        "frequency": "absoluteMonthly",
        "interval": 1,
        "startTime": "01:00",
        "durationHours": 4,
    }
    plan = plan_cluster(aks_cluster(maintenance=[schedule, monthly]), catalog, TARGET)
    blackout, window = plan.holds
    assert blackout.kind == "blackout" and blackout.note == "not allowed"
    assert blackout.source == 'AKS planned maintenance "aksManagedAutoUpgradeSchedule" of orders'
    assert (blackout.start.date().isoformat(), blackout.end.date().isoformat()) == (
        "2026-12-20",
        "2027-01-03",
    )
    assert window.kind == "window" and window.days == ("sun",)  # in its own UTC offset
    assert window.start == dt.datetime(
        2026, 11, 1, 0, 30, tzinfo=dt.timezone(dt.timedelta(hours=1))
    )
    assert window.end - window.start == dt.timedelta(hours=4)
    sunday_early = dt.datetime(2026, 12, 5, 23, 45, tzinfo=dt.UTC)  # Sunday 00:45 local
    assert window.opening_before(sunday_early) is not None
    assert window.opening_before(dt.datetime(2026, 12, 7, 23, 45, tzinfo=dt.UTC)) is None


def _auto(**window: Any) -> dict[str, Any]:
    return {
        "name": "aksManagedAutoUpgradeSchedule",
        "kind": "aksManagedAutoUpgradeSchedule",
        "schedule": "monthly",
        "startDate": "2026-01-01",
        "durationHours": 6,
        **window,
    }


@pytest.mark.parametrize(
    ("window", "now", "next_open"),
    [
        pytest.param(
            {
                "frequency": "absoluteMonthly",
                "interval": 2,
                "dayOfMonth": 31,
                "startTime": "03:00",
                "startDate": "2026-01-15",
            },
            "2026-10-01T00:00:00+00:00",
            "2027-01-31T03:00:00+00:00",
            id="every 2 months on the 31st: November has none, January next",
        ),
        pytest.param(
            {
                "frequency": "relativeMonthly",
                "interval": 1,
                "weekIndex": "Last",
                "dayOfWeek": "Friday",
                "startTime": "22:00",
                "utcOffset": "+05:30",
            },
            "2026-11-20T12:00:00+00:00",
            "2026-11-27T16:30:00+00:00",
            id="last Friday at 22:00 +05:30",
        ),
        pytest.param(
            {
                "frequency": "relativeMonthly",
                "interval": 1,
                "weekIndex": "First",
                "dayOfWeek": "Monday",
                "startTime": "20:00",
                "utcOffset": "-07:00",
            },
            "2026-12-01T00:00:00+00:00",
            "2026-12-08T03:00:00+00:00",
            id="first Monday at 20:00 -07:00 is Tuesday in UTC",
        ),
        pytest.param(
            {"frequency": "weekly", "interval": 3, "dayOfWeek": "Wednesday", "startTime": "01:00"},
            "2026-01-08T00:00:00+00:00",
            "2026-01-21T01:00:00+00:00",
            id="every 3 weeks on Wednesday from the week of startDate",
        ),
    ],
)
def test_monthly_and_interval_schedules_hold_the_cluster_until_they_open(
    catalog: Catalog, window: dict[str, Any], now: str, next_open: str
) -> None:
    plan = plan_cluster(aks_cluster(maintenance=[_auto(**window)]), catalog, TARGET)
    (hold,) = plan.holds
    assert hold.kind == "window" and hold.recurrence is not None
    closed = hold_opening(plan.holds, dt.datetime.fromisoformat(now))
    assert not closed.open and closed.reason.startswith('outside AKS planned maintenance "aks')
    assert closed.next_open == dt.datetime.fromisoformat(next_open)
    assert hold_opening(plan.holds, closed.next_open + dt.timedelta(hours=5, minutes=59)).open
    assert not hold_opening(plan.holds, closed.next_open + dt.timedelta(hours=6)).open


@pytest.mark.parametrize(
    ("window", "says"),
    [
        (
            {
                "frequency": "weekly",
                "interval": 2,
                "dayOfWeek": "Sunday",
                "startTime": "01:00",
                "startDate": None,
            },
            "every 2 weeks without startDate",
        ),
        (
            {"frequency": "absoluteMonthly", "interval": 1, "startTime": "01:00"},
            "lacks its dayOfWeek, dayOfMonth or weekIndex",
        ),
        (
            {"frequency": "relativeMonthly", "interval": 1, "dayOfWeek": "Sunday"},
            "startTime or durationHours is missing",
        ),
    ],
)
def test_a_schedule_that_cannot_be_enforced_is_refused_and_says_why(
    catalog: Catalog, window: dict[str, Any], says: str
) -> None:
    plan = plan_cluster(aks_cluster(maintenance=[_auto(**window)]), catalog, TARGET)
    (hold,) = plan.holds
    assert hold.kind == "refused" and says in hold.note
    assert hold_opening(plan.holds, dt.datetime(2026, 11, 4, 12, tzinfo=dt.UTC)).open
    shown = render_markdown(FleetPlan(target="1.37", clusters=(plan,), groups=()))
    assert (
        f'- window not enforced: AKS planned maintenance "aksManagedAutoUpgradeSchedule" of orders ({hold.note})'
        in shown
    )
