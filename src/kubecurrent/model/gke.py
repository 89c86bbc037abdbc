"""What Google Kubernetes Engine knows about a cluster (``ClusterInventory.managed``).

Field names and enum values follow the GKE REST reference (v1), cited per type:
https://cloud.google.com/kubernetes-engine/docs/reference/rest/v1/projects.locations.clusters
(Cluster, NodePool, NodeManagement, UpgradeSettings, BlueGreenSettings, ReleaseChannel,
MaintenancePolicy, MaintenanceWindow, TimeWindow, MaintenanceExclusionOptions), ServerConfig
https://cloud.google.com/kubernetes-engine/docs/reference/rest/v1/ServerConfig and Operation
https://cloud.google.com/kubernetes-engine/docs/reference/rest/v1/projects.locations.operations.
Versions are strings as GKE writes them (``1.36.2-gke.1200``); JSON uses camelCase keys.

Node pools stay in ``ClusterInventory.node_pools``, named by the node label
``cloud.google.com/gke-nodepool``; a pool whose name is one of ``GkeCluster.node_pools`` is
upgraded by GKE itself.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Literal

from pydantic import Field, model_validator

from kubecurrent.model._snapshot import _Snapshot
from kubecurrent.model.managed import SupportType

__all__ = [
    "BlueGreenSettings",
    "Channel",
    "ChannelVersions",
    "DailyWindow",
    "ExclusionScope",
    "GkeCluster",
    "GkeNodePool",
    "GkeOperation",
    "MaintenanceExclusion",
    "MaintenancePolicy",
    "RecurringWindow",
    "UpgradeStrategy",
    "minor_of",
]


def minor_of(version: str) -> str:
    """``1.36`` of ``1.36.2-gke.1200`` (or of ``1.36``)."""
    parts = version.lstrip("v").split(".")
    if len(parts) < 2 or not parts[0].isdigit() or not parts[1].split("-")[0].isdigit():
        raise ValueError(f"not a GKE version: {version!r}")
    return f"{parts[0]}.{parts[1].split('-')[0]}"


class Channel(StrEnum):
    """``ReleaseChannel.Channel``: the release channel a cluster is enrolled in."""

    UNSPECIFIED = "UNSPECIFIED"
    """No channel (a "static" version): GKE still auto-upgrades at end of support."""
    RAPID = "RAPID"
    REGULAR = "REGULAR"
    STABLE = "STABLE"
    EXTENDED = "EXTENDED"


class UpgradeStrategy(StrEnum):
    """``NodePoolUpdateStrategy``: how GKE replaces a pool's nodes on an upgrade."""

    SURGE = "SURGE"
    BLUE_GREEN = "BLUE_GREEN"


class ExclusionScope(StrEnum):
    """``MaintenanceExclusionOptions.Scope``: what a maintenance exclusion holds back."""

    NO_UPGRADES = "NO_UPGRADES"
    NO_MINOR_UPGRADES = "NO_MINOR_UPGRADES"
    NO_MINOR_OR_NODE_UPGRADES = "NO_MINOR_OR_NODE_UPGRADES"


class BlueGreenSettings(_Snapshot):
    """``BlueGreenSettings``: batches of the green pool and how long the blue pool soaks."""

    batch_node_count: int | None = None
    """``standardRolloutPolicy.batchNodeCount``."""
    batch_percentage: float | None = None
    """``standardRolloutPolicy.batchPercentage``."""
    batch_soak_duration: str | None = None
    """``standardRolloutPolicy.batchSoakDuration`` (a Duration such as ``60s``)."""
    node_pool_soak_duration: str | None = None
    """``nodePoolSoakDuration``."""


class GkeNodePool(_Snapshot):
    """A GKE node pool: GKE replaces its nodes when its version changes."""

    name: str = Field(min_length=1)
    version: str = Field(min_length=1)
    """The pool's Kubernetes version as GKE writes it (``1.36.2-gke.1200``)."""
    status: str = "RUNNING"
    """As GKE gives it: ``RUNNING``, ``RECONCILING``, ``ERROR``..."""
    auto_upgrade: bool = False
    """``management.autoUpgrade``."""
    autoscaling: bool = False
    """``autoscaling.enabled``."""
    min_nodes: int | None = None
    max_nodes: int | None = None
    node_count: int | None = None
    """``initialNodeCount`` (per zone) when GKE gives it."""
    strategy: UpgradeStrategy = UpgradeStrategy.SURGE
    """``upgradeSettings.strategy`` (GKE's default is surge)."""
    max_surge: int = 1
    """``upgradeSettings.maxSurge``."""
    max_unavailable: int = 0
    """``upgradeSettings.maxUnavailable``."""
    blue_green: BlueGreenSettings | None = None

    def strategy_text(self) -> str:
        """``surge (maxSurge 1, maxUnavailable 0)`` or ``blue-green (...)``, for plans."""
        if self.strategy is UpgradeStrategy.BLUE_GREEN:
            bg = self.blue_green or BlueGreenSettings()
            parts = [
                f"batch {bg.batch_node_count} nodes" if bg.batch_node_count else "",
                f"batch {bg.batch_percentage:.0%}" if bg.batch_percentage else "",
                f"soak {bg.node_pool_soak_duration}" if bg.node_pool_soak_duration else "",
            ]
            detail = ", ".join(p for p in parts if p)
            return "blue-green" + (f" ({detail})" if detail else "")
        return f"surge (maxSurge {self.max_surge}, maxUnavailable {self.max_unavailable})"


