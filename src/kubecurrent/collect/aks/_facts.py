"""ARM JSON of AKS resources → the inventory's ``AksCluster`` (pure functions, no Azure calls).

Input is each resource in its REST shape (what ``model.serialize(keep_readonly=True)`` of the
azure-mgmt-containerservice models gives, and what the wire carries), from the AKS REST
reference https://learn.microsoft.com/rest/api/aks/:

* ``managed-clusters/get``  ``{"id", "name", "location", "sku": {"tier"},
  "properties": {"kubernetesVersion", "currentKubernetesVersion", "provisioningState",
  "powerState": {"code"}, "supportPlan", "autoUpgradeProfile": {"upgradeChannel",
  "nodeOSUpgradeChannel"}}}``
* ``managed-clusters/get-upgrade-profile``  ``{"properties": {"controlPlaneProfile":
  {"kubernetesVersion", "upgrades": [{"kubernetesVersion", "isPreview"}]}}}``
* ``agent-pools/list``  ``{"name", "properties": {"mode", "orchestratorVersion",
  "currentOrchestratorVersion", "nodeImageVersion", "upgradeSettings": {"maxSurge"}, "count",
  "provisioningState"}}``; ``agent-pools/get-upgrade-profile`` ``{"properties": {"upgrades",
  "latestNodeImageVersion"}}``
* ``maintenance-configurations/list-by-managed-cluster``  ``{"name", "properties":
  {"timeInWeek": [{"day", "hourSlots"}], "notAllowedTime": [{"start", "end"}],
  "maintenanceWindow": {"schedule", "durationHours", "utcOffset", "startDate", "startTime",
  "notAllowedDates": [{"start", "end"}]}}}``
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Any

from kubecurrent.model.aks import (
    AgentPool,
    AksCluster,
    AksMaintenance,
    AksSupportPlan,
    AksUpgrade,
    MaintenanceKind,
    NotAllowed,
    TimeInWeek,
)

__all__ = [
    "agent_pool_of",
    "cluster_of",
    "maintenance_of",
    "minor_of",
    "parse_id",
    "upgrades_of",
]

Json = Mapping[str, Any]
_ID = re.compile(
    r"^/subscriptions/(?P<subscription>[^/]+)/resourceGroups/(?P<group>[^/]+)/providers/"
    r"Microsoft\.ContainerService/managedClusters/(?P<name>[^/]+)$",
    re.IGNORECASE,
)
_MINOR = re.compile(r"^v?(\d+)\.(\d+)")


def minor_of(version: str) -> str:
    """``1.36`` of ``1.36``, ``1.36.4`` or ``v1.36.4``."""
    found = _MINOR.match(version.strip())
    if not found:
        raise ValueError(f"not a Kubernetes version: {version!r}")
    return f"{int(found[1])}.{int(found[2])}"


def parse_id(resource_id: str) -> tuple[str, str, str]:
    """``(subscription, resource group, name)`` of a managed cluster's ARM id."""
    found = _ID.match(resource_id)
    if not found:
        raise ValueError(f"not an AKS managed cluster id: {resource_id!r}")
    return found["subscription"], found["group"], found["name"]


def _props(data: Json) -> Json:
    return data.get("properties") or {}


def upgrades_of(profile: Json | None) -> tuple[AksUpgrade, ...]:
    """``upgrades[]`` of an upgrade profile's ``controlPlaneProfile`` or of an agent pool's."""
    if not profile:
        return ()
    return tuple(
        AksUpgrade(
            kubernetes_version=str(u["kubernetesVersion"]), is_preview=bool(u.get("isPreview"))
        )
        for u in profile.get("upgrades") or ()
        if u.get("kubernetesVersion")
    )


def agent_pool_of(data: Json, profile: Json | None = None) -> AgentPool:
    """An ``agentPools`` item with its upgrade profile (``properties`` of it) when read."""
    props = _props(data)
    count = props.get("count")
    return AgentPool(
        name=str(data["name"]),
        mode=str(props.get("mode") or "User"),
        orchestrator_version=str(props["orchestratorVersion"]),
        current_orchestrator_version=props.get("currentOrchestratorVersion"),
        node_image_version=props.get("nodeImageVersion"),
        latest_node_image_version=(profile or {}).get("latestNodeImageVersion"),
        max_surge=(props.get("upgradeSettings") or {}).get("maxSurge"),
        count=int(count) if count is not None else None,
        provisioning_state=str(props.get("provisioningState") or "Succeeded"),
        upgrades=upgrades_of(profile),
    )


def _spans(items: Sequence[Json] | None) -> tuple[NotAllowed, ...]:
    spans = []
    for item in items or ():
        start, end = _when(item.get("start")), _when(item.get("end"))
        if start is not None and end is not None:
            spans.append(NotAllowed(start=start, end=end))
    return tuple(spans)


