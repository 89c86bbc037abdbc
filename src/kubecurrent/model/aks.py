"""What Azure Kubernetes Service knows about a cluster, beside what the cluster itself shows.

``ClusterInventory.managed`` holds an ``AksCluster`` when the cluster was discovered through
Azure Resource Manager. Field names follow the AKS REST reference (api-version 2025-xx) so a
reader can find each one there; values keep Azure's spelling (``Succeeded``, ``Upgrading``,
``KubernetesOfficial``...). JSON uses camelCase keys, like the rest of the inventory.

Shapes (https://learn.microsoft.com/rest/api/aks/):

* managed cluster — ``managed-clusters/get``: ``properties.kubernetesVersion`` (what was asked),
  ``currentKubernetesVersion`` (what runs), ``provisioningState``, ``powerState.code``,
  ``supportPlan``, ``sku.tier``, ``autoUpgradeProfile.{upgradeChannel,nodeOSUpgradeChannel}``;
* upgrade profile — ``managed-clusters/get-upgrade-profile``:
  ``properties.controlPlaneProfile.upgrades[].{kubernetesVersion,isPreview}``;
* agent pools — ``agent-pools/list``: ``properties.{mode,orchestratorVersion,
  currentOrchestratorVersion,nodeImageVersion,upgradeSettings.maxSurge,count,provisioningState}``,
  and ``agent-pools/get-upgrade-profile``: ``upgrades[]``, ``latestNodeImageVersion``;
* planned maintenance — ``maintenance-configurations/list-by-managed-cluster``: ``default``
  (``timeInWeek``, ``notAllowedTime``) and the ``aksManagedAutoUpgradeSchedule`` /
  ``aksManagedNodeOSUpgradeSchedule`` configurations (``maintenanceWindow``).

Node pools stay in ``ClusterInventory.node_pools``, named by the node label
``kubernetes.azure.com/agentpool``; every agent pool is rolled by AKS.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Literal

from pydantic import Field, model_validator

from kubecurrent.model._snapshot import _Snapshot
from kubecurrent.model.managed import SupportType

__all__ = [
    "AKS_POOL_LABEL",
    "AgentPool",
    "AksCluster",
    "AksMaintenance",
    "AksSupportPlan",
    "AksUpgrade",
    "MaintenanceKind",
    "NotAllowed",
    "TimeInWeek",
]

AKS_POOL_LABEL = "kubernetes.azure.com/agentpool"
"""The node label AKS sets to the agent pool's name."""

_VERSION = r"^\d+\.\d+(\.\d+)?$"


class AksSupportPlan(StrEnum):
    """``properties.supportPlan``: community support, or long-term support (Premium tier)."""

    KUBERNETES_OFFICIAL = "KubernetesOfficial"
    LONG_TERM_SUPPORT = "AKSLongTermSupport"


class MaintenanceKind(StrEnum):
    """The three planned-maintenance configurations AKS reads by name."""

    DEFAULT = "default"
    """Legacy configuration: weekly hour slots (``timeInWeek``), for AKS's own releases."""
    AUTO_UPGRADE = "aksManagedAutoUpgradeSchedule"
    """When the cluster auto-upgrade channel may upgrade Kubernetes."""
    NODE_OS_UPGRADE = "aksManagedNodeOSUpgradeSchedule"
    """When the node OS auto-upgrade channel may update node images."""


class AksUpgrade(_Snapshot):
    """One version an upgrade profile offers (``upgrades[]``)."""

    kubernetes_version: str = Field(pattern=_VERSION)
    is_preview: bool = False


class AgentPool(_Snapshot):
    """An AKS agent pool: AKS surges, drains and replaces its nodes on upgrade."""

    name: str = Field(min_length=1)
    mode: str = "User"
    """``System``, ``User`` or ``Gateway``, as AKS gives it."""
    orchestrator_version: str = Field(pattern=_VERSION)
    """The version asked for (may be a minor alias such as ``1.36``)."""
    current_orchestrator_version: str | None = Field(default=None, pattern=_VERSION)
    """The version the pool's nodes run (always a full patch)."""
    node_image_version: str | None = None
    """``AKSUbuntu-2204gen2containerd-202611.01.0``."""
    latest_node_image_version: str | None = None
    """From the pool's upgrade profile: the newest node image AKS offers for it."""
    max_surge: str | None = None
    """``upgradeSettings.maxSurge``: extra nodes during an upgrade, a count or a percentage."""
    count: int | None = Field(default=None, ge=0)
    provisioning_state: str = "Succeeded"
    upgrades: tuple[AksUpgrade, ...] = ()
    """The versions the pool's upgrade profile offers."""

    @property
    def image_behind(self) -> bool:
        """Whether AKS offers a newer node image than the pool runs."""
        return bool(
            self.latest_node_image_version
            and self.node_image_version
            and self.latest_node_image_version != self.node_image_version
        )


class TimeInWeek(_Snapshot):
    """``timeInWeek[]`` of the ``default`` configuration: a day and its allowed UTC hours."""

    day: str
    hour_slots: tuple[int, ...] = ()


