"""What the EKS double keeps: clusters, node groups, add-ons, Fargate profiles and updates.

Every record is changed only under the double's lock; the statuses are EKS's enums from
botocore's service model (``ClusterStatus``, ``NodegroupStatus``, ``AddonStatus``,
``UpdateStatus``).
"""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from dataclasses import dataclass, field
from enum import StrEnum


class ClusterStatus(StrEnum):
    ACTIVE = "ACTIVE"
    UPDATING = "UPDATING"


class NodegroupStatus(StrEnum):
    ACTIVE = "ACTIVE"
    UPDATING = "UPDATING"
    DEGRADED = "DEGRADED"


class AddonStatus(StrEnum):
    ACTIVE = "ACTIVE"
    UPDATING = "UPDATING"
    UPDATE_FAILED = "UPDATE_FAILED"


class UpdateStatus(StrEnum):
    IN_PROGRESS = "InProgress"
    FAILED = "Failed"
    CANCELLED = "Cancelled"
    SUCCESSFUL = "Successful"


class UpdateKind(StrEnum):
    """What an update changes (the double's own split; EKS tells them apart by their type)."""

    CLUSTER = "cluster"
    NODEGROUP = "nodegroup"
    ADDON = "addon"


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class UpdateError:
    code: str  # EKS ErrorCode, e.g. "PodEvictionFailure"
    message: str
    resource_ids: tuple[str, ...] = ()


@dataclass
class Update:
    kind: UpdateKind
    params: list[tuple[str, str]]  # (UpdateParamType, value)
    target: str | None = None  # the node group or add-on name; None for the cluster
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    created: dt.datetime = field(default_factory=now)
    status: UpdateStatus = UpdateStatus.IN_PROGRESS
    errors: list[UpdateError] = field(default_factory=list)

    @property
    def type(self) -> str:
        return "AddonUpdate" if self.kind is UpdateKind.ADDON else "VersionUpdate"

    def param(self, name: str) -> str | None:
        return next((v for k, v in self.params if k == name), None)


@dataclass(frozen=True)
class Fault:
    """An injected failure for the next update of one kind."""

    error_code: str
    message: str


@dataclass
class Nodegroup:
    name: str
    version: str  # minor, "1.35"
    release_version: str  # "1.35.4-20261101"
    desired: int
    max_unavailable: int
    created: dt.datetime = field(default_factory=now)
    modified: dt.datetime = field(default_factory=now)
    status: NodegroupStatus = NodegroupStatus.ACTIVE
    ami_type: str = "AL2023_x86_64_STANDARD"
    capacity_type: str = "ON_DEMAND"
    max_unavailable_percentage: int | None = None
    launch_template: dict[str, str] | None = None
    health_issues: list[UpdateError] = field(default_factory=list)


@dataclass
class Addon:
    name: str
    version: str
    created: dt.datetime = field(default_factory=now)
    modified: dt.datetime = field(default_factory=now)
    status: AddonStatus = AddonStatus.ACTIVE
    health_issues: list[UpdateError] = field(default_factory=list)


@dataclass(frozen=True)
class DeprecatedApiUsage:
    """A deprecated API the cluster still serves to clients (what EKS insights report)."""

    usage: str  # "/apis/flowcontrol.apiserver.k8s.io/v1beta3/flowschemas"
    replaced_with: str  # "/apis/flowcontrol.apiserver.k8s.io/v1/flowschemas"
    stop_serving_version: str  # "1.32"
    user_agent: str = "legacy-operator/1.0"
    requests_last_30_days: int = 42


@dataclass
class Cluster:
    name: str
    region: str
    account_id: str
    sandbox: str
    version: str  # minor, "1.36"
    platform_version: str
    support_type: str
    created: dt.datetime = field(default_factory=now)
    status: ClusterStatus = ClusterStatus.ACTIVE
    tags: dict[str, str] = field(default_factory=dict)
    nodegroups: dict[str, Nodegroup] = field(default_factory=dict)
    addons: dict[str, Addon] = field(default_factory=dict)
    fargate_profiles: dict[str, dt.datetime] = field(default_factory=dict)
    updates: list[Update] = field(default_factory=list)
    deprecated_apis: list[DeprecatedApiUsage] = field(default_factory=list)
    faults: dict[UpdateKind, Fault] = field(default_factory=dict)
    request_tokens: dict[str, Update] = field(default_factory=dict)  # clientRequestToken
    released: threading.Event = field(default_factory=threading.Event)  # set: not held
    node_serial: int = 0

    def __post_init__(self) -> None:
        self.released.set()

    @property
    def arn(self) -> str:
        return f"arn:aws:eks:{self.region}:{self.account_id}:cluster/{self.name}"

    def in_progress(self) -> list[Update]:
        return [u for u in self.updates if u.status is UpdateStatus.IN_PROGRESS]

    def find_update(self, update_id: str) -> Update | None:
        return next((u for u in self.updates if u.id == update_id), None)
