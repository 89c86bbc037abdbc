"""The AKS double's operations: ARM routes of Microsoft.ContainerService and their handlers.

Reads (https://learn.microsoft.com/rest/api/aks/): managedClusters list (subscription) and get,
upgradeProfiles/default, agentPools list/get and their upgradeProfiles/default,
maintenanceConfigurations list, listClusterUserCredential.
Long-running writes, answered as AKS does (https://learn.microsoft.com/azure/azure-resource-
manager/management/async-operations): managedClusters PUT and agentPools PUT answer 200 with the
resource in ``provisioningState: Upgrading`` and an ``Azure-AsyncOperation`` header;
agentPools/upgradeNodeImageVersion POST answers 202 with ``Azure-AsyncOperation`` and
``Location``. The operation status resource reads ``InProgress``, then ``Succeeded`` or
``Failed`` with ``error.{code,message}``; the Location URL (operationresults) answers 202 while
running, then the agent pool. A write while an operation runs on the cluster is refused with 409
``OperationNotAllowed``, as AKS does.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

from kubecurrent import sandbox as sb

from . import _double_shapes as shapes
from . import _double_work as work
from ._double_http import ArmError, Request, Response, Route, route
from ._double_state import LATEST_IMAGE, Cluster, Fault, Operation, Pool, Store

RP = "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.ContainerService"
MC = RP + "/managedClusters/{resourceName}"
OPS = "/subscriptions/{subscriptionId}/providers/Microsoft.ContainerService/locations/{location}"


class Arm:
    """Handlers over the store; writes start a worker thread per operation."""

    def __init__(self, store: Store, eviction_timeout: float) -> None:
        self.store = store
        self.eviction_timeout = eviction_timeout
        self.denied: set[str] = set()
        self.threads: list[threading.Thread] = []
        self.closing = threading.Event()

    def routes(self) -> list[Route]:
        return [
            route(
                "managedClusters.list",
                "GET",
                "/subscriptions/{subscriptionId}/providers/Microsoft.ContainerService/managedClusters",
                self.list_clusters,
            ),
            route("managedClusters.get", "GET", MC, self.get_cluster),
            route("managedClusters.createOrUpdate", "PUT", MC, self.put_cluster),
            route(
                "managedClusters.getUpgradeProfile",
                "GET",
                MC + "/upgradeProfiles/default",
                self.upgrade_profile,
            ),
            route(
                "managedClusters.listClusterUserCredential",
                "POST",
                MC + "/listClusterUserCredential",
                self.credentials,
            ),
            route("agentPools.list", "GET", MC + "/agentPools", self.list_pools),
            route("agentPools.get", "GET", MC + "/agentPools/{agentPoolName}", self.get_pool),
            route(
                "agentPools.createOrUpdate",
                "PUT",
                MC + "/agentPools/{agentPoolName}",
                self.put_pool,
            ),
            route(
                "agentPools.getUpgradeProfile",
                "GET",
                MC + "/agentPools/{agentPoolName}/upgradeProfiles/default",
                self.pool_profile,
            ),
            route(
                "agentPools.upgradeNodeImageVersion",
                "POST",
                MC + "/agentPools/{agentPoolName}/upgradeNodeImageVersion",
                self.node_image,
            ),
            route(
                "maintenanceConfigurations.listByManagedCluster",
                "GET",
                MC + "/maintenanceConfigurations",
                self.maintenance,
            ),
            route("operations.get", "GET", OPS + "/operations/{operationId}", self.operation),
            route(
                "operationResults.get",
                "GET",
                OPS + "/operationresults/{operationId}",
                self.operation_result,
            ),
        ]

    # -- lookups -----------------------------------------------------------------------------

    def _subscription(self, req: Request) -> str:
        sub = req.params["subscriptionId"]
        if sub in self.denied:
            raise ArmError(
                403,
                "AuthorizationFailed",
                f"The client 'kubecurrent-test' with object id '00000000-0000-0000-0000-"
                f"000000000001' does not have authorization to perform action "
                f"'Microsoft.ContainerService/managedClusters/read' over scope "
                f"'/subscriptions/{sub}' or the scope is invalid. If access was recently "
                "granted, please refresh your credentials.",
            )
        return sub

    def _cluster(self, req: Request) -> Cluster:
        key = (
            self._subscription(req),
            req.params["resourceGroupName"].lower(),
            req.params["resourceName"].lower(),
        )
        with self.store.lock:
            for (s, g, n), c in self.store.clusters.items():
                if (s, g.lower(), n.lower()) == key:
                    return c
        raise ArmError(
            404,
            "ResourceNotFound",
            f"The Resource 'Microsoft.ContainerService/managedClusters/{req.params['resourceName']}' "
            f"under resource group '{req.params['resourceGroupName']}' was not found.",
        )

    def _pool(self, req: Request) -> tuple[Cluster, Pool]:
        c = self._cluster(req)
        pool = c.pools.get(req.params["agentPoolName"])
        if pool is None:
            raise ArmError(
                404, "NotFound", f"Agent pool '{req.params['agentPoolName']}' not found."
            )
        return c, pool

    # -- reads -------------------------------------------------------------------------------

    def list_clusters(self, req: Request) -> Response:
        sub = self._subscription(req)
        with self.store.lock:
            found = [
                shapes.cluster_shape(c)
                for c in self.store.clusters.values()
                if c.subscription == sub
            ]
        return Response(200, {"value": found})

    def get_cluster(self, req: Request) -> Response:
        return Response(200, shapes.cluster_shape(self._cluster(req)))

    def upgrade_profile(self, req: Request) -> Response:
        return Response(200, shapes.upgrade_profile(self._cluster(req)))

    def credentials(self, req: Request) -> Response:
        return Response(200, shapes.user_credentials(self._cluster(req)))

    def list_pools(self, req: Request) -> Response:
        c = self._cluster(req)
        return Response(200, {"value": [shapes.pool_shape(c, p) for p in c.pools.values()]})

    def get_pool(self, req: Request) -> Response:
        return Response(200, shapes.pool_shape(*self._pool(req)))

    def pool_profile(self, req: Request) -> Response:
        return Response(200, shapes.pool_upgrade_profile(*self._pool(req)))

    def maintenance(self, req: Request) -> Response:
        c = self._cluster(req)
        value = [
            {
                "id": f"{c.id}/maintenanceConfigurations/{m['name']}",
                "type": "Microsoft.ContainerService/managedClusters/maintenanceConfigurations",
                **m,
            }
            for m in c.maintenance
        ]
        return Response(200, {"value": value})

    def operation(self, req: Request) -> Response:
        with self.store.lock:
            op = self.store.operations.get(req.params["operationId"])
        if op is None:
            raise ArmError(404, "NotFound", f"Operation {req.params['operationId']} not found.")
        return Response(200, op.body())

    def operation_result(self, req: Request) -> Response:
        with self.store.lock:
            op = self.store.operations.get(req.params["operationId"])
        if op is None:
            raise ArmError(404, "NotFound", f"Operation {req.params['operationId']} not found.")
        if op.status == "InProgress":
            return Response(202, None, {"Retry-After": "1"})
        if op.status == "Failed" and op.error is not None:
            raise ArmError(400, op.error.code, op.error.message)
        pool = op.cluster.pools.get(op.target)
        return Response(200, shapes.pool_shape(op.cluster, pool) if pool else None)

    # -- writes ------------------------------------------------------------------------------

    def put_cluster(self, req: Request) -> Response:
        c = self._cluster(req)
        props = req.body.get("properties") or {}
        wanted = str(props.get("kubernetesVersion") or c.version)
        for p in props.get("agentPoolProfiles") or ():
            pool = c.pools.get(str(p.get("name")))
            if pool is not None and p.get("orchestratorVersion") not in (None, pool.version):
                raise ArmError(
                    400,
                    "NotSupportedByDouble",
                    "the AKS double upgrades agent pools through agentPools PUT only",
                )
        with self.store.lock:
            self._idle(c)
            if wanted == c.version:
                return Response(200, shapes.cluster_shape(c))
            offered = shapes.next_versions(c)
            if wanted not in offered:
                raise ArmError(
                    400,
                    "UpgradeNotAllowed" if offered else "VersionNotSupported",
                    f"Upgrade from {c.version} to {wanted} is not allowed. Available upgrades: "
                    f"{', '.join(offered) or 'none'}. See https://aka.ms/aks/UpgradeVersionRules",
                )
            c.state = "Upgrading"
            op = self._start(
                req,
                c,
                "cluster",
                "",
                lambda: work.upgrade_control_plane(c, wanted),
                lambda: setattr(c, "version", wanted),
            )
            body = shapes.cluster_shape(c)
        return Response(200, body, {"Azure-AsyncOperation": self._op_url(req, c, op)})

    def put_pool(self, req: Request) -> Response:
        c, pool = self._pool(req)
        props = req.body.get("properties") or {}
        wanted = str(props.get("orchestratorVersion") or pool.version)
        with self.store.lock:
            self._idle(c)
            if wanted == pool.version:
                return Response(200, shapes.pool_shape(c, pool))
            if tuple(map(int, wanted.split("."))) > tuple(map(int, c.version.split("."))):
                raise ArmError(
                    400,
                    "NodePoolMcVersionIncompatible",
                    f"Node pool version {wanted} and control plane version {c.version} are "
                    "incompatible: a node pool cannot be newer than the control plane.",
                )
            pool.state, c.state = "Upgrading", "Upgrading"
            client = sb.admin_client(c.sandbox)

            def roll() -> None:
                work.roll_pool(client, c, pool, wanted, LATEST_IMAGE, self.eviction_timeout)

            def done() -> None:
                pool.version, pool.node_image = wanted, LATEST_IMAGE

            op = self._start(req, c, "pool", pool.name, roll, done)
            body = shapes.pool_shape(c, pool)
        return Response(200, body, {"Azure-AsyncOperation": self._op_url(req, c, op)})

    def node_image(self, req: Request) -> Response:
        c, pool = self._pool(req)
        with self.store.lock:
            self._idle(c)
            pool.state, c.state = "UpgradingNodeImageVersion", "Upgrading"
            client = sb.admin_client(c.sandbox)

            def roll() -> None:
                work.roll_pool(client, c, pool, pool.version, LATEST_IMAGE, self.eviction_timeout)

            op = self._start(
                req, c, "image", pool.name, roll, lambda: setattr(pool, "node_image", LATEST_IMAGE)
            )
        url = self._op_url(req, c, op)
        location = url.replace("/operations/", "/operationresults/")
        return Response(
            202, None, {"Azure-AsyncOperation": url, "Location": location, "Retry-After": "1"}
        )

    # -- operations --------------------------------------------------------------------------

    @staticmethod
    def _idle(c: Cluster) -> None:
        if c.state not in ("Succeeded", "Failed"):
            raise ArmError(
                409,
                "OperationNotAllowed",
                f"Operation is not allowed because there's an in progress update managed cluster "
                f"operation on the managed cluster {c.name}. Please wait for it to finish.",
            )

    @staticmethod
    def _op_url(req: Request, c: Cluster, op: Operation) -> str:
        return (
            f"{req.base}/subscriptions/{c.subscription}/providers/Microsoft.ContainerService/"
            f"locations/{c.location}/operations/{op.id}?api-version={req.query['api-version']}"
        )

    def _start(
        self,
        req: Request,
        c: Cluster,
        kind: str,
        target: str,
        action: Callable[[], None],
        done: Callable[[], None],
    ) -> Operation:
        op = Operation(kind, c, target)
        self.store.operations[op.id] = op
        thread = threading.Thread(target=self._run, args=(op, action, done), daemon=True)
        self.threads.append(thread)
        thread.start()
        return op

    def _run(self, op: Operation, action: Callable[[], None], done: Callable[[], None]) -> None:
        c = op.cluster
        while not c.released.wait(0.2):
            if self.closing.is_set():
                return
        error: Fault | None
        with self.store.lock:
            error = c.faults.pop(op.kind, None)
        if error is None:
            try:
                action()
            except work.WorkFailed as exc:
                error = Fault(exc.error.code, exc.error.message)
            except Exception as exc:  # the double's own failure: reported as AKS would
                error = Fault("InternalOperationError", f"{type(exc).__name__}: {exc}")
        with self.store.lock:
            if error is None:
                done()
            pool = c.pools.get(op.target)
            if pool is not None:
                pool.state = "Succeeded" if error is None else "Failed"
            c.state = "Succeeded" if error is None else "Failed"
            op.status, op.error = ("Succeeded", None) if error is None else ("Failed", error)
            op.end = dt.datetime.now(dt.UTC)
