"""The Cluster API provider: upgrades a Cluster by patching its objects on the management cluster.

Bound to a management-cluster connection and one ``Cluster`` (namespace/name)::

    Cluster with spec.topology (ClusterClass)
        control plane  patch Cluster spec.topology.version, wait for the control plane object
        node pool      no patch: Cluster API moves each MachineDeployment and MachinePool of
                       spec.topology.workers after the control plane; wait until the pool's
                       object is rolled out
    Cluster without topology
        control plane  patch KubeadmControlPlane spec.version, wait for its rollout
        node pool      patch MachineDeployment or MachinePool spec.template.spec.version, wait
                       for its rollout

Cluster API replaces and drains machines itself (honouring PodDisruptionBudgets), so node pools
are a *managed* roll (``ManagedPoolProvider``), not the executor's surge-and-drain. A node pool is
the MachineDeployment or MachinePool of the same name (``_capi_api.POOL_KINDS``, one table for
both): the collector names a MachinePool's nodes by their annotation
``cluster.x-k8s.io/owner-name``, a MachineDeployment's by the label
``cluster.x-k8s.io/deployment-name`` when Cluster API syncs it to the nodes. The
``control-plane`` pool (nodes with the control-plane role) is rolled by the control plane object,
so its step only waits for that.

Objects are read through ``_capi_api.ManagementCluster``. Before each patch the rules of
``_capi_rules`` are checked; every patch is audited
(``capi.patch``, with the field's value before and after). The versions the executor verifies
come from the objects' status (``observe``, read as ``_capi_status`` says), which Cluster API
derives from the machines and nodes.
API versions: ``v1beta2`` and ``v1beta1``, whichever the management cluster prefers.
"""

from __future__ import annotations

from typing import Any

from lightkube.types import PatchType

from kubecurrent.errors import ClusterError
from kubecurrent.execute._audit import Audit
from kubecurrent.execute._capi_api import POOL_KINDS, ManagementCluster, PoolKind
from kubecurrent.execute._capi_rules import (
    check_control_plane_hop,
    check_in_topology,
    check_observable,
    check_pool_version,
)
from kubecurrent.execute._capi_status import observed_pool_version, pool_version, rollout_waiting
from kubecurrent.execute._clock import Clock
from kubecurrent.execute._errors import PermanentStepError, StepError
from kubecurrent.execute._kube import Kube
from kubecurrent.model import KubeVersion
from kubecurrent.model.inventory import ClusterInventory, NodePool

__all__ = ["ClusterApiProvider"]

CONTROL_PLANE_POOL = "control-plane"
Obj = dict[str, Any]


