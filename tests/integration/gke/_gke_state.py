"""State of the GKE double and what its operations do in the sandboxes. Test infrastructure.

Resource shapes (JSON, camelCase, enum names) after the GKE REST reference v1:
Cluster and NodePool https://cloud.google.com/kubernetes-engine/docs/reference/rest/v1/projects.locations.clusters
and .../projects.locations.clusters.nodePools, ServerConfig
https://cloud.google.com/kubernetes-engine/docs/reference/rest/v1/ServerConfig, Operation
https://cloud.google.com/kubernetes-engine/docs/reference/rest/v1/projects.locations.operations.

A master upgrade runs ``sandbox upgrade`` on the cluster's sandbox. A node-pool upgrade rolls
the pool's kwok nodes (label ``cloud.google.com/gke-nodepool``) as GKE describes its strategies
(https://cloud.google.com/kubernetes-engine/docs/concepts/node-pool-upgrade-strategies): surge
creates ``maxSurge`` new nodes per batch of ``maxSurge + maxUnavailable`` old ones, cordons and
drains the old ones through the Eviction API (a PodDisruptionBudget's 429 is retried), deletes
them; blue-green creates the whole green pool first, cordons the blue one, drains it in batches.
"""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lightkube import Client
from lightkube.resources.core_v1 import Node

from kubecurrent import sandbox as sb
from tests.integration.eks import _double_work as work
from tests.integration.eks._double_state import UpdateError

POOL_LABEL = "cloud.google.com/gke-nodepool"
BUILD = 1200
"""The ``-gke.N`` build the double gives every version it offers."""
API = "https://container.googleapis.com/v1"
CHANNELS = {
    "RAPID": ("1.35", "1.36", "1.37"),
    "REGULAR": ("1.35", "1.36", "1.37"),
    "STABLE": ("1.35", "1.36"),
    "EXTENDED": ("1.35", "1.36", "1.37"),
}
"""The minors each release channel offers in every location of the double."""


def gke_version(minor: str) -> str:
    """``1.37.2-gke.1200``: the sandbox's release of ``minor`` as a GKE version."""
    return f"{sb.release_of(minor).removeprefix('v')}-gke.{BUILD}"


def minor_of(version: str) -> str:
    return ".".join(version.split("-")[0].split(".")[:2])


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def stamp(when: dt.datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class ApiError(Exception):
    """A Google API error: ``{"error": {"code", "message", "status"}}`` with HTTP ``code``
    (https://cloud.google.com/apis/design/errors#http_mapping)."""

    def __init__(self, code: int, status: str, message: str) -> None:
        super().__init__(message)
        self.code, self.status, self.message = code, status, message

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "status": self.status}}


@dataclass
class Pool:
    name: str
    version: str
    count: int
    strategy: str = "SURGE"
    max_surge: int = 1
    max_unavailable: int = 0
    auto_upgrade: bool = True
    status: str = "RUNNING"

    def resource(self, cluster: Cluster) -> dict[str, Any]:
        settings: dict[str, Any] = {
            "maxSurge": self.max_surge,
            "maxUnavailable": self.max_unavailable,
            "strategy": self.strategy,
        }
        if self.strategy == "BLUE_GREEN":
            settings["blueGreenSettings"] = {
                "standardRolloutPolicy": {"batchNodeCount": 1, "batchSoakDuration": "0s"},
                "nodePoolSoakDuration": "0s",
            }
        return {
            "name": self.name,
            "config": {"machineType": "e2-standard-4", "imageType": "COS_CONTAINERD"},
            "initialNodeCount": self.count,
            "selfLink": f"{API}/{cluster.path}/nodePools/{self.name}",
            "version": self.version,
            "status": self.status,
            "autoscaling": {"enabled": False},
            "management": {"autoUpgrade": self.auto_upgrade, "autoRepair": True},
            "upgradeSettings": settings,
        }


