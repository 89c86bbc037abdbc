"""The AKS double's state: managed clusters, agent pools and long-running operations."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

IMAGE_PREFIX = "AKSUbuntu-2204gen2containerd-"
CURRENT_IMAGE = IMAGE_PREFIX + "202610.01.0"
LATEST_IMAGE = IMAGE_PREFIX + "202611.01.0"


@dataclass
class Pool:
    name: str
    mode: str
    version: str  # full patch the nodes run, "1.35.2"
    count: int
    max_surge: str
    node_image: str = CURRENT_IMAGE
    state: str = "Succeeded"


@dataclass
class Fault:
    code: str
    message: str


@dataclass
class Cluster:
    subscription: str
    resource_group: str
    name: str
    location: str
    sandbox: str
    version: str  # full patch the control plane runs
    support_plan: str = "KubernetesOfficial"
    tier: str = "Standard"
    upgrade_channel: str = "none"
    node_os_channel: str = "NodeImage"
    pools: dict[str, Pool] = field(default_factory=dict)
    maintenance: list[dict[str, Any]] = field(default_factory=list)
    state: str = "Succeeded"
    withheld: set[str] = field(default_factory=set)
    """Minors the upgrade profile does not offer (a target AKS does not offer)."""
    faults: dict[str, Fault] = field(default_factory=dict)
    """Operation kind (``cluster``, ``pool``, ``image``) -> the next such operation fails so."""
    released: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.released.set()

    @property
    def id(self) -> str:
        return (
            f"/subscriptions/{self.subscription}/resourceGroups/{self.resource_group}/providers/"
            f"Microsoft.ContainerService/managedClusters/{self.name}"
        )


@dataclass
class Operation:
    """An ARM asynchronous operation (status ``InProgress`` | ``Succeeded`` | ``Failed``)."""

    kind: str
    cluster: Cluster
    target: str  # pool name, or "" for the control plane
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    status: str = "InProgress"
    error: Fault | None = None
    start: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    end: dt.datetime | None = None

    def body(self) -> dict[str, Any]:
        """The operation status resource (Azure-AsyncOperation)."""
        data: dict[str, Any] = {
            "id": f"/subscriptions/{self.cluster.subscription}/providers/"
            f"Microsoft.ContainerService/locations/{self.cluster.location}/operations/{self.id}",
            "name": self.id,
            "status": self.status,
            "startTime": self.start.isoformat(),
        }
        if self.end is not None:
            data["endTime"] = self.end.isoformat()
        if self.error is not None:
            data["error"] = {"code": self.error.code, "message": self.error.message}
        return data


@dataclass
class Store:
    clusters: dict[tuple[str, str, str], Cluster] = field(default_factory=dict)
    operations: dict[str, Operation] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)
