"""A test double of the Google Kubernetes Engine API, backed by real sandboxes. Test
infrastructure only: Google Cloud cannot be reached from the tests.

Protocol
--------
REST-JSON exactly as google-cloud-container's ``ClusterManagerClient`` sends it with
``transport="rest"``, pointed at the double through ``client_options.api_endpoint`` (kubecurrent
reads it from ``KUBECURRENT_GKE_ENDPOINT``, see ``env()``; an ``http://`` endpoint keeps its
scheme in google-api-core). Routes, auth and error shapes: ``_gke_http``; resources and what
operations do in the sandboxes: ``_gke_state``. Credentials: a service-account key JSON made
here (a fresh RSA key) whose ``token_uri`` is the double's token endpoint, found through
``GOOGLE_APPLICATION_CREDENTIALS`` by ``google.auth.default()`` — the real google-auth flows run
(the SDK's self-signed JWT, and the JWT-bearer grant for the access token the clusters' API
servers accept).

Operations and fields (API reference: https://cloud.google.com/kubernetes-engine/docs/reference/rest/v1/)
----------------------------------------------------------------------------------------------
- clusters.list (parent ``projects/P/locations/-`` or one location) -> clusters[]
- clusters.get -> Cluster: name, selfLink, zone, location, endpoint (the sandbox's API server,
  without scheme, as GKE gives an IP), masterAuth.clusterCaCertificate (the sandbox CA, base64
  PEM), initialClusterVersion, currentMasterVersion (``1.36.3-gke.1200``), currentNodeVersion,
  status (RUNNING | RECONCILING), releaseChannel.channel, nodePools[], maintenancePolicy.window
  {recurringWindow{window{startTime, endTime}, recurrence}, maintenanceExclusions{name:
  {startTime, endTime, maintenanceExclusionOptions.scope}}}
- nodePools.get -> NodePool: name, config, initialNodeCount, selfLink, version, status,
  autoscaling, management{autoUpgrade, autoRepair}, upgradeSettings{maxSurge, maxUnavailable,
  strategy (SURGE | BLUE_GREEN), blueGreenSettings}
- locations.getServerConfig -> defaultClusterVersion, validMasterVersions, validNodeVersions,
  channels[{channel, defaultVersion, validVersions}] (``_gke_state.CHANNELS``)
- clusters.updateMaster {masterVersion} -> Operation (UPGRADE_MASTER); a version the cluster's
  channel does not offer -> 400 INVALID_ARGUMENT; the master runs ``sandbox upgrade``
- nodePools.update {nodeVersion} -> Operation (UPGRADE_NODES); a version above the master's ->
  400 INVALID_ARGUMENT; the pool's kwok nodes are rolled with its strategy
- operations.list / operations.get -> Operation: name, zone, location, operationType, status
  (RUNNING | DONE), detail, selfLink, targetLink, startTime, endTime, and when it failed
  statusMessage and error{code, message}
A second operation on a cluster while one runs -> 400 FAILED_PRECONDITION ("Cluster is running
incompatible operation"), as GKE answers.

Test controls: ``deny_project`` (403 PERMISSION_DENIED on that project), ``fail_next_operation``
(the next operation of a type ends DONE with that error), ``eviction_timeout``, ``requests()``.

Kubernetes access
-----------------
``start_sandbox`` brings a sandbox up with the double's TokenReview webhook: the API server
accepts the access tokens the double issued (what kubecurrent sends, as
``gke-gcloud-auth-plugin`` would) as the service account, in ``system:masters``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from kubecurrent import sandbox as sb

from ._gke_http import TOKEN_PATH, TOKEN_REVIEW_PATH, Auth, Hooks, serve
from ._gke_state import (
    CHANNELS,
    ApiError,
    Cluster,
    Exclusion,
    Pool,
    State,
    create_pool_nodes,
    gke_version,
    minor_of,
    roll,
)

SERVICE_ACCOUNT = "kubecurrent-test@kubecurrent-test.iam.gserviceaccount.com"


@dataclass(frozen=True)
class PoolSpec:
    name: str
    count: int = 2
    strategy: str = "SURGE"
    max_surge: int = 1
    max_unavailable: int = 0


class GkeDouble:
    """A local GKE API (a test double) whose clusters are sandboxes of this test session."""

    def __init__(self, eviction_timeout: float = 60.0) -> None:
        self._dir = Path(tempfile.mkdtemp(prefix="gke-double-"))
        self._state = State(eviction_timeout)
        self._requests: list[tuple[str, dict[str, str]]] = []
        self._sandboxes: list[str] = []
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        private = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        public = (
            key.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )
        self.auth = Auth(SERVICE_ACCOUNT, public, "")
        hooks = Hooks(self.auth, self._handle, self._token_review, self._record)
        self._server = serve(hooks)
        self.endpoint_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self.auth.token_uri = f"{self.endpoint_url}{TOKEN_PATH}"
        self.key_file = self._dir / "service-account.json"
        self.key_file.write_text(
            json.dumps(
                {
                    "type": "service_account",
                    "project_id": "kubecurrent-test",
                    "private_key_id": "double-key-1",
                    "private_key": private,
                    "client_email": SERVICE_ACCOUNT,
                    "client_id": "100000000000000000001",
                    "token_uri": self.auth.token_uri,
                }
            )
        )

    # -- the contract ---------------------------------------------------------------------

    def start_sandbox(self, name: str, version: str) -> None:
        """``sandbox up`` (no pools) with this double's token webhook on its API server."""
        config = self._dir / f"{name}-token-webhook.kubeconfig"
        url = f"{self.endpoint_url}{TOKEN_REVIEW_PATH}{name}"
        config.write_text(yaml.safe_dump(_webhook_kubeconfig(url)))
        sb.up(sb.UpOptions(name, version, (), timeout=300, token_webhook_config=config))
        self._sandboxes.append(name)

    def add_cluster(
        self,
        project: str,
        location: str,
        name: str,
        sandbox: str,
        *,
        channel: str = "REGULAR",
        pools: Sequence[PoolSpec] = (),
    ) -> None:
        """Register ``sandbox`` as GKE cluster ``name`` and create its node pools' nodes."""
        state = sb.require(sandbox)
        version = gke_version(minor_of(state.version.removeprefix("v")))
        c = Cluster(project, location, name, sandbox, version, channel)
        client = sb.admin_client(sandbox)
        for spec in pools:
            pool = Pool(
                spec.name, version, spec.count, spec.strategy, spec.max_surge, spec.max_unavailable
            )
            create_pool_nodes(client, pool.name, version, location, spec.count)
            c.pools[pool.name] = pool
        with self._state.lock:
            self._state.clusters[(project, location, name)] = c

    def add_exclusion(
        self,
        cluster: str,
        name: str,
        start: dt.datetime,
        end: dt.datetime,
        scope: str = "NO_UPGRADES",
    ) -> None:
        """A maintenance exclusion on ``cluster`` (as ``gcloud container clusters update
        --add-maintenance-exclusion-*`` sets it)."""
        with self._state.lock:
            self._by_name(cluster).exclusions.append(Exclusion(name, start, end, scope))

    def clear_exclusions(self, cluster: str) -> None:
        with self._state.lock:
            self._by_name(cluster).exclusions.clear()

    def set_recurring_window(
        self, cluster: str, start: dt.datetime, end: dt.datetime, recurrence: str
    ) -> None:
        with self._state.lock:
            self._by_name(cluster).recurring = (start, end, recurrence)

    def clear_recurring_window(self, cluster: str) -> None:
        with self._state.lock:
            self._by_name(cluster).recurring = None

    def deny_project(self, project: str, denied: bool = True) -> None:
        """Every request on ``project`` answers 403 PERMISSION_DENIED until undone."""
        with self._state.lock:
            (self._state.denied.add if denied else self._state.denied.discard)(project)

    def fail_next_operation(self, cluster: str, kind: str, message: str) -> None:
        """The next ``kind`` (UPGRADE_MASTER | UPGRADE_NODES) operation of ``cluster`` ends
        DONE with ``message`` as its error, changing nothing."""
        with self._state.lock:
            self._by_name(cluster).fail_next[kind] = message

    def version_of(self, cluster: str) -> str:
        with self._state.lock:
            return self._by_name(cluster).version

    def requests(self) -> list[tuple[str, dict[str, str]]]:
        """(RPC, path parameters) of every authenticated request, in order."""
        with self._state.lock:
            return list(self._requests)

    def env(self) -> dict[str, str]:
        """Environment for a subprocess using google-auth and the SDK against this double (no
        gcloud configuration, no metadata server)."""
        return {
            "KUBECURRENT_GKE_ENDPOINT": self.endpoint_url,
            "GOOGLE_APPLICATION_CREDENTIALS": str(self.key_file),
            "CLOUDSDK_CONFIG": str(self._dir / "no-gcloud-config"),
            "GCE_METADATA_HOST": "127.0.0.1:9",
            "GCE_METADATA_IP": "127.0.0.1:9",
        }

    def close(self) -> None:
        """Stop the server, wait for running operations, stop the sandboxes started."""
        self._server.shutdown()
        self._server.server_close()
        for t in self._state.threads:
            t.join(timeout=360)
        with contextlib.suppress(Exception):  # each one is attempted; they stop side by side
            sb.down_many(self._sandboxes)
        shutil.rmtree(self._dir, ignore_errors=True)

    @property
    def eviction_timeout(self) -> float:
        return self._state.eviction_timeout

    @eviction_timeout.setter
    def eviction_timeout(self, seconds: float) -> None:
        self._state.eviction_timeout = seconds

    # -- the API ---------------------------------------------------------------------------

    def _by_name(self, name: str) -> Cluster:
        found = [c for c in self._state.clusters.values() if c.name == name]
        if len(found) != 1:
            raise KeyError(f"the GKE double has {len(found)} clusters named {name!r}")
        return found[0]

    def _record(self, rpc: str, params: dict[str, str]) -> None:
        with self._state.lock:
            self._requests.append((rpc, params))

    def _handle(
        self, rpc: str, p: dict[str, str], body: dict[str, Any], caller: str
    ) -> dict[str, Any]:
        project, location = p["project"], p["location"]
        with self._state.lock:
            if project in self._state.denied:
                raise ApiError(
                    403,
                    "PERMISSION_DENIED",
                    f'Required "container.clusters.list" permission(s) for "projects/{project}".',
                )
        if rpc == "ListClusters":
            with self._state.lock:
                found = [
                    c
                    for (proj, loc, _), c in sorted(self._state.clusters.items())
                    if proj == project and location in ("-", loc)
                ]
            return {"clusters": [c.resource() for c in found]}
        if rpc == "GetServerConfig":
            return _server_config()
        if rpc == "ListOperations":
            with self._state.lock:
                ops = [
                    o.resource()
                    for o in self._state.operations.values()
                    if o.project == project and location in ("-", o.location)
                ]
            return {"operations": ops}
        if rpc == "GetOperation":
            with self._state.lock:
                op = self._state.operations.get(p["operation"])
                if op is None or op.project != project:
                    raise ApiError(404, "NOT_FOUND", f"Operation {p['operation']} not found.")
                return op.resource()
        c = self._state.cluster(project, location, p["cluster"])
        if rpc == "GetCluster":
            with self._state.lock:
                return c.resource()
        if rpc == "UpdateMaster":
            return self._update_master(c, str(body.get("masterVersion") or ""))
        pool = c.pools.get(p["pool"])
        if pool is None:
            raise ApiError(404, "NOT_FOUND", f"Not found: {c.path}/nodePools/{p['pool']}.")
        if rpc == "GetNodePool":
            with self._state.lock:
                return pool.resource(c)
        return self._update_pool(c, pool, str(body.get("nodeVersion") or ""))

    def _update_master(self, c: Cluster, version: str) -> dict[str, Any]:
        offered = [gke_version(m) for m in CHANNELS.get(c.channel, ())]
        if version not in offered:
            raise ApiError(
                400,
                "INVALID_ARGUMENT",
                f'Master version "{version}" is unsupported in channel {c.channel}; valid '
                f"versions: {', '.join(offered)}.",
            )
        current = minor_of(c.version)
        target = minor_of(version)
        if [int(x) for x in target.split(".")] != [
            int(current.split(".")[0]),
            int(current.split(".")[1]) + 1,
        ] and target != current:
            raise ApiError(
                400,
                "INVALID_ARGUMENT",
                f"Master cannot be upgraded from {c.version} to {version}: upgrade one minor "
                "version at a time.",
            )

        def upgrade() -> None:
            with self._state.lock:
                c.status = "RECONCILING"
            try:
                if target != current:
                    sb.upgrade(c.sandbox, target, timeout=300)
                with self._state.lock:
                    c.version = version
            finally:
                with self._state.lock:
                    c.status = "RUNNING"

        op = self._state.start(c, "UPGRADE_MASTER", c.path, f"{c.version} -> {version}", upgrade)
        with self._state.lock:
            return op.resource()

    def _update_pool(self, c: Cluster, pool: Pool, version: str) -> dict[str, Any]:
        valid = [gke_version(m) for m in sorted({m for ms in CHANNELS.values() for m in ms})]
        if version not in valid or _key(version) > _key(c.version):
            raise ApiError(
                400,
                "INVALID_ARGUMENT",
                f'Node version "{version}" must be a valid version no newer than the master '
                f"version {c.version}.",
            )

        def upgrade() -> None:
            with self._state.lock:
                pool.status = "RECONCILING"
            try:
                roll(c, pool, version, self._state.eviction_timeout)
                with self._state.lock:
                    pool.version = version
            finally:
                with self._state.lock:
                    pool.status = "RUNNING"

        target = f"{c.path}/nodePools/{pool.name}"
        op = self._state.start(c, "UPGRADE_NODES", target, f"{pool.version} -> {version}", upgrade)
        with self._state.lock:
            return op.resource()

    def _token_review(self, sandbox: str, review: dict[str, Any]) -> dict[str, Any]:
        token = str((review.get("spec") or {}).get("token", ""))
        with self._state.lock:
            backs = any(c.sandbox == sandbox for c in self._state.clusters.values())
        status: dict[str, Any]
        if backs and self.auth.access_token_valid(token):
            status = {
                "authenticated": True,
                "user": {
                    "username": SERVICE_ACCOUNT,
                    "uid": "100000000000000000001",
                    "groups": ["system:masters", "system:authenticated"],
                },
            }
        else:
            status = {"authenticated": False, "error": "not an access token of the GKE double"}
        return {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "status": status}


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.replace("-gke.", ".").split(".") if p.isdigit())