class NotAllowed(_Snapshot):
    """A span maintenance must not start in (``notAllowedTime`` / ``notAllowedDates``)."""

    start: dt.datetime
    end: dt.datetime


class AksMaintenance(_Snapshot):
    """One planned-maintenance configuration (``maintenanceConfigurations/{name}``)."""

    name: str = Field(min_length=1)
    kind: MaintenanceKind | None = None
    """None for a name AKS does not act on."""
    schedule: str = ""
    """``maintenanceWindow.schedule`` as one line: ``weekly every 1 week(s) on Sunday``."""
    frequency: str | None = None
    """Which schedule: ``daily``, ``weekly``, ``absoluteMonthly`` or ``relativeMonthly``."""
    interval: int | None = Field(default=None, ge=1)
    """``intervalDays``/``intervalWeeks``/``intervalMonths`` of that schedule."""
    day_of_week: str | None = None
    """``dayOfWeek`` of a weekly or relativeMonthly schedule (``Sunday``)."""
    day_of_month: int | None = Field(default=None, ge=1, le=31)
    """``dayOfMonth`` of an absoluteMonthly schedule."""
    week_index: str | None = None
    """``weekIndex`` of a relativeMonthly schedule: ``First``..``Fourth`` or ``Last``."""
    start_date: dt.date | None = None
    """``maintenanceWindow.startDate``: the schedule applies from this day."""
    start_time: str | None = None
    """``maintenanceWindow.startTime`` (``HH:MM``)."""
    duration_hours: int | None = Field(default=None, ge=4, le=24)
    utc_offset: str | None = None
    time_in_week: tuple[TimeInWeek, ...] = ()
    not_allowed: tuple[NotAllowed, ...] = ()
    """``notAllowedDates`` (maintenanceWindow; whole days in ``utcOffset``, both ends included)
    or ``notAllowedTime`` (default)."""


class AksCluster(_Snapshot):
    """One AKS managed cluster as Azure Resource Manager describes it."""

    provider: Literal["aks"] = "aks"
    name: str = Field(min_length=1)
    subscription: str = Field(min_length=1)
    resource_group: str = Field(min_length=1)
    id: str = Field(min_length=1)
    """The ARM resource id."""
    location: str = Field(min_length=1)
    kubernetes_version: str = Field(pattern=_VERSION)
    current_kubernetes_version: str | None = Field(default=None, pattern=_VERSION)
    provisioning_state: str = "Succeeded"
    power_state: str | None = None
    """``Running`` or ``Stopped``."""
    support_plan: AksSupportPlan = AksSupportPlan.KUBERNETES_OFFICIAL
    tier: str | None = None
    """``sku.tier``: ``Free``, ``Standard`` or ``Premium`` (LTS needs Premium)."""
    upgrade_channel: str | None = None
    """``autoUpgradeProfile.upgradeChannel``: ``rapid``, ``stable``, ``patch``, ``node-image``,
    ``none``; None when unset."""
    node_os_upgrade_channel: str | None = None
    upgrades: tuple[AksUpgrade, ...] = ()
    """``controlPlaneProfile.upgrades``: the versions AKS allows the control plane next."""
    upgrade_profile_read: bool = False
    """Whether the upgrade profile was read (an empty ``upgrades`` then means: none offered)."""
    agent_pools: tuple[AgentPool, ...] = ()
    maintenance: tuple[AksMaintenance, ...] = ()

    @model_validator(mode="after")
    def _unique_pools(self) -> AksCluster:
        names = [p.name for p in self.agent_pools]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"agent pool listed more than once: {', '.join(dupes)}")
        return self

    @property
    def running_version(self) -> str:
        """What the control plane runs: ``currentKubernetesVersion``, else what was asked."""
        return self.current_kubernetes_version or self.kubernetes_version

    @property
    def lts(self) -> bool:
        return self.support_plan is AksSupportPlan.LONG_TERM_SUPPORT

    @property
    def minor(self) -> str:
        """The control plane's Kubernetes minor (``1.36``)."""
        return ".".join(self.running_version.split(".")[:2])

    @property
    def support_type(self) -> SupportType:
        """A cluster on the LTS plan stays on its minor into long-term support (the catalog's
        extended phase, until "LTS End of life"); on ``KubernetesOfficial`` AKS upgrades it
        after its end of life (https://learn.microsoft.com/azure/aks/long-term-support)."""
        return SupportType.EXTENDED if self.lts else SupportType.STANDARD

    def agent_pool(self, name: str) -> AgentPool | None:
        """The agent pool called ``name``, or None."""
        return next((p for p in self.agent_pools if p.name == name), None)

    def maintenance_of(self, kind: MaintenanceKind) -> AksMaintenance | None:
        return next((m for m in self.maintenance if m.kind is kind), None)

    def offered(self, *, preview: bool = False) -> tuple[str, ...]:
        """Versions the upgrade profile offers the control plane (previews only if asked)."""
        return tuple(u.kubernetes_version for u in self.upgrades if preview or not u.is_preview)
