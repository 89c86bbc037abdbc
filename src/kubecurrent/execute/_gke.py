"""The Google GKE provider: the master, then each node pool, through the GKE API.

Bound to one GKE cluster (``GkeRef``)::

    control plane   projects.locations.clusters.updateMaster(masterVersion): the newest
                    version of the step's minor that GKE offers the cluster (its release
                    channel's valid versions in the location, else the location's valid master
                    versions: getServerConfig); then operations.get until DONE
    node pool       a GKE node pool: projects.locations.clusters.nodePools.update(nodeVersion =
                    the master's version when the step reaches the master's minor, else the
                    newest valid node version of the step's minor); GKE replaces the nodes with
                    the pool's own upgrade strategy (surge: maxSurge/maxUnavailable, or
                    blue-green) and drains them honouring PodDisruptionBudgets; any other pool
                    is refused

Resuming is safe: before starting anything, operations.list looks for an operation not yet
``DONE`` on the same target (the cluster for the master, the node pool for a pool: a killed
run's, or GKE's own auto-upgrade) and waits for it instead of starting another; a master or
pool already at the step's minor is left alone. An operation that ends with an error is a
``PermanentStepError`` carrying GKE's ``error.message`` (or ``statusMessage``). Every call that
changes GKE, every operation found running and every end of an operation is audited
(``gke.*`` actions); the executor's health gates run before and after every step as for any
provider. API reference:
https://cloud.google.com/kubernetes-engine/docs/reference/rest/v1/projects.locations.clusters/updateMaster,
https://cloud.google.com/kubernetes-engine/docs/reference/rest/v1/projects.locations.clusters.nodePools/update,
https://cloud.google.com/kubernetes-engine/docs/reference/rest/v1/projects.locations.operations.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from kubecurrent.collect.clouds import GkeRef
from kubecurrent.collect.gke import GkeError, client, gke_call, to_dict
from kubecurrent.execute._audit import Audit
from kubecurrent.execute._clock import Clock
from kubecurrent.execute._errors import PermanentStepError, RetryableStepError
from kubecurrent.execute._operation import Operation, Phase, Reading, await_operation
from kubecurrent.model.gke import minor_of

__all__ = ["GkeOptions", "GkeProvider"]

T = TypeVar("T")
_RETRYABLE = ("UNAVAILABLE", "RESOURCE_EXHAUSTED", "DEADLINE_EXCEEDED", "INTERNAL")
_NOT_DONE = ("PENDING", "RUNNING", "ABORTING")


@dataclass(frozen=True)
class GkeOptions:
    """How the GKE provider waits (command-line choices)."""

    timeout: float = 3600.0
    """Seconds one GKE operation may take before the step fails (it goes on in GKE)."""
    poll: float = 5.0
    """Seconds between two operations.get calls."""


def _version_key(version: str) -> tuple[int, ...]:
    """``1.36.2-gke.1200`` → (1, 36, 2, 1200), for newest-first choices."""
    return tuple(int(p) for p in version.replace("-gke.", ".").split(".") if p.isdigit())


@dataclass
class GkeProvider:
    """Master and node-pool provider for one GKE cluster."""

    ref: GkeRef
    audit: Audit
    options: GkeOptions = field(default_factory=GkeOptions)
    clock: Clock = field(default_factory=Clock)
    api: Any = None
    """A ``ClusterManagerClient`` (default: the one ``kubecurrent.collect.gke`` builds)."""
    name: str = "gke"

    def __post_init__(self) -> None:
        if self.api is None:
            self.api = client()

    @property
    def _parent(self) -> str:
        return f"projects/{self.ref.project}/locations/{self.ref.location}"

    # -- master --------------------------------------------------------------------------------

    def upgrade_control_plane(self, version: str) -> str:
        """Move the master to the newest version GKE offers of ``version``'s minor and wait;
        returns GKE's master version."""
        minor = minor_of(version)
        self._wait_running(self.ref.path, f"master of {self.ref}")
        cluster = self._cluster()
        current = str(cluster["current_master_version"])
        if minor_of(current) == minor:
            self.audit.write(
                "gke.no-op", before=current, after=minor, detail=f"{self.ref} is at {current}"
            )
            return f"{current} (already)"
        chosen = self._offered_master(cluster, minor)
        op = self._start(
            "UpdateMaster",
            f"{self.ref} {current} → {chosen}",
            lambda: self.api.update_master(name=self.ref.path, master_version=chosen),
            before=current,
            after=chosen,
        )
        self._wait(op, f"master of {self.ref} to {chosen}")
        return str(self._cluster()["current_master_version"])

    def _offered_master(self, cluster: dict[str, Any], minor: str) -> str:
        config = self._call(
            "read the server config",
            lambda: to_dict(self.api.get_server_config(name=self._parent)),
        )
        channel = str((cluster.get("release_channel") or {}).get("channel") or "UNSPECIFIED")
        where = f"{self.ref.location} (no release channel)"
        offered = [str(v) for v in config.get("valid_master_versions") or ()]
        if channel != "UNSPECIFIED":
            found = next(
                (c for c in config.get("channels") or () if c.get("channel") == channel), None
            )
            if found is not None:
                offered = [str(v) for v in found.get("valid_versions") or ()]
                where = f"the {channel} channel in {self.ref.location}"
        matching = [v for v in offered if _minor_or_none(v) == minor]
        if not matching:
            minors = sorted({m for v in offered if (m := _minor_or_none(v))}, key=_version_key)
            raise PermanentStepError(
                f"GKE does not offer Kubernetes {minor} on {where} for {self.ref}",
                hint=f"GKE offers {', '.join(minors) or 'nothing there'}: plan to one of them "
                "(`kubecurrent plan --target X.Y`), or move the cluster to a channel that "
                "offers it",
            )
        return max(matching, key=_version_key)

    # -- node pools ----------------------------------------------------------------------------

    def roll_pool(self, pool: str, version: str, timeout: float) -> str:
        """Have GKE upgrade node pool ``pool`` to ``version``'s minor with its own strategy."""
        minor = minor_of(version)
        path = f"{self.ref.path}/nodePools/{pool}"
        self._wait_running(path, f"node pool {pool} of {self.ref}")
        data = self._node_pool(pool, path)
        current = str(data["version"])
        if minor_of(current) == minor:
            self.audit.write(
                "gke.no-op", before=current, after=minor, detail=f"node pool {pool} is at {current}"
            )
            return f"node pool {pool} already at {current}"
        master = str(self._cluster()["current_master_version"])
        chosen = master if minor_of(master) == minor else self._offered_node(minor)
        settings = data.get("upgrade_settings") or {}
        strategy = str(settings.get("strategy") or "SURGE")
        how = (
            f"surge (maxSurge {settings.get('max_surge', 1)}, maxUnavailable "
            f"{settings.get('max_unavailable', 0)})"
            if strategy != "BLUE_GREEN"
            else "blue-green"
        )
        request = {"name": path, "node_version": chosen}
        image = str((data.get("config") or {}).get("image_type") or "")
        if image:  # the request's image type, kept as it is (the API asks for one)
            request["image_type"] = image
        op = self._start(
            "UpdateNodePool",
            f"node pool {pool} of {self.ref} {current} → {chosen}; strategy {how} (the pool's own)",
            lambda: self.api.update_node_pool(request=request),
            before=current,
            after=chosen,
        )
        self._wait(op, f"node pool {pool} of {self.ref} to {chosen}", timeout)
        return f"GKE upgraded the nodes of {pool} to {chosen} ({how})"

    def _node_pool(self, pool: str, path: str) -> dict[str, Any]:
        try:
            return to_dict(
                gke_call(
                    f"read node pool {pool} of {self.ref}",
                    lambda: self.api.get_node_pool(name=path),
                )
            )
        except GkeError as exc:
            if exc.status != "NOT_FOUND":
                raise _step_error(exc) from None
            raise PermanentStepError(
                f"node pool {pool} of {self.ref} is not a GKE node pool: GKE cannot upgrade it",
                hint="replace its nodes yourself (cordon, drain, create nodes at the new version)",
            ) from None

    def _offered_node(self, minor: str) -> str:
        config = self._call(
            "read the server config",
            lambda: to_dict(self.api.get_server_config(name=self._parent)),
        )
        matching = [
            str(v) for v in config.get("valid_node_versions") or () if _minor_or_none(v) == minor
        ]
        if not matching:
            raise PermanentStepError(
                f"GKE offers no node version of Kubernetes {minor} in {self.ref.location} for "
                f"{self.ref}",
                hint="plan again: node pools follow the master's version",
            )
        return max(matching, key=_version_key)

    def _cluster(self) -> dict[str, Any]:
        return self._call("read", lambda: to_dict(self.api.get_cluster(name=self.ref.path)))

    # -- operations ----------------------------------------------------------------------------

    def _start(
        self, op: str, detail: str, call: Callable[[], Any], *, before: str, after: str
    ) -> str:
        try:
            started = self._call(op, lambda: to_dict(call()))
        except PermanentStepError as exc:
            self.audit.write(
                f"gke.{op}", before=before, after=after, outcome="failed", detail=exc.message
            )
            raise
        name = str(started["name"])
        self.audit.write(f"gke.{op}", before=before, after=after, detail=detail, operation=name)
        return name

    def _wait_running(self, target: str, what: str) -> None:
        """Wait for an operation not yet DONE whose target is ``target`` (a killed run's, or
        GKE's own)."""
        listed = self._call(
            "list operations",
            lambda: to_dict(self.api.list_operations(parent=self._parent)),
        )
        for op in listed.get("operations") or ():
            link = str(op.get("target_link") or "")
            if str(op.get("status")) in _NOT_DONE and link.endswith(target):
                name = str(op["name"])
                self.audit.write(
                    "gke.operation-found",
                    detail=f"{op.get('operation_type')} operation {name} on {what} is "
                    f"{op.get('status')}: waiting for it instead of starting another",
                    operation=name,
                )
                self._wait(name, what)

    def _wait(self, name: str, what: str, timeout: float | None = None) -> None:
        path = f"{self._parent}/operations/{name.rsplit('/', 1)[-1]}"

        def read() -> Reading:
            op = self._call("read operation", lambda: to_dict(self.api.get_operation(name=path)))
            status = str(op.get("status"))
            if status != "DONE":
                return Reading(Phase.RUNNING, status)
            error = (op.get("error") or {}).get("message") or op.get("status_message") or ""
            if error:
                return Reading(Phase.FAILED, status, f"failed: {error}")
            return Reading(Phase.SUCCEEDED, status)

        await_operation(
            read,
            Operation(
                label=f"GKE operation {name} ({what})",
                what=what,
                done_action="gke.operation-done",
                cloud="GKE",
                ids={"operation": name},
            ),
            audit=self.audit,
            clock=self.clock,
            timeout=timeout or self.options.timeout,
            poll=self.options.poll,
        )

    def _call(self, what: str, call: Callable[[], T]) -> T:
        try:
            return gke_call(f"{what} of {self.ref}", call)
        except GkeError as exc:
            raise _step_error(exc) from None


def _minor_or_none(version: Any) -> str | None:
    try:
        return minor_of(str(version))
    except ValueError:
        return None


def _step_error(exc: GkeError) -> PermanentStepError | RetryableStepError:
    """Google's transient statuses may pass: retry the step later; anything else stops it."""
    if exc.status in _RETRYABLE:
        return RetryableStepError(exc.message, hint=exc.hint, retry_after=10.0)
    return PermanentStepError(exc.message, hint=exc.hint)