@dataclass
class Exclusion:
    name: str
    start: dt.datetime
    end: dt.datetime
    scope: str = "NO_UPGRADES"


@dataclass
class Cluster:
    project: str
    location: str
    name: str
    sandbox: str
    version: str
    channel: str = "REGULAR"
    pools: dict[str, Pool] = field(default_factory=dict)
    exclusions: list[Exclusion] = field(default_factory=list)
    recurring: tuple[dt.datetime, dt.datetime, str] | None = None
    status: str = "RUNNING"
    fail_next: dict[str, str] = field(default_factory=dict)
    """Operation type → the error message its next operation ends with."""

    @property
    def path(self) -> str:
        return f"projects/{self.project}/locations/{self.location}/clusters/{self.name}"

    def resource(self) -> dict[str, Any]:
        state = sb.require(self.sandbox)
        ca = base64.b64encode((sb.run_dir(self.sandbox) / "pki" / "ca.crt").read_bytes()).decode()
        window: dict[str, Any] = {
            "maintenanceExclusions": {
                e.name: {
                    "startTime": stamp(e.start),
                    "endTime": stamp(e.end),
                    "maintenanceExclusionOptions": {"scope": e.scope},
                }
                for e in self.exclusions
            }
        }
        if self.recurring is not None:
            start, end, rule = self.recurring
            window["recurringWindow"] = {
                "window": {"startTime": stamp(start), "endTime": stamp(end)},
                "recurrence": rule,
            }
        return {
            "name": self.name,
            "nodePools": [p.resource(self) for p in self.pools.values()],
            "selfLink": f"{API}/{self.path}",
            "zone": self.location,
            "location": self.location,
            "endpoint": state.server.removeprefix("https://"),
            "masterAuth": {"clusterCaCertificate": ca},
            "initialClusterVersion": self.version,
            "currentMasterVersion": self.version,
            "currentNodeVersion": min((p.version for p in self.pools.values()), default=""),
            "status": self.status,
            "releaseChannel": {"channel": self.channel},
            "maintenancePolicy": {"window": window, "resourceVersion": "1"},
        }


@dataclass
class Operation:
    name: str
    project: str
    location: str
    kind: str
    target: str
    detail: str
    status: str = "RUNNING"
    error: str = ""
    started: dt.datetime = field(default_factory=now)
    ended: dt.datetime | None = None

    def resource(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name,
            "zone": self.location,
            "location": self.location,
            "operationType": self.kind,
            "status": self.status,
            "detail": self.detail,
            "selfLink": f"{API}/projects/{self.project}/locations/{self.location}/operations/"
            f"{self.name}",
            "targetLink": f"{API}/{self.target}",
            "startTime": stamp(self.started),
        }
        if self.ended is not None:
            data["endTime"] = stamp(self.ended)
        if self.error:
            data["statusMessage"] = self.error
            data["error"] = {"code": 13, "message": self.error}
        return data


