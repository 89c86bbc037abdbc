"""The EKS double's update operations, with EKS's rules, run against the sandbox in the background.

Rules enforced when the update is requested (the error codes are those the service model lists
for each operation):

- ``UpdateClusterVersion``: exactly one minor up (``InvalidRequestException``) to a version the
  double offers (``InvalidParameterException``); no other
  update in progress on the cluster (``ResourceInUseException``); every managed node group on the
  control plane's minor -- the operation's reference says "all of your node groups' Kubernetes
  versions must match the cluster's Kubernetes version in order to update the cluster to a new
  Kubernetes version" (``InvalidRequestException``, naming the node groups).
- ``UpdateNodegroupVersion``: never above the control plane; ``releaseVersion`` of the same minor;
  without ``version`` the node group goes to the cluster's minor (the reference's wording); one
  update at a time per node group, none during a cluster update.
- ``UpdateAddon``: a version the add-on offers for the cluster's minor; one at a time per add-on.

Each update is InProgress until its worker finishes: held while ``hold_updates`` is in force,
then failed with an injected fault (nothing changes in the sandbox), or carried out for real.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kubecurrent import sandbox as sb

from . import _double_shapes as shape
from . import _double_work as work
from ._double_http import ApiError, Request
from ._double_ops import Store
from ._double_state import (
    AddonStatus,
    Cluster,
    ClusterStatus,
    NodegroupStatus,
    Update,
    UpdateError,
    UpdateKind,
    UpdateStatus,
    now,
)


def _minor_index(minor: str) -> int:
    return int(minor.split(".")[1])


@dataclass
class Writes:
    store: Store
    eviction_timeout: float = 60.0
    closing: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)

    def handlers(self) -> dict[str, Callable[[Request], dict[str, Any]]]:
        return {
            "UpdateClusterVersion": self.update_cluster_version,
            "UpdateNodegroupVersion": self.update_nodegroup_version,
            "UpdateAddon": self.update_addon,
        }

    # -- requests -------------------------------------------------------------------------

    def update_cluster_version(self, req: Request) -> dict[str, Any]:
        version = str(req.body.get("version") or "")
        with self.store.lock:
            c = self.store.cluster(req.region, req.path["name"])
            if (again := self._repeated(c, req)) is not None:
                return again
            if not re.fullmatch(r"1\.\d+", version):
                raise ApiError(
                    "InvalidParameterException",
                    f"version {version!r} is not a Kubernetes minor such as 1.33",
                    clusterName=c.name,
                )
            if _minor_index(version) != _minor_index(c.version) + 1:
                raise ApiError(
                    "InvalidRequestException",
                    f"Unsupported Kubernetes minor version update from {c.version} to {version}",
                    clusterName=c.name,
                )
            if self.store.data.version(version) is None:
                offered = ", ".join(v.version for v in self.store.data.versions)
                raise ApiError(
                    "InvalidParameterException",
                    f"unsupported Kubernetes version {version!r} (offered: {offered})",
                    clusterName=c.name,
                )
            busy = c.in_progress()
            if busy or c.status is not ClusterStatus.ACTIVE:
                raise ApiError(
                    "ResourceInUseException",
                    f"Cluster {c.name} has update {busy[0].id if busy else ''} in progress"
                    if busy
                    else f"Cluster {c.name} is {c.status}",
                    clusterName=c.name,
                )
            behind = sorted(n for n, ng in c.nodegroups.items() if ng.version != c.version)
            if behind:
                raise ApiError(
                    "InvalidRequestException",
                    f"Nodegroup(s) {', '.join(behind)} must be updated to match cluster version "
                    f"{c.version} before updating cluster version",
                    clusterName=c.name,
                )
            update = Update(
                UpdateKind.CLUSTER, [("Version", version), ("PlatformVersion", "eks.1")]
            )
            self._remember(c, req, update)
            c.status = ClusterStatus.UPDATING
        self._start(c, update, lambda: self._run_cluster(c, version))
        return {"update": shape.update(update)}

    def update_nodegroup_version(self, req: Request) -> dict[str, Any]:
        body = req.body
        with self.store.lock:
            c = self.store.cluster(req.region, req.path["name"])
            ng = self.store.nodegroup(c, req.path["nodegroupName"])
            if (again := self._repeated(c, req)) is not None:
                return again
            release_given = body.get("releaseVersion")
            implied = ".".join(str(release_given).split(".")[:2]) if release_given else None
            version = str(body.get("version") or implied or c.version)
            release = str(release_given or work.release_version(version))
            if _minor_index(version) > _minor_index(c.version):
                raise ApiError(
                    "InvalidRequestException",
                    f"Requested Kubernetes version {version} is newer than the cluster's "
                    f"version {c.version}; a node group cannot be above its control plane",
                    clusterName=c.name,
                    nodegroupName=ng.name,
                )
            if not release.startswith(sb.release_of(version).removeprefix("v") + "-"):
                raise ApiError(
                    "InvalidParameterException",
                    f"Requested release version {release} is not valid for kubernetes version "
                    f"{version} (offered: {work.release_version(version)})",
                    clusterName=c.name,
                    nodegroupName=ng.name,
                )
            busy = [
                u for u in c.in_progress() if u.target == ng.name or u.kind is UpdateKind.CLUSTER
            ]
            if busy:
                raise ApiError(
                    "ResourceInUseException",
                    f"Nodegroup {ng.name} cannot be updated: update {busy[0].id} is in progress",
                    clusterName=c.name,
                    nodegroupName=ng.name,
                )
            force = bool(body.get("force", False))
            update = Update(
                UpdateKind.NODEGROUP,
                [("Version", version), ("ReleaseVersion", release)],
                target=ng.name,
            )
            self._remember(c, req, update)
            ng.status = NodegroupStatus.UPDATING
        self._start(c, update, lambda: self._run_nodegroup(c, ng.name, version, release, force))
        return {"update": shape.update(update)}

    def update_addon(self, req: Request) -> dict[str, Any]:
        body = req.body
        resolve = str(body.get("resolveConflicts") or "NONE")
        if resolve not in ("NONE", "OVERWRITE", "PRESERVE"):
            raise ApiError("InvalidParameterException", f"resolveConflicts {resolve!r} is invalid")
        with self.store.lock:
            c = self.store.cluster(req.region, req.path["name"])
            name = req.path["addonName"]
            if (again := self._repeated(c, req)) is not None:
                return again
            addon = c.addons.get(name)
            kind = self.store.data.addon(name)
            if addon is None or kind is None:
                raise ApiError(
                    "ResourceNotFoundException",
                    f"No addon: {name} found in cluster: {c.name}",
                    clusterName=c.name,
                    addonName=name,
                )
            version = str(body.get("addonVersion") or addon.version)
            offered = kind.find(version)
            if offered is None or c.version not in offered.minors:
                raise ApiError(
                    "InvalidParameterException",
                    f"Addon version specified is not supported by the cluster version "
                    f"{c.version}: {name} {version}",
                    clusterName=c.name,
                    addonName=name,
                )
            busy = [u for u in c.in_progress() if u.target == name]
            if busy:
                raise ApiError(
                    "ResourceInUseException",
                    f"Addon {name} has update {busy[0].id} in progress",
                    clusterName=c.name,
                    addonName=name,
                )
            update = Update(
                UpdateKind.ADDON,
                [("AddonVersion", version), ("ResolveConflicts", resolve)],
                target=name,
            )
            self._remember(c, req, update)
            addon.status = AddonStatus.UPDATING
        self._start(c, update, lambda: self._run_addon(c, name, version, resolve))
        return {"update": shape.update(update)}

    @staticmethod
    def _repeated(c: Cluster, req: Request) -> dict[str, Any] | None:
        """The update a request with the same ``clientRequestToken`` started (idempotency)."""
        token = req.body.get("clientRequestToken")
        earlier = c.request_tokens.get(str(token)) if token else None
        return {"update": shape.update(earlier)} if earlier is not None else None

    @staticmethod
    def _remember(c: Cluster, req: Request, update: Update) -> None:
        c.updates.append(update)
        if token := req.body.get("clientRequestToken"):
            c.request_tokens[str(token)] = update

    # -- background work ------------------------------------------------------------------

    def _start(self, c: Cluster, update: Update, action: Callable[[], None]) -> None:
        t = threading.Thread(
            target=self._run, args=(c, update, action), name=f"eks-double-{update.id}", daemon=True
        )
        self.threads.append(t)
        t.start()

    def _run(self, c: Cluster, update: Update, action: Callable[[], None]) -> None:
        while not c.released.wait(0.2):
            if self.closing.is_set():
                break
        error: UpdateError | None = None
        with self.store.lock:
            fault = c.faults.pop(update.kind, None)
        if self.closing.is_set():
            self._finish(c, update, UpdateStatus.CANCELLED, None)
            return
        if fault is not None:
            error = UpdateError(fault.error_code, fault.message, (update.target or c.name,))
        else:
            try:
                action()
            except work.WorkFailed as exc:
                error = exc.error
            except Exception as exc:  # a sandbox failure becomes the update's error
                error = UpdateError("Unknown", f"{type(exc).__name__}: {exc}", (c.name,))
        self._finish(c, update, UpdateStatus.FAILED if error else UpdateStatus.SUCCESSFUL, error)

    def _finish(
        self, c: Cluster, update: Update, status: UpdateStatus, error: UpdateError | None
    ) -> None:
        with self.store.lock:
            update.status = status
            if error is not None:
                update.errors.append(error)
            if update.kind is UpdateKind.CLUSTER:
                c.status = ClusterStatus.ACTIVE
            elif update.kind is UpdateKind.NODEGROUP and update.target in c.nodegroups:
                ng = c.nodegroups[update.target]
                ng.status = NodegroupStatus.ACTIVE
                ng.modified = now()
            elif update.kind is UpdateKind.ADDON and update.target in c.addons:
                addon = c.addons[update.target]
                addon.status = AddonStatus.UPDATE_FAILED if error else AddonStatus.ACTIVE
                addon.health_issues = [error] if error else []
                addon.modified = now()

    def _run_cluster(self, c: Cluster, version: str) -> None:
        sb.upgrade(c.sandbox, version, timeout=300)
        with self.store.lock:
            c.version = version
            c.platform_version = "eks.1"

    def _run_nodegroup(
        self, c: Cluster, name: str, version: str, release: str, force: bool
    ) -> None:
        client = sb.admin_client(c.sandbox)
        with self.store.lock:
            ng = c.nodegroups[name]
            done = [
                n
                for n in work.group_nodes(client, name)
                if work.image_of(n) == work.ami_id(release)
            ]
            new = [
                work.node_manifest(self.node_name(c), name, release, ng.capacity_type, c.region)
                for _ in range(max(0, ng.desired - len(done)))
            ]
            max_unavailable = ng.max_unavailable
        image = work.ami_id(release)
        work.roll(client, name, image, new, max_unavailable, force, self.eviction_timeout)
        with self.store.lock:
            ng.version, ng.release_version = version, release

    def _run_addon(self, c: Cluster, name: str, version: str, resolve: str) -> None:
        kind = self.store.data.addon(name)
        assert kind is not None
        work.apply_addon(sb.admin_client(c.sandbox), kind, version, c.region, resolve)
        with self.store.lock:
            c.addons[name].version = version

    @staticmethod
    def node_name(c: Cluster) -> str:
        """An EC2-like private DNS name, unique in the cluster."""
        c.node_serial += 1
        n = c.node_serial
        return f"ip-10-0-{n // 250}-{n % 250 + 1}.{c.region}.compute.internal"
