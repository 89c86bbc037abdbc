"""AKS REST shapes → the inventory's AksCluster (pure mapping, no Azure calls)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pydantic import ValidationError

from kubecurrent.collect.aks import cluster_of, minor_of, parse_id
from kubecurrent.model.aks import AksCluster, AksSupportPlan, MaintenanceKind

ID = (
    "/subscriptions/0000-sub/resourceGroups/rg-prod/providers/"
    "Microsoft.ContainerService/managedClusters/orders"
)


def _cluster(**props: Any) -> dict[str, Any]:
    return {
        "id": ID,
        "name": "orders",
        "location": "westeurope",
        "sku": {"name": "Base", "tier": "Premium"},
        "properties": {
            "kubernetesVersion": "1.35",
            "currentKubernetesVersion": "1.35.4",
            "provisioningState": "Succeeded",
            "powerState": {"code": "Running"},
            "supportPlan": "AKSLongTermSupport",
            "autoUpgradeProfile": {"upgradeChannel": "patch", "nodeOSUpgradeChannel": "NodeImage"},
            **props,
        },
    }


PROFILE = {
    "properties": {
        "controlPlaneProfile": {
            "kubernetesVersion": "1.35.4",
            "osType": "Linux",
            "upgrades": [
                {"kubernetesVersion": "1.36.2"},
                {"kubernetesVersion": "1.36.3", "isPreview": True},
            ],
        },
        "agentPoolProfiles": [],
    }
}
POOL = {
    "name": "system",
    "properties": {
        "mode": "System",
        "orchestratorVersion": "1.35",
        "currentOrchestratorVersion": "1.35.4",
        "nodeImageVersion": "AKSUbuntu-2204gen2containerd-202610.01.0",
        "upgradeSettings": {"maxSurge": "33%"},
        "count": 3,
        "provisioningState": "Succeeded",
    },
}
POOL_PROFILE = {
    "properties": {
        "kubernetesVersion": "1.35.4",
        "upgrades": [{"kubernetesVersion": "1.36.2"}],
        "latestNodeImageVersion": "AKSUbuntu-2204gen2containerd-202611.01.0",
    }
}
AUTO_SCHEDULE = {
    "name": "aksManagedAutoUpgradeSchedule",
    "properties": {
        "maintenanceWindow": {
            "schedule": {"weekly": {"intervalWeeks": 1, "dayOfWeek": "Sunday"}},
            "durationHours": 4,
            "utcOffset": "+01:00",
            "startTime": "02:00",
            "notAllowedDates": [{"start": "2026-12-20", "end": "2027-01-03"}],
        }
    },
}
DEFAULT = {
    "name": "default",
    "properties": {
        "timeInWeek": [{"day": "Saturday", "hourSlots": [1, 2]}],
        "notAllowedTime": [{"start": "2026-12-24T00:00:00Z", "end": "2026-12-26T00:00:00Z"}],
    },
}


def test_a_cluster_keeps_what_aks_says_about_it() -> None:
    aks = cluster_of(
        _cluster(),
        upgrade_profile=PROFILE,
        pools=[(POOL, POOL_PROFILE)],
        maintenance=[AUTO_SCHEDULE, DEFAULT],
    )
    assert (aks.subscription, aks.resource_group, aks.name) == ("0000-sub", "rg-prod", "orders")
    assert aks.running_version == "1.35.4" and aks.kubernetes_version == "1.35"
    assert aks.lts and aks.support_plan is AksSupportPlan.LONG_TERM_SUPPORT
    assert (aks.tier, aks.power_state, aks.upgrade_channel) == ("Premium", "Running", "patch")
    assert aks.node_os_upgrade_channel == "NodeImage"
    assert aks.offered() == ("1.36.2",)
    assert aks.offered(preview=True) == ("1.36.2", "1.36.3")
    pool = aks.agent_pool("system")
    assert pool is not None
    assert (pool.mode, pool.max_surge, pool.count) == ("System", "33%", 3)
    assert pool.current_orchestrator_version == "1.35.4"
    assert pool.image_behind
    assert [u.kubernetes_version for u in pool.upgrades] == ["1.36.2"]


def test_planned_maintenance_is_read_with_its_schedule_and_blackouts() -> None:
    aks = cluster_of(_cluster(), maintenance=[AUTO_SCHEDULE, DEFAULT])
    auto = aks.maintenance_of(MaintenanceKind.AUTO_UPGRADE)
    assert auto is not None
    assert auto.schedule == "weekly every 1 week(s) on Sunday"
    assert (auto.frequency, auto.interval, auto.day_of_week) == ("weekly", 1, "Sunday")
    assert (auto.start_time, auto.duration_hours, auto.utc_offset) == ("02:00", 4, "+01:00")
    # whole days in utcOffset +01:00, both ends included (the AKS REST reference's example)
    assert (auto.not_allowed[0].start, auto.not_allowed[0].end) == (
        dt.datetime(2026, 12, 19, 23, 0, tzinfo=dt.UTC),
        dt.datetime(2027, 1, 3, 23, 0, tzinfo=dt.UTC),
    )
    default = aks.maintenance_of(MaintenanceKind.DEFAULT)
    assert default is not None
    assert default.time_in_week[0].hour_slots == (1, 2)
    assert default.not_allowed[0].end == dt.datetime(2026, 12, 26, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("schedule", "read"),
    [
        (
            {"absoluteMonthly": {"intervalMonths": 2, "dayOfMonth": 31}},
            ("absoluteMonthly", 2, 31, None, None),
        ),
        (
            {"relativeMonthly": {"intervalMonths": 1, "weekIndex": "Last", "dayOfWeek": "Friday"}},
            ("relativeMonthly", 1, None, "Last", "Friday"),
        ),
    ],
)
def test_monthly_schedules_keep_their_day(
    schedule: dict[str, object], read: tuple[object, ...]
) -> None:
    window = {**AUTO_SCHEDULE["properties"]["maintenanceWindow"], "schedule": schedule}  # type: ignore[index]
    data = {"name": "aksManagedAutoUpgradeSchedule", "properties": {"maintenanceWindow": window}}
    auto = cluster_of(_cluster(), maintenance=[data]).maintenance_of(MaintenanceKind.AUTO_UPGRADE)
    assert auto is not None
    assert (
        auto.frequency,
        auto.interval,
        auto.day_of_month,
        auto.week_index,
        auto.day_of_week,
    ) == read


def test_without_a_profile_nothing_is_claimed_about_what_aks_offers() -> None:
    aks = cluster_of(_cluster(supportPlan=None))
    assert not aks.upgrade_profile_read and aks.offered() == ()
    assert aks.support_plan is AksSupportPlan.KUBERNETES_OFFICIAL
    assert cluster_of(_cluster(), upgrade_profile={"properties": {}}).upgrade_profile_read


def test_the_inventory_json_round_trips() -> None:
    aks = cluster_of(_cluster(), upgrade_profile=PROFILE, pools=[(POOL, None)])
    data = aks.model_dump(mode="json", by_alias=True)
    assert data["provider"] == "aks" and data["resourceGroup"] == "rg-prod"
    assert data["agentPools"][0]["nodeImageVersion"].startswith("AKSUbuntu")
    assert AksCluster.model_validate(data) == aks


def test_an_agent_pool_listed_twice_is_refused() -> None:
    with pytest.raises(ValidationError, match="agent pool listed more than once: system"):
        cluster_of(_cluster(), pools=[(POOL, None), (POOL, None)])


def test_ids_and_versions_parse_or_say_what_is_wrong() -> None:
    assert parse_id(ID.lower().replace("rg-prod", "RG")) == ("0000-sub", "RG", "orders")
    assert minor_of("v1.36.4") == "1.36"
    with pytest.raises(ValueError, match="not an AKS managed cluster id"):
        parse_id("/subscriptions/x/resourceGroups/y")
    with pytest.raises(ValueError, match="not a Kubernetes version"):
        minor_of("latest")