class State:
    """Clusters and operations, under one lock; operations run in worker threads."""

    def __init__(self, eviction_timeout: float) -> None:
        self.lock = threading.RLock()
        self.clusters: dict[tuple[str, str, str], Cluster] = {}
        self.operations: dict[str, Operation] = {}
        self.denied: set[str] = set()
        self.eviction_timeout = eviction_timeout
        self.threads: list[threading.Thread] = []
        self._ids = itertools.count(1)

    def cluster(self, project: str, location: str, name: str) -> Cluster:
        with self.lock:
            found = self.clusters.get((project, location, name))
        if found is None:
            raise ApiError(
                404,
                "NOT_FOUND",
                f"Not found: projects/{project}/locations/{location}/clusters/{name}.",
            )
        return found

    def start(
        self, c: Cluster, kind: str, target: str, detail: str, action: Callable[[], None]
    ) -> Operation:
        with self.lock:
            busy = [
                o
                for o in self.operations.values()
                if o.status == "RUNNING" and o.target.startswith(c.path)
            ]
            if busy:
                raise ApiError(
                    400,
                    "FAILED_PRECONDITION",
                    f"Cluster is running incompatible operation {busy[0].name}.",
                )
            name = f"operation-{next(self._ids)}-{secrets.token_hex(4)}"
            op = Operation(name, c.project, c.location, kind, target, detail)
            self.operations[name] = op
            failure = c.fail_next.pop(kind, "")
        thread = threading.Thread(target=self._run, args=(op, action, failure), daemon=True)
        self.threads.append(thread)
        thread.start()
        return op

    def _run(self, op: Operation, action: Callable[[], None], failure: str) -> None:
        error = failure
        if not failure:
            try:
                action()
            except work.WorkFailed as exc:
                error = exc.error.message
            except Exception as exc:  # a failure of the work itself: GKE's internal error
                error = f"Internal error: {type(exc).__name__}: {exc}"
        with self.lock:
            op.status, op.error, op.ended = "DONE", error, now()


def node_manifest(pool: str, version: str, location: str) -> dict[str, Any]:
    kubelet = f"v{version}"
    manifest = sb.node_manifest(sb.NodePool(name=pool, count=1, kubelet_version=kubelet), 0)
    name = f"gke-{pool}-{secrets.token_hex(3)}"
    manifest["metadata"]["name"] = name
    labels = manifest["metadata"]["labels"]
    del labels[sb.POOL_LABEL]
    labels.update(
        {
            POOL_LABEL: pool,
            "cloud.google.com/gke-os-distribution": "cos",
            "kubernetes.io/hostname": name,
            "node.kubernetes.io/instance-type": "e2-standard-4",
            "topology.kubernetes.io/region": location,
        }
    )
    manifest["status"]["nodeInfo"]["osImage"] = "Container-Optimized OS from Google (simulated)"
    return manifest


def pool_nodes(client: Client, pool: str) -> list[str]:
    return [
        n.metadata.name
        for n in client.list(Node, labels={POOL_LABEL: pool})
        if n.metadata and n.metadata.name
    ]


def create_pool_nodes(client: Client, pool: str, version: str, location: str, count: int) -> None:
    manifests = [node_manifest(pool, version, location) for _ in range(count)]
    work.create_nodes(client, manifests, timeout=120)


def roll(c: Cluster, pool: Pool, version: str, eviction_timeout: float) -> None:
    """Replace the pool's nodes by nodes at ``version`` with its strategy (module docstring)."""
    client = sb.admin_client(c.sandbox)
    old = pool_nodes(client, pool.name)
    if pool.strategy == "BLUE_GREEN":
        create_pool_nodes(client, pool.name, version, c.location, len(old))
        for name in old:
            work.cordon(client, name)
        batches = [[n] for n in old]
    else:
        size = max(1, pool.max_surge + pool.max_unavailable)
        batches = [old[i : i + size] for i in range(0, len(old), size)]
    for batch in batches:
        if pool.strategy != "BLUE_GREEN" and pool.max_surge:
            create_pool_nodes(
                client, pool.name, version, c.location, min(len(batch), pool.max_surge)
            )
        for name in batch:
            work.cordon(client, name)
        try:
            work.drain(client, pool.name, batch, False, eviction_timeout)
        except work.WorkFailed as exc:
            raise work.WorkFailed(
                UpdateError(
                    "PodEvictionFailure",
                    f"Failed to drain node pool {pool.name}: the PodDisruptionBudgets of its "
                    f"pods kept refusing evictions for {eviction_timeout:.0f}s (nodes "
                    f"{', '.join(batch)})",
                    tuple(batch),
                )
            ) from exc
        for name in batch:
            work.delete_node(client, name)
        missing = pool.count - len(pool_nodes(client, pool.name))
        if missing > 0:
            create_pool_nodes(client, pool.name, version, c.location, missing)