class ClusterApiProvider(ManagementCluster):
    """Control-plane and managed node-pool provider for one Cluster API ``Cluster``."""

    name = "cluster-api"

    def __init__(
        self,
        kube: Kube,
        namespace: str,
        cluster: str,
        audit: Audit,
        clock: Clock | None = None,
        timeout: float = 1800.0,
        poll: float = 2.0,
    ) -> None:
        super().__init__(kube, namespace, cluster)
        self.audit, self.clock = audit, clock or Clock()
        self.timeout, self.poll = timeout, poll
        """Seconds the control plane may take to roll out; seconds between two reads."""

    # -- control plane -------------------------------------------------------------------------

    def upgrade_control_plane(self, version: str) -> str:
        """Move the control plane to ``version`` and wait for its rollout; the version it reports."""
        version = str(KubeVersion.parse(version))  # Cluster API writes v1.36.3
        cluster = self.cluster()
        kcp = self.control_plane(cluster)
        kcp_name = str(kcp["metadata"]["name"])
        running = (kcp.get("status") or {}).get("version") or kcp["spec"]["version"]
        topology = (cluster.get("spec") or {}).get("topology")
        if topology:
            what = f"{self._ref('Cluster', self.cluster_name)} spec.topology.version"
            desired = str(topology.get("version"))
            check_control_plane_hop(what, running, desired, version)
            if KubeVersion.parse(desired) != KubeVersion.parse(version):
                self._patch(
                    self.kinds().cluster,
                    self.cluster_name,
                    {"spec": {"topology": {"version": version}}},
                    ("Cluster", "spec.topology.version", desired, version),
                )
        else:
            what = f"{self._ref('KubeadmControlPlane', kcp_name)} spec.version"
            desired = str(kcp["spec"]["version"])
            check_control_plane_hop(what, running, desired, version)
            if KubeVersion.parse(desired) != KubeVersion.parse(version):
                self._patch(
                    self.kinds().kcp,
                    kcp_name,
                    {"spec": {"version": version}},
                    ("KubeadmControlPlane", "spec.version", desired, version),
                )
        done = self._wait("KubeadmControlPlane", kcp_name, self.kinds().kcp, version, self.timeout)
        return str(done["status"]["version"])

    # -- node pools ----------------------------------------------------------------------------

    def roll_pool(self, pool: str, version: str, timeout: float) -> str:
        """Roll ``pool`` (a MachineDeployment or MachinePool) to ``version`` and wait until it is
        rolled out."""
        version = str(KubeVersion.parse(version))
        cluster = self.cluster()
        kcp = self.control_plane(cluster)
        objs = self._pool_objects()
        found = self._named(pool, objs)
        if found is None:
            return self._roll_unmapped(pool, version, kcp, objs, timeout)
        kind, obj = found
        what = self._ref(kind.kind, pool)
        cp = self._ref("KubeadmControlPlane", str(kcp["metadata"]["name"]))
        current = pool_version(obj)
        check_pool_version(what, current, version, cp, (kcp.get("status") or {}).get("version"))
        check_observable(what, obj, version)
        topology = (cluster.get("spec") or {}).get("topology")
        target = version
        if topology:  # Cluster API moves the pool to the topology's version by itself
            check_in_topology(what, obj, topology, kind.topology, kind.topology_label)
            target = _at_least(
                version,
                str(topology["version"]),
                f"{self._ref('Cluster', self.cluster_name)} spec.topology.version",
                what,
            )
        elif KubeVersion.parse(current or "0.0.0") != KubeVersion.parse(version):
            self._patch(
                self.kinds().pools[kind.kind],
                pool,
                {"spec": {"template": {"spec": {"version": version}}}},
                (kind.kind, "spec.template.spec.version", current, version),
            )
        done = self._wait(kind.kind, pool, self.kinds().pools[kind.kind], target, timeout)
        replicas = (done.get("status") or {}).get("replicas", 0)
        how = "rolled by the Cluster topology" if topology else "rolled"
        return (
            f"{what} {how} to {target}: {replicas} machines up to date and available "
            "(Cluster API drained and replaced the old ones)"
        )

    def _pool_objects(self) -> list[tuple[PoolKind, Obj]]:
        return [(kind, obj) for kind in POOL_KINDS for obj in self.pools(kind)]

    def _named(self, pool: str, objs: list[tuple[PoolKind, Obj]]) -> tuple[PoolKind, Obj] | None:
        found = [(kind, obj) for kind, obj in objs if obj["metadata"]["name"] == pool]
        if len(found) > 1:
            raise PermanentStepError(
                f"node pool {pool} of {self._ref('Cluster', self.cluster_name)} is ambiguous: "
                f"both {' and '.join(k.kind for k, _ in found)} are named {pool}",
                hint="roll this pool by hand, or rename one of them",
            )
        return found[0] if found else None

    def _roll_unmapped(
        self, pool: str, version: str, kcp: Obj, objs: list[tuple[PoolKind, Obj]], timeout: float
    ) -> str:
        if pool == CONTROL_PLANE_POOL:
            name = str(kcp["metadata"]["name"])
            what = self._ref("KubeadmControlPlane", name)
            target = _at_least(version, str(kcp["spec"]["version"]), f"{what} spec.version", pool)
            self._wait("KubeadmControlPlane", name, self.kinds().kcp, target, timeout)
            return f"control-plane machines are rolled by {what}, which reports {target}"
        known = [f"{k.kind} {o['metadata']['name']}" for k, o in objs]
        raise PermanentStepError(
            f"node pool {pool} of {self._ref('Cluster', self.cluster_name)} has no "
            f"MachineDeployment or MachinePool of that name (found: {', '.join(known) or 'none'})",
            hint="a pool is named after its object by "
            + "; ".join(f"{k.nodes} for a {k.kind}" for k in POOL_KINDS)
            + "; roll this pool by hand or fix the plan",
        )

    # -- patching and waiting ------------------------------------------------------------------

    def _patch(
        self, kind: Any, name: str, body: Obj, change: tuple[str, str, str | None, str]
    ) -> None:
        kind_name, field, before, after = change
        what = self._ref(kind_name, name)
        self._call(
            f"patching {what} {field}",
            lambda: self.kube.client.patch(
                kind, name, body, namespace=self.namespace, patch_type=PatchType.MERGE
            ),
        )
        self.audit.write(
            "capi.patch",
            before=before,
            after=after,
            detail=f"{what} {field}",
            object=what,
            field=field,
        )

    def _wait(self, kind_name: str, name: str, kind: Any, want: str, timeout: float) -> Obj:
        what = self._ref(kind_name, name)
        deadline = self.clock.deadline(timeout)
        while True:
            obj = dict(
                self._call(
                    f"reading {what}",
                    lambda: self.kube.client.get(kind, name, namespace=self.namespace),
                )
            )
            waiting = rollout_waiting(obj, want)
            if not waiting:
                return obj
            if self.clock.monotonic() >= deadline:
                raise PermanentStepError(
                    f"{what} did not finish rolling out to {want} within {timeout:.0f}s; "
                    f"stuck on: {'; '.join(waiting)}",
                    hint=f"see `kubectl describe {kind_name.lower()} -n {self.namespace} {name}` "
                    "and the Cluster API controller logs; once the rollout completes, run the "
                    "upgrade again (it resumes without patching again)",
                )
            self.clock.sleep(self.poll)

    # -- what the executor verifies ------------------------------------------------------------

    def observe(self, inv: ClusterInventory) -> ClusterInventory:
        """``inv`` with the versions Cluster API reports: the control plane's ``status.version``,
        and per MachineDeployment or MachinePool the oldest version its nodes run (pools named
        after it); a pool whose object cannot tell keeps its collected versions."""
        try:
            kcp = self.control_plane(self.cluster())
            objs = self._pool_objects()
        except StepError as exc:
            raise ClusterError(exc.message, hint=exc.hint) from None
        pools = {p.name: p for p in inv.node_pools}
        for kind, obj in objs:
            seen = observed_pool_version(obj)
            if seen is None:
                continue
            name = str(obj["metadata"]["name"])
            replicas = int((obj.get("status") or {}).get("replicas") or 0)
            pools[name] = NodePool(
                name=name,
                kubelet=KubeVersion.parse(seen),
                nodes=replicas,
                label=kind.node_key,
                kubelet_versions=(str(KubeVersion.parse(seen)),),
            )
        cp = (kcp.get("status") or {}).get("version")
        if not cp:
            return inv.model_copy(update={"node_pools": tuple(sorted(pools.values(), key=_name))})
        if CONTROL_PLANE_POOL in pools:
            pools[CONTROL_PLANE_POOL] = pools[CONTROL_PLANE_POOL].model_copy(
                update={"kubelet": KubeVersion.parse(cp)}
            )
        return inv.model_copy(
            update={
                "control_plane": KubeVersion.parse(cp),
                "server_version": str(KubeVersion.parse(cp)),
                "node_pools": tuple(sorted(pools.values(), key=_name)),
            }
        )


def _at_least(want: str, desired: str, owner: str, what: str) -> str:
    """The version Cluster API will roll ``what`` to: ``desired``, which must reach ``want``."""
    if KubeVersion.parse(desired) < KubeVersion.parse(want):
        raise PermanentStepError(
            f"{what} follows {owner}, which is {desired}: Cluster API will not move it to {want}",
            hint=f"run the control-plane step to {want} first",
        )
    return str(KubeVersion.parse(desired))


def _name(pool: NodePool) -> str:
    return pool.name
