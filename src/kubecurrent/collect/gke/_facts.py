"""GKE's answers as the inventory's ``GkeCluster``: pure mapping of the REST resources (as dicts
with the protobuf field names, what ``type(msg).to_dict(msg)`` gives) to the model.

Resources (https://cloud.google.com/kubernetes-engine/docs/reference/rest/v1/projects.locations.clusters):
``Cluster`` (name, selfLink, location, currentMasterVersion, status, releaseChannel.channel,
nodePools[], maintenancePolicy.window{dailyMaintenanceWindow | recurringWindow,
maintenanceExclusions{name: TimeWindow}}, endpoint, masterAuth.clusterCaCertificate),
``NodePool`` (name, version, status, management.autoUpgrade, autoscaling, initialNodeCount,
upgradeSettings{maxSurge, maxUnavailable, strategy, blueGreenSettings}), ``ServerConfig``
(https://cloud.google.com/kubernetes-engine/docs/reference/rest/v1/ServerConfig: validMasterVersions,
validNodeVersions, channels[{channel, defaultVersion, validVersions}]) and ``Operation``
(https://cloud.google.com/kubernetes-engine/docs/reference/rest/v1/projects.locations.operations).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from kubecurrent.model.gke import (
    BlueGreenSettings,
    Channel,
    ChannelVersions,
    DailyWindow,
    ExclusionScope,
    GkeCluster,
    GkeNodePool,
    GkeOperation,
    MaintenanceExclusion,
    MaintenancePolicy,
    RecurringWindow,
    UpgradeStrategy,
)

__all__ = [
    "cluster_of",
    "endpoint_url",
    "is_running",
    "maintenance_of",
    "node_pool_of",
    "operation_of",
]

Resource = Mapping[str, Any]
_DONE = ("DONE", "STATUS_UNSPECIFIED")


def _time(text: str) -> dt.datetime:
    """An RFC 3339 timestamp (``2026-12-24T00:00:00Z``) as an aware datetime."""
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _channel(text: str | None) -> Channel:
    return Channel(text) if text and text in Channel.__members__ else Channel.UNSPECIFIED


def _strategy(text: str | None) -> UpgradeStrategy:
    return (
        UpgradeStrategy(text)
        if text and text in UpgradeStrategy.__members__
        else UpgradeStrategy.SURGE
    )


def _scope(text: str | None) -> ExclusionScope:
    return (
        ExclusionScope(text)
        if text and text in ExclusionScope.__members__
        else ExclusionScope.NO_UPGRADES
    )


def _int(value: Any) -> int | None:
    return int(value) if value not in (None, "") else None


def node_pool_of(data: Resource) -> GkeNodePool:
    upgrade = data.get("upgrade_settings") or {}
    scaling = data.get("autoscaling") or {}
    bg = upgrade.get("blue_green_settings") or {}
    policy = bg.get("standard_rollout_policy") or {}
    blue_green = (
        BlueGreenSettings(
            batch_node_count=_int(policy.get("batch_node_count")) or None,
            batch_percentage=float(policy["batch_percentage"])
            if policy.get("batch_percentage")
            else None,
            batch_soak_duration=policy.get("batch_soak_duration") or None,
            node_pool_soak_duration=bg.get("node_pool_soak_duration") or None,
        )
        if bg
        else None
    )
    return GkeNodePool(
        name=str(data["name"]),
        version=str(data["version"]),
        status=str(data.get("status") or "RUNNING"),
        auto_upgrade=bool((data.get("management") or {}).get("auto_upgrade")),
        autoscaling=bool(scaling.get("enabled")),
        min_nodes=_int(scaling.get("min_node_count")) if scaling.get("enabled") else None,
        max_nodes=_int(scaling.get("max_node_count")) if scaling.get("enabled") else None,
        node_count=_int(data.get("initial_node_count")) or None,
        strategy=_strategy(upgrade.get("strategy")),
        max_surge=_int(upgrade.get("max_surge")) or 0 if upgrade else 1,
        max_unavailable=_int(upgrade.get("max_unavailable")) or 0,
        blue_green=blue_green,
    )


def maintenance_of(policy: Resource) -> MaintenancePolicy:
    window = policy.get("window") or {}
    daily = window.get("daily_maintenance_window") or {}
    recurring = window.get("recurring_window") or {}
    span = recurring.get("window") or {}
    exclusions = window.get("maintenance_exclusions") or {}
    return MaintenancePolicy(
        daily=DailyWindow(
            start_time=str(daily["start_time"]), duration=str(daily.get("duration") or "PT4H0M0S")
        )
        if daily.get("start_time")
        else None,
        recurring=RecurringWindow(
            start=_time(span["start_time"]),
            end=_time(span["end_time"]),
            recurrence=str(recurring["recurrence"]),
        )
        if recurring.get("recurrence") and span.get("start_time") and span.get("end_time")
        else None,
        exclusions=tuple(
            sorted(
                (
                    MaintenanceExclusion(
                        name=name,
                        start=_time(w["start_time"]),
                        end=_time(w["end_time"]),
                        scope=_scope((w.get("maintenance_exclusion_options") or {}).get("scope")),
                    )
                    for name, w in exclusions.items()
                    if w.get("start_time") and w.get("end_time")
                ),
                key=lambda e: (e.start, e.name),
            )
        ),
    )


def operation_of(data: Resource) -> GkeOperation:
    return GkeOperation(
        name=str(data["name"]),
        operation_type=str(data.get("operation_type") or "TYPE_UNSPECIFIED"),
        status=str(data.get("status") or "STATUS_UNSPECIFIED"),
        target_link=str(data.get("target_link") or ""),
    )


def is_running(op: Resource) -> bool:
    return str(op.get("status") or "") not in _DONE


def cluster_of(
    project: str,
    data: Resource,
    server_config: Resource | None,
    operations: Sequence[Resource] = (),
) -> GkeCluster:
    """The ``GkeCluster`` of a ``Cluster`` resource, its location's ``ServerConfig`` and the
    operations not yet done whose target is the cluster or one of its node pools."""
    config = server_config or {}
    name = str(data["name"])
    return GkeCluster(
        project=project,
        location=str(data.get("location") or data.get("zone") or ""),
        name=name,
        self_link=str(data.get("self_link") or ""),
        channel=_channel((data.get("release_channel") or {}).get("channel")),
        master_version=str(data["current_master_version"]),
        status=str(data.get("status") or "STATUS_UNSPECIFIED"),
        node_pools=tuple(node_pool_of(p) for p in data.get("node_pools") or ()),
        maintenance=maintenance_of(data.get("maintenance_policy") or {}),
        valid_master_versions=tuple(config.get("valid_master_versions") or ()),
        valid_node_versions=tuple(config.get("valid_node_versions") or ()),
        channels=tuple(
            ChannelVersions(
                channel=_channel(c.get("channel")),
                default_version=str(c.get("default_version") or ""),
                valid_versions=tuple(c.get("valid_versions") or ()),
            )
            for c in config.get("channels") or ()
            if _channel(c.get("channel")) is not Channel.UNSPECIFIED
        ),
        operations=tuple(
            operation_of(o)
            for o in operations
            if is_running(o) and _targets(str(o.get("target_link") or ""), name)
        ),
    )


def _targets(link: str, cluster: str) -> bool:
    """True when an operation's ``targetLink`` is the cluster or one of its node pools."""
    marker = f"/clusters/{cluster}"
    return link.endswith(marker) or f"{marker}/" in link


def endpoint_url(data: Resource) -> tuple[str, str]:
    """``https://<endpoint>`` and the base64 CA of a ``Cluster`` resource ("" when absent)."""
    endpoint = str(data.get("endpoint") or "")
    ca = str((data.get("master_auth") or {}).get("cluster_ca_certificate") or "")
    if endpoint and "://" not in endpoint:
        endpoint = f"https://{endpoint}"
    return endpoint, ca
