"""``CapiControllersDouble``: a test double for the Cluster API controllers, and its test objects.

The real Cluster API CRDs are installed in the sandbox, but their controllers (and webhooks)
cannot run here: they need infrastructure providers, machines and workload clusters. The double
plays their part on the objects of one namespace, as observable through the API server only.
"""

from __future__ import annotations

import copy
import datetime as dt
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from lightkube import Client
from lightkube.generic_resource import create_namespaced_resource
from lightkube.types import PatchType

V1B2 = "v1beta2"
CAPI, KCP_GROUP = "cluster.x-k8s.io", "controlplane.cluster.x-k8s.io"
INFRA = "infrastructure.cluster.x-k8s.io"
CLUSTER = create_namespaced_resource(CAPI, V1B2, "Cluster", "clusters")
MD = create_namespaced_resource(CAPI, V1B2, "MachineDeployment", "machinedeployments")
MP = create_namespaced_resource(CAPI, V1B2, "MachinePool", "machinepools")
KCP = create_namespaced_resource(KCP_GROUP, V1B2, "KubeadmControlPlane", "kubeadmcontrolplanes")
KINDS = {"Cluster": CLUSTER, "KubeadmControlPlane": KCP, "MachineDeployment": MD, "MachinePool": MP}
POOLS = {  # kind: (its list under spec.topology.workers, the label naming its entry there)
    "MachineDeployment": ("machineDeployments", "topology.cluster.x-k8s.io/deployment-name"),
    "MachinePool": ("machinePools", "topology.cluster.x-k8s.io/pool-name"),
}


@dataclass(frozen=True)
class Change:
    """One change the double saw: a spec field (by ``kubecurrent`` or by the double acting as
    the topology controller), or a status milestone it wrote (``status.version`` reached)."""

    seq: int
    by: str
    kind: str
    name: str
    path: str
    before: Any
    after: Any


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _leaves(spec: Any, prefix: str = "spec") -> dict[str, Any]:
    if isinstance(spec, dict):
        out: dict[str, Any] = {}
        for key, value in spec.items():
            out |= _leaves(value, f"{prefix}.{key}")
        return out
    return {prefix: spec}


def _version(obj: dict[str, Any]) -> str:
    spec = obj["spec"]
    return str(spec.get("version") or spec["template"]["spec"]["version"])