def _server_config() -> dict[str, Any]:
    minors = sorted({m for ms in CHANNELS.values() for m in ms}, key=lambda m: _key(m))
    newest_first = [gke_version(m) for m in reversed(minors)]
    return {
        "defaultClusterVersion": gke_version(CHANNELS["REGULAR"][-2]),
        "validNodeVersions": newest_first,
        "defaultImageType": "COS_CONTAINERD",
        "validImageTypes": ["COS_CONTAINERD", "UBUNTU_CONTAINERD"],
        "validMasterVersions": newest_first,
        "channels": [
            {
                "channel": channel,
                "defaultVersion": gke_version(offered[-2] if len(offered) > 1 else offered[0]),
                "validVersions": [gke_version(m) for m in reversed(offered)],
            }
            for channel, offered in CHANNELS.items()
        ],
    }


def _webhook_kubeconfig(url: str) -> dict[str, Any]:
    """The kubeconfig-format file ``--authentication-token-webhook-config-file`` reads."""
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "gke-double", "cluster": {"server": url}}],
        "users": [{"name": "kube-apiserver", "user": {}}],
        "contexts": [
            {"name": "webhook", "context": {"cluster": "gke-double", "user": "kube-apiserver"}}
        ],
        "current-context": "webhook",
    }


__all__ = ["GkeDouble", "PoolSpec"]