class ChannelVersions(_Snapshot):
    """``ServerConfig.channels[]``: what one release channel offers in the location."""

    channel: Channel
    default_version: str = ""
    valid_versions: tuple[str, ...] = ()
    """Newest first, as GKE lists them."""


class RecurringWindow(_Snapshot):
    """``RecurringTimeWindow``: a window repeating by an RFC 5545 RRULE from ``start``."""

    start: dt.datetime
    end: dt.datetime
    recurrence: str = Field(min_length=1)
    """RFC 5545 RRULE, e.g. ``FREQ=WEEKLY;BYDAY=SA,SU``."""


class DailyWindow(_Snapshot):
    """``DailyMaintenanceWindow``: a four-hour window starting each day at ``start_time``."""

    start_time: str = Field(pattern=r"^\d{2}:\d{2}$")
    """``HH:MM`` in UTC."""
    duration: str = "PT4H0M0S"
    """As GKE reports it (RFC 3339 duration)."""


class MaintenanceExclusion(_Snapshot):
    """``maintenanceExclusions[name]``: a time GKE does not upgrade (within ``scope``)."""

    name: str = Field(min_length=1)
    start: dt.datetime
    end: dt.datetime
    scope: ExclusionScope = ExclusionScope.NO_UPGRADES

    def active(self, when: dt.datetime) -> bool:
        return self.start <= when < self.end


class MaintenancePolicy(_Snapshot):
    """``MaintenancePolicy.window``: one recurring or daily window, and the exclusions."""

    recurring: RecurringWindow | None = None
    daily: DailyWindow | None = None
    exclusions: tuple[MaintenanceExclusion, ...] = ()


class GkeOperation(_Snapshot):
    """An ``Operation`` of the cluster GKE reports (running ones, at collection time)."""

    name: str = Field(min_length=1)
    operation_type: str = Field(min_length=1)
    """``UPGRADE_MASTER``, ``UPGRADE_NODES``..."""
    status: str = Field(min_length=1)
    """``PENDING``, ``RUNNING``, ``DONE``, ``ABORTING``."""
    target_link: str = ""


class GkeCluster(_Snapshot):
    """One GKE cluster as the GKE API describes it."""

    provider: Literal["gke"] = "gke"
    project: str = Field(min_length=1)
    location: str = Field(min_length=1)
    """A region (regional cluster) or zone (zonal cluster)."""
    name: str = Field(min_length=1)
    self_link: str = ""
    channel: Channel = Channel.UNSPECIFIED
    master_version: str = Field(min_length=1)
    """``currentMasterVersion``."""
    status: str = Field(min_length=1)
    """As GKE gives it: ``RUNNING``, ``RECONCILING``, ``ERROR``..."""
    node_pools: tuple[GkeNodePool, ...] = ()
    maintenance: MaintenancePolicy = Field(default_factory=MaintenancePolicy)
    valid_master_versions: tuple[str, ...] = ()
    """``ServerConfig.validMasterVersions`` for the location, newest first."""
    valid_node_versions: tuple[str, ...] = ()
    """``ServerConfig.validNodeVersions`` for the location, newest first."""
    channels: tuple[ChannelVersions, ...] = ()
    """``ServerConfig.channels``."""
    operations: tuple[GkeOperation, ...] = ()
    """Operations on the cluster not yet ``DONE`` when it was read."""

    @model_validator(mode="after")
    def _unique_names(self) -> GkeCluster:
        names = [p.name for p in self.node_pools]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"node pool listed more than once: {', '.join(dupes)}")
        return self

    @property
    def minor(self) -> str:
        """The master's Kubernetes minor (``1.36``)."""
        return minor_of(self.master_version)

    @property
    def support_type(self) -> SupportType:
        """Clusters on the Extended channel stay on their minor into extended support; the
        others are upgraded by GKE at the end of standard support."""
        return SupportType.EXTENDED if self.channel is Channel.EXTENDED else SupportType.STANDARD

    def pool(self, name: str) -> GkeNodePool | None:
        """The GKE node pool called ``name``, or None (a pool GKE does not manage)."""
        return next((p for p in self.node_pools if p.name == name), None)

    def channel_versions(self) -> ChannelVersions | None:
        """What the cluster's channel offers here (None without a channel or when unknown)."""
        return next((c for c in self.channels if c.channel is self.channel), None)

    def offered_master_versions(self) -> tuple[str, ...]:
        """The versions the master may move to: its channel's valid versions when enrolled,
        else the location's valid master versions (newest first)."""
        found = self.channel_versions()
        if self.channel is not Channel.UNSPECIFIED and found is not None:
            return found.valid_versions
        return self.valid_master_versions