@dataclass
class CapiControllersDouble:
    """Test double: stands in for the Cluster API controllers, which cannot run here.

    Every ``tick`` seconds it reads the Clusters, KubeadmControlPlanes, MachineDeployments and
    MachinePools of ``namespace`` and acts as the controllers would:

    - an object it sees for the first time gets a settled status (provisioned earlier, every
      replica up to date at the spec's version);
    - a changed spec (new ``metadata.generation``) starts a rollout: ``RollingOut=True``, no
      replica up to date, ``status.version`` still the old one; ``roll_seconds`` later every
      replica is up to date at the new version — unless the object is in ``stuck``. A
      MachinePool is written as Cluster API v1.14.2's MachinePool controller writes one whose
      infrastructure provider keeps no Machines: no ``v1beta2`` conditions but ``Paused``, the
      ``v1beta1`` ones under ``status.deprecated``, replica counters that do not follow the
      nodes (``upToDateReplicas`` is ``spec.replicas`` throughout), and ``status.versions`` /
      ``status.nodeRefs`` from the nodes, which change only when the new nodes are there;
    - as the topology controller: a Cluster's ``spec.topology.version`` is copied to its
      KubeadmControlPlane, and once that is rolled out, to the MachineDeployments and the
      MachinePools generated from its ``spec.topology.workers`` — one of each kind at a time
      (Cluster API's default upgrade concurrency, counted per kind).

    It records every spec change it observes, in order, in ``changes`` (``by`` is ``double`` for
    its own topology writes, ``kubecurrent`` for everything else), plus a ``status.version``
    entry when a rollout completes.
    """

    client: Client
    namespace: str
    roll_seconds: float = 0.6
    tick: float = 0.1
    stuck: set[tuple[str, str]] = field(default_factory=set)
    changes: list[Change] = field(default_factory=list)
    _seen: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    _rolling: dict[tuple[str, str], float] = field(default_factory=dict)
    _own: set[tuple[str, str, str, Any]] = field(default_factory=set)
    _stop: threading.Event = field(default_factory=threading.Event)
    _error: BaseException | None = None

    def __enter__(self) -> CapiControllersDouble:
        self.reconcile()  # settle what the test created before anything runs
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        if self._error is not None:
            raise self._error

    def by(self, who: str) -> list[tuple[str, str, str, Any, Any]]:
        """The spec changes made by ``who``: (kind, name, path, before, after), in order."""
        return [
            (c.kind, c.name, c.path, c.before, c.after)
            for c in self.changes
            if c.by == who and c.path.startswith("spec")
        ]

    def seq(self, kind: str, name: str, path: str, after: Any) -> int:
        """When the double saw ``path`` of ``kind``/``name`` become ``after``."""
        return next(
            c.seq
            for c in self.changes
            if (c.kind, c.name, c.path, c.after) == (kind, name, path, after)
        )

    def _run(self) -> None:
        while not self._stop.wait(self.tick):
            try:
                self.reconcile()
            except Exception as exc:  # surfaced by __exit__
                self._error = exc
                return

    # -- one pass -----------------------------------------------------------------------------

    def reconcile(self) -> None:
        objs = {
            (kind, str(o["metadata"]["name"])): dict(o)
            for kind, res in KINDS.items()
            for o in self.client.list(res, namespace=self.namespace)
        }
        ordered = sorted(objs.items(), key=lambda kv: int(kv[1]["metadata"]["resourceVersion"]))
        for key, obj in ordered:
            self._record(key, obj)
        for (kind, name), obj in objs.items():
            if kind != "Cluster":
                self._reconcile_rollout(kind, name, obj)
        for (kind, _), obj in objs.items():
            if kind == "Cluster" and obj["spec"].get("topology"):
                self._reconcile_topology(obj, objs)
                for pool_kind in POOLS:
                    self._upgrade_next(pool_kind, obj, objs)

    def _record(self, key: tuple[str, str], obj: dict[str, Any]) -> None:
        before = self._seen.get(key)
        self._seen[key] = copy.deepcopy(obj)
        if before is None:
            return
        old, new = _leaves(before["spec"]), _leaves(obj["spec"])
        for path in sorted(old.keys() | new.keys()):
            if old.get(path) != new.get(path):
                mine = (*key, path, new.get(path)) in self._own
                self._log(
                    "double" if mine else "kubecurrent", key, path, old.get(path), new.get(path)
                )

    def _log(self, by: str, key: tuple[str, str], path: str, before: Any, after: Any) -> None:
        self.changes.append(Change(len(self.changes), by, *key, path, before, after))

    def _reconcile_rollout(self, kind: str, name: str, obj: dict[str, Any]) -> None:
        status = obj.get("status") or {}
        generation = obj["metadata"]["generation"]
        if "observedGeneration" not in status:
            self._status(kind, name, _settled(obj, _version(obj)))
            return
        started = self._rolling.get((kind, name))
        if status["observedGeneration"] != generation:
            self._rolling[(kind, name)] = time.monotonic()
            self._status(kind, name, _rolling(obj, status))
        elif (
            started is not None
            and (kind, name) not in self.stuck
            and time.monotonic() - started >= self.roll_seconds
        ):
            del self._rolling[(kind, name)]
            self._status(kind, name, _settled(obj, _version(obj)))
            self._log("double", (kind, name), "status.version", None, _version(obj))

    def _reconcile_topology(self, cluster: dict[str, Any], objs: dict[Any, dict[str, Any]]) -> None:
        want = cluster["spec"]["topology"]["version"]
        kcp_name = cluster["spec"]["controlPlaneRef"]["name"]
        kcp = objs[("KubeadmControlPlane", kcp_name)]
        if kcp["spec"]["version"] != want:
            self._patch_spec(
                "KubeadmControlPlane", kcp_name, {"version": want}, "spec.version", want
            )

    def _upgrade_next(
        self, kind: str, cluster: dict[str, Any], objs: dict[Any, dict[str, Any]]
    ) -> None:
        """Move the next pool of ``kind`` generated from the topology to its version, once the
        control plane reports it and no other pool of that kind is rolling."""
        want = cluster["spec"]["topology"]["version"]
        kcp = objs[("KubeadmControlPlane", cluster["spec"]["controlPlaneRef"]["name"])]
        if (kcp.get("status") or {}).get("version") != want or kcp["spec"]["version"] != want:
            return
        if ("KubeadmControlPlane", kcp["metadata"]["name"]) in self._rolling:
            return
        workers, label = POOLS[kind]
        entries = {
            w["name"] for w in cluster["spec"]["topology"].get("workers", {}).get(workers, [])
        }
        pools = [
            (name, o)
            for (k, name), o in sorted(objs.items())
            if k == kind
            and o["spec"]["clusterName"] == cluster["metadata"]["name"]
            and (o["metadata"].get("labels") or {}).get(label) in entries
        ]
        if any((kind, name) in self._rolling for name, _ in pools):
            return  # one of each kind at a time
        for name, obj in pools:
            if obj["spec"]["template"]["spec"]["version"] != want:
                body = {"template": {"spec": {"version": want}}}
                self._patch_spec(kind, name, body, "spec.template.spec.version", want)
                return

    def _patch_spec(
        self, kind: str, name: str, spec: dict[str, Any], path: str, after: Any
    ) -> None:
        self._own.add((kind, name, path, after))
        self.client.patch(
            KINDS[kind], name, {"spec": spec}, namespace=self.namespace, patch_type=PatchType.MERGE
        )

    def _status(self, kind: str, name: str, status: dict[str, Any]) -> None:
        self.client.patch(
            KINDS[kind].Status,
            name,
            {"status": status},
            namespace=self.namespace,
            patch_type=PatchType.MERGE,
        )