def _date_spans(items: Sequence[Json] | None, offset: str | None) -> tuple[NotAllowed, ...]:
    """``notAllowedDates``: whole days in the window's ``utcOffset``, both ends included
    ("with 'utcOffset: +02:00' and 'dateSpan' being '2022-12-23' to '2023-01-03', maintenance
    will be blocked from '2022-12-22 22:00' to '2023-01-03 22:00' in UTC time", MaintenanceWindow
    in the AKS REST reference)."""
    zone = dt.datetime.strptime(offset or "+00:00", "%z").tzinfo
    spans = []
    for item in items or ():
        start, end = item.get("start"), item.get("end")
        if start and end:
            first = dt.datetime.combine(dt.date.fromisoformat(str(start)[:10]), dt.time(), zone)
            last = dt.datetime.combine(dt.date.fromisoformat(str(end)[:10]), dt.time(), zone)
            spans.append(
                NotAllowed(
                    start=first.astimezone(dt.UTC),
                    end=(last + dt.timedelta(days=1)).astimezone(dt.UTC),
                )
            )
    return tuple(spans)


def _when(value: Any) -> dt.datetime | None:
    """An ARM date or date-time (``2026-12-24`` or ``2026-12-24T00:00:00Z``) in UTC."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime.combine(value, dt.time())
    else:
        moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def schedule_text(schedule: Json | None) -> str:
    """``maintenanceWindow.schedule`` (one of daily, weekly, absoluteMonthly, relativeMonthly)
    as one line."""
    schedule = schedule or {}
    if daily := schedule.get("daily"):
        return f"daily every {daily.get('intervalDays', 1)} day(s)"
    if weekly := schedule.get("weekly"):
        return f"weekly every {weekly.get('intervalWeeks', 1)} week(s) on {weekly.get('dayOfWeek')}"
    if monthly := schedule.get("absoluteMonthly"):
        return (
            f"monthly every {monthly.get('intervalMonths', 1)} month(s) on day "
            f"{monthly.get('dayOfMonth')}"
        )
    if relative := schedule.get("relativeMonthly"):
        return (
            f"monthly every {relative.get('intervalMonths', 1)} month(s) on the "
            f"{relative.get('weekIndex')} {relative.get('dayOfWeek')}"
        )
    return ""


def maintenance_of(data: Json) -> AksMaintenance:
    """A ``maintenanceConfigurations`` item."""
    name = str(data["name"])
    props = _props(data)
    window = props.get("maintenanceWindow") or {}
    kind = next((k for k in MaintenanceKind if k.value == name), None)
    duration = window.get("durationHours")
    schedule = window.get("schedule") or {}
    frequency = next(iter(schedule), None)
    detail = schedule.get(frequency) or {} if frequency else {}
    interval = next((v for k, v in detail.items() if k.startswith("interval")), None)
    start_date = window.get("startDate")
    return AksMaintenance(
        name=name,
        kind=kind,
        schedule=schedule_text(schedule),
        frequency=frequency,
        interval=int(interval) if interval is not None else None,
        day_of_week=detail.get("dayOfWeek"),
        day_of_month=detail.get("dayOfMonth"),
        week_index=detail.get("weekIndex"),
        start_date=dt.date.fromisoformat(str(start_date)[:10]) if start_date else None,
        start_time=window.get("startTime"),
        duration_hours=int(duration) if duration is not None else None,
        utc_offset=window.get("utcOffset"),
        time_in_week=tuple(
            TimeInWeek(
                day=str(t.get("day")), hour_slots=tuple(int(h) for h in t.get("hourSlots") or ())
            )
            for t in props.get("timeInWeek") or ()
        ),
        not_allowed=_date_spans(window.get("notAllowedDates"), window.get("utcOffset"))
        + _spans(props.get("notAllowedTime")),
    )


def cluster_of(
    data: Json,
    *,
    upgrade_profile: Json | None = None,
    pools: Sequence[tuple[Json, Json | None]] = (),
    maintenance: Sequence[Json] = (),
) -> AksCluster:
    """A managed cluster with what else was read about it (``None`` profile: not read)."""
    subscription, group, name = parse_id(str(data["id"]))
    props = _props(data)
    auto = props.get("autoUpgradeProfile") or {}
    control = _props(upgrade_profile or {}).get("controlPlaneProfile")
    plan = props.get("supportPlan") or AksSupportPlan.KUBERNETES_OFFICIAL.value
    return AksCluster(
        name=str(data.get("name") or name),
        subscription=subscription,
        resource_group=group,
        id=str(data["id"]),
        location=str(data.get("location") or ""),
        kubernetes_version=str(props["kubernetesVersion"]),
        current_kubernetes_version=props.get("currentKubernetesVersion"),
        provisioning_state=str(props.get("provisioningState") or "Succeeded"),
        power_state=(props.get("powerState") or {}).get("code"),
        support_plan=AksSupportPlan(plan),
        tier=(data.get("sku") or {}).get("tier"),
        upgrade_channel=auto.get("upgradeChannel"),
        node_os_upgrade_channel=auto.get("nodeOSUpgradeChannel"),
        upgrades=upgrades_of(control),
        upgrade_profile_read=upgrade_profile is not None,
        agent_pools=tuple(agent_pool_of(pool, _props(p or {}) if p else None) for pool, p in pools),
        maintenance=tuple(maintenance_of(m) for m in maintenance),
    )