def _condition(type_: str, status: str, reason: str, message: str = "") -> dict[str, Any]:
    return {
        "type": type_,
        "status": status,
        "reason": reason,
        "message": message,
        "lastTransitionTime": _now(),
    }


def _settled(obj: dict[str, Any], version: str) -> dict[str, Any]:
    if obj["kind"] == "MachinePool":
        return _pool_settled(obj, version)
    n = obj["spec"].get("replicas", 1)
    status: dict[str, Any] = {
        "observedGeneration": obj["metadata"]["generation"],
        "replicas": n,
        "readyReplicas": n,
        "availableReplicas": n,
        "upToDateReplicas": n,
        "versions": [{"version": version, "replicas": n}],
        "conditions": [
            _condition("Available", "True", "Available"),
            _condition("RollingOut", "False", "NotRollingOut"),
            _condition("MachinesUpToDate", "True", "UpToDate"),
        ],
    }
    if obj["kind"] == "KubeadmControlPlane":
        status |= {"version": version, "initialization": {"controlPlaneInitialized": True}}
    return status


def _rolling(obj: dict[str, Any], old: dict[str, Any]) -> dict[str, Any]:
    if obj["kind"] == "MachinePool":  # the old nodes are still there: only the generation moves
        return {**old, "observedGeneration": obj["metadata"]["generation"]}
    n = obj["spec"].get("replicas", 1)
    message = f"Rolling out {n} not up-to-date replicas; Machine waiting for its Node to be Ready"
    return {
        **old,
        "observedGeneration": obj["metadata"]["generation"],
        "upToDateReplicas": 0,
        "conditions": [
            _condition("Available", "True", "Available"),
            _condition("RollingOut", "True", "RollingOut", message),
            _condition("MachinesUpToDate", "False", "NotUpToDate"),
        ],
    }


def _v1beta1_condition(type_: str) -> dict[str, Any]:
    return {"type": type_, "status": "True", "lastTransitionTime": _now()}


def _pool_settled(obj: dict[str, Any], version: str) -> dict[str, Any]:
    """A MachinePool as v1.14.2's controller writes it when its nodes all run ``version``."""
    n = obj["spec"].get("replicas", 1)
    name = obj["metadata"]["name"]
    nodes = [f"{name}-{version.replace('.', '-')}-{i}" for i in range(n)]
    return {
        "observedGeneration": obj["metadata"]["generation"],
        "phase": "Running",
        "replicas": n,
        "readyReplicas": n,
        "availableReplicas": n,
        "upToDateReplicas": n,
        "versions": [{"version": version, "replicas": n}],
        "nodeRefs": [{"apiVersion": "v1", "kind": "Node", "name": node} for node in nodes],
        "initialization": {"infrastructureProvisioned": True, "bootstrapDataSecretCreated": True},
        "conditions": [_condition("Paused", "False", "NotPaused")],
        "deprecated": {
            "v1beta1": {
                "readyReplicas": n,
                "availableReplicas": n,
                "unavailableReplicas": 0,
                "conditions": [
                    _v1beta1_condition(c)
                    for c in ("Ready", "BootstrapReady", "InfrastructureReady", "ReplicasReady")
                ],
            }
        },
    }


# -- the objects a test creates --------------------------------------------------------------


def _ref(group: str, kind: str, name: str) -> dict[str, str]:
    return {"apiGroup": group, "kind": kind, "name": name}


def capi_cluster(
    name: str,
    version: str,
    endpoint: tuple[str, int] | None = None,
    topology: bool = False,
    deployments: tuple[str, ...] = ("md-a", "md-b"),
    machine_pools: tuple[str, ...] = (),
) -> list[dict[str, Any]]:
    """A Cluster, its KubeadmControlPlane (3 replicas), a MachineDeployment per ``deployments``
    and a MachinePool per ``machine_pools`` (2 replicas each, named ``<cluster>-<pool>``), as
    Cluster API would have them for a cluster at ``version``; with ``topology``, a ClusterClass
    Cluster whose control plane and pools the topology controller created (and labelled)."""
    cluster: dict[str, Any] = {
        "apiVersion": f"{CAPI}/{V1B2}",
        "kind": "Cluster",
        "metadata": {"name": name},
        "spec": {
            "clusterNetwork": {"pods": {"cidrBlocks": ["192.168.0.0/16"]}},
            "controlPlaneRef": _ref(KCP_GROUP, "KubeadmControlPlane", f"{name}-cp"),
            "infrastructureRef": _ref(INFRA, "DockerCluster", name),
        },
    }
    if endpoint is not None:
        cluster["spec"]["controlPlaneEndpoint"] = {"host": endpoint[0], "port": endpoint[1]}
    if topology:
        workers = {
            POOLS[kind][0]: [{"class": "default-worker", "name": p, "replicas": 2} for p in pools]
            for kind, pools in (("MachineDeployment", deployments), ("MachinePool", machine_pools))
            if pools
        }
        cluster["spec"]["topology"] = {
            "classRef": {"name": "quick-start"},
            "version": version,
            "controlPlane": {"replicas": 3},
            "workers": workers,
        }
    kcp = {
        "apiVersion": f"{KCP_GROUP}/{V1B2}",
        "kind": "KubeadmControlPlane",
        "metadata": {"name": f"{name}-cp", "labels": {"cluster.x-k8s.io/cluster-name": name}},
        "spec": {
            "replicas": 3,
            "version": version,
            "machineTemplate": {
                "spec": {"infrastructureRef": _ref(INFRA, "DockerMachineTemplate", f"{name}-cp")}
            },
        },
    }
    pools = [
        _pool(kind, name, pool, version, topology)
        for kind, names in (("MachineDeployment", deployments), ("MachinePool", machine_pools))
        for pool in names
    ]
    return [cluster, kcp, *pools]


def _pool(kind: str, cluster: str, pool: str, version: str, topology: bool) -> dict[str, Any]:
    name = f"{cluster}-{pool}"
    labels = {"cluster.x-k8s.io/cluster-name": cluster}
    if topology:  # what the topology controller puts on the objects it generates
        labels |= {"topology.cluster.x-k8s.io/owned": "", POOLS[kind][1]: pool}
    infra, spec = "DockerMachinePool", {}
    if kind == "MachineDeployment":
        labels["cluster.x-k8s.io/deployment-name"] = name
        infra, spec = "DockerMachineTemplate", {"selector": {"matchLabels": labels}}
    return {
        "apiVersion": f"{CAPI}/{V1B2}",
        "kind": kind,
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "clusterName": cluster,
            "replicas": 2,
            **spec,
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "clusterName": cluster,
                    "version": version,
                    "bootstrap": {
                        "configRef": _ref(
                            "bootstrap.cluster.x-k8s.io", "KubeadmConfigTemplate", name
                        )
                    },
                    "infrastructureRef": _ref(INFRA, infra, name),
                },
            },
        },
    }


def create_all(client: Client, namespace: str, docs: list[dict[str, Any]]) -> None:
    for doc in docs:
        res = KINDS[doc["kind"]]
        client.create(
            res.from_dict({**doc, "metadata": {**doc["metadata"], "namespace": namespace}})
        )


def specs(client: Client, namespace: str) -> dict[tuple[str, str], dict[str, Any]]:
    """Every Cluster API object's spec in ``namespace``, by (kind, name)."""
    return {
        (kind, str(o["metadata"]["name"])): o["spec"]
        for kind, res in KINDS.items()
        for o in client.list(res, namespace=namespace)
    }
