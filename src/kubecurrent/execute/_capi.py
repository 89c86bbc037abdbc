"""The Cluster API provider: upgrades a Cluster by patching its objects on the management cluster.

Bound to a management-cluster connection and one ``Cluster`` (namespace/name)::

    Cluster with spec.topology (ClusterClass)
        control plane  patch Cluster spec.topology.version, wait for the control plane object
        node pool      no patch: Cluster API rolls each MachineDeployment after the control
                       plane; wait until the pool's MachineDeployment is rolled out
    Cluster without topology
        control plane  patch KubeadmControlPlane spec.version, wait for its rollout
        node pool      patch MachineDeployment spec.template.spec.version, wait for its rollout

Cluster API replaces and drains machines itself (honouring PodDisruptionBudgets), so node pools
are a *managed* roll (``ManagedPoolProvider``), not the executor's surge-and-drain. A node pool is
the MachineDeployment of the same name: nodes carry ``cluster.x-k8s.io/deployment-name``, which
the collector groups pools by. The ``control-plane`` pool (nodes with the control-plane role) is
rolled by the control plane object, so its step only waits for that.

Before each patch the rules of ``_capi_rules`` are checked; every patch is audited
(``capi.patch``, with the field's value before and after). The versions the executor verifies
come from the objects' status (``observe``), which Cluster API derives from the machines.
API versions: ``v1beta2`` and ``v1beta1``, whichever the management cluster prefers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx2
from lightkube.core.exceptions import ApiError
from lightkube.generic_resource import create_namespaced_resource
from lightkube.types import PatchType

from kubecurrent.errors import ClusterError
from kubecurrent.execute._audit import AuditLog
from kubecurrent.execute._capi_rules import (
    check_control_plane_hop,
    check_pool_version,
    control_plane_ref,
    endpoint_matches,
    md_version,
    observed_pool_version,
    rollout_waiting,
)
from kubecurrent.execute._clock import Clock
from kubecurrent.execute._errors import PermanentStepError, RetryableStepError, StepError
from kubecurrent.execute._kube import Kube
from kubecurrent.model import KubeVersion
from kubecurrent.model.inventory import ClusterInventory, NodePool

__all__ = ["CAPI_GROUP", "KCP_GROUP", "ClusterApiProvider", "find_clusters"]

T = TypeVar("T")
CAPI_GROUP = "cluster.x-k8s.io"
KCP_GROUP = "controlplane.cluster.x-k8s.io"
DEPLOYMENT_LABEL = "cluster.x-k8s.io/deployment-name"
CONTROL_PLANE_POOL = "control-plane"
Obj = dict[str, Any]


@dataclass(frozen=True)
class _Kinds:
    cluster: Any
    md: Any
    kcp: Any


class ClusterApiProvider:
    """Control-plane and managed node-pool provider for one Cluster API ``Cluster``."""

    name = "cluster-api"

    def __init__(
        self,
        kube: Kube,
        namespace: str,
        cluster: str,
        audit: AuditLog,
        clock: Clock | None = None,
        timeout: float = 1800.0,
        poll: float = 2.0,
    ) -> None:
        self.kube, self.namespace, self.cluster_name = kube, namespace, cluster
        self.audit, self.clock = audit, clock or Clock()
        self.timeout, self.poll = timeout, poll
        """Seconds the control plane may take to roll out; seconds between two reads."""
        self._kinds: _Kinds | None = None

    # -- reading -------------------------------------------------------------------------------

    def _ref(self, kind: str, name: str) -> str:
        return f"{kind} {self.namespace}/{name}"

    def kinds(self) -> _Kinds:
        """The resource classes, in the API version the management cluster prefers."""
        if self._kinds is None:
            core, kcp = self._preferred(CAPI_GROUP), self._preferred(KCP_GROUP)
            self._kinds = _Kinds(
                cluster=create_namespaced_resource(CAPI_GROUP, core, "Cluster", "clusters"),
                md=create_namespaced_resource(
                    CAPI_GROUP, core, "MachineDeployment", "machinedeployments"
                ),
                kcp=create_namespaced_resource(
                    KCP_GROUP, kcp, "KubeadmControlPlane", "kubeadmcontrolplanes"
                ),
            )
        return self._kinds

    def _preferred(self, group: str) -> str:
        code, body = self.kube.get_json(f"/apis/{group}")
        if code == 200 and isinstance(body, dict):
            version = str((body.get("preferredVersion") or {}).get("version", ""))
            if version in ("v1beta2", "v1beta1"):
                return version
            raise PermanentStepError(
                f"the management cluster serves {group} {version}; kubecurrent knows v1beta1 "
                "and v1beta2",
                hint="upgrade kubecurrent, or upgrade by hand with the Cluster API book",
            )
        if code == 404:
            raise PermanentStepError(
                f"the management cluster does not serve API group {group}: Cluster API is not "
                "installed there",
                hint="point --capi-kubeconfig/--capi-context at the management cluster",
            )
        raise RetryableStepError(f"cannot discover {group} on the management cluster: {body}")

    def _call(self, what: str, work: Callable[[], T]) -> T:
        """Run one API call; transient failures become retryable, the rest permanent."""
        try:
            return work()
        except ApiError as exc:
            code, message = exc.status.code or 0, exc.status.message or ""
            if code == 404:
                raise PermanentStepError(
                    f"{what}: not found on the management cluster ({message})",
                    hint="check --capi-cluster NAMESPACE/NAME and the management cluster context",
                ) from None
            if code in (409, 429) or code >= 500:
                raise RetryableStepError(f"{what}: {code} {message}", retry_after=1.0) from None
            raise PermanentStepError(
                f"{what}: {code} {message}",
                hint="check the management cluster credentials' permissions (RBAC)",
            ) from None
        except httpx2.HTTPError as exc:
            raise RetryableStepError(
                f"{what}: the management cluster is unreachable ({type(exc).__name__}: {exc})"
            ) from None

    def cluster(self) -> Obj:
        kinds = self.kinds()
        what = self._ref("Cluster", self.cluster_name)
        return dict(
            self._call(
                f"reading {what}",
                lambda: self.kube.client.get(
                    kinds.cluster, self.cluster_name, namespace=self.namespace
                ),
            )
        )

    def control_plane(self, cluster: Obj) -> Obj:
        ref = control_plane_ref(cluster)
        if ref is None:
            raise PermanentStepError(
                f"{self._ref('Cluster', self.cluster_name)} has no spec.controlPlaneRef yet",
                hint="wait until Cluster API has created the control plane, then run again",
            )
        group, kind, name = ref
        if (group, kind) != (KCP_GROUP, "KubeadmControlPlane"):
            raise PermanentStepError(
                f"{self._ref('Cluster', self.cluster_name)} uses control plane {kind} ({group}); "
                "kubecurrent drives KubeadmControlPlane only",
                hint="upgrade that control plane with its provider's documentation",
            )
        kcp = self.kinds().kcp
        return dict(
            self._call(
                f"reading {self._ref(kind, name)}",
                lambda: self.kube.client.get(kcp, name, namespace=self.namespace),
            )
        )

    def machine_deployments(self) -> list[Obj]:
        md = self.kinds().md
        found = self._call(
            f"listing MachineDeployments in {self.namespace}",
            lambda: list(self.kube.client.list(md, namespace=self.namespace)),
        )
        return [dict(m) for m in found if m.get("spec", {}).get("clusterName") == self.cluster_name]

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
        """Roll ``pool`` (a MachineDeployment) to ``version`` and wait until it is rolled out."""
        version = str(KubeVersion.parse(version))
        cluster = self.cluster()
        kcp = self.control_plane(cluster)
        kcp_name = str(kcp["metadata"]["name"])
        mds = {str(m["metadata"]["name"]): m for m in self.machine_deployments()}
        if pool not in mds:
            return self._roll_unmapped(pool, version, kcp_name, sorted(mds), timeout)
        what = self._ref("MachineDeployment", pool)
        cp = self._ref("KubeadmControlPlane", kcp_name)
        cp_version = (kcp.get("status") or {}).get("version")
        check_pool_version(what, md_version(mds[pool]), version, cp, cp_version)
        topology = (cluster.get("spec") or {}).get("topology")
        target = version
        if topology:  # Cluster API moves the pool to the topology's version by itself
            target = max(version, str(topology["version"]), key=KubeVersion.parse)
        elif KubeVersion.parse(md_version(mds[pool]) or "0.0.0") != KubeVersion.parse(version):
            self._patch(
                self.kinds().md,
                pool,
                {"spec": {"template": {"spec": {"version": version}}}},
                ("MachineDeployment", "spec.template.spec.version", md_version(mds[pool]), version),
            )
        done = self._wait("MachineDeployment", pool, self.kinds().md, target, timeout)
        replicas = (done.get("status") or {}).get("replicas", 0)
        how = "rolled by the Cluster topology" if topology else "rolled"
        return (
            f"{what} {how} to {target}: {replicas} machines up to date and available "
            "(Cluster API drained and replaced the old ones)"
        )

    def _roll_unmapped(
        self, pool: str, version: str, kcp_name: str, known: list[str], timeout: float
    ) -> str:
        if pool == CONTROL_PLANE_POOL:
            self._wait("KubeadmControlPlane", kcp_name, self.kinds().kcp, version, timeout)
            return (
                f"control-plane machines are rolled by "
                f"{self._ref('KubeadmControlPlane', kcp_name)}, which reports {version}"
            )
        raise PermanentStepError(
            f"node pool {pool} of {self._ref('Cluster', self.cluster_name)} has no "
            f"MachineDeployment of that name (found: {', '.join(known) or 'none'})",
            hint=f"pools are named by the nodes' label {DEPLOYMENT_LABEL}; roll this pool by "
            "hand or fix the plan",
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
        and per MachineDeployment the oldest version its machines run (pools named after it)."""
        try:
            kcp = self.control_plane(self.cluster())
            mds = self.machine_deployments()
        except StepError as exc:
            raise ClusterError(exc.message, hint=exc.hint) from None
        pools = {p.name: p for p in inv.node_pools}
        for md in mds:
            seen = observed_pool_version(md)
            if seen is None:
                continue
            name = str(md["metadata"]["name"])
            replicas = int((md.get("status") or {}).get("replicas") or 0)
            pools[name] = NodePool(
                name=name,
                kubelet=KubeVersion.parse(seen),
                nodes=replicas,
                label=DEPLOYMENT_LABEL,
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


def _name(pool: NodePool) -> str:
    return pool.name


def find_clusters(kube: Kube, server: str) -> list[tuple[str, str]]:
    """``(namespace, name)`` of every Cluster API ``Cluster`` on the management cluster ``kube``
    whose ``spec.controlPlaneEndpoint`` is the API server at URL ``server``; empty when Cluster API
    is not installed there or the Clusters cannot be listed."""
    code, body = kube.get_json(f"/apis/{CAPI_GROUP}")
    if code != 200 or not isinstance(body, dict):
        return []
    version = str((body.get("preferredVersion") or {}).get("version", ""))
    kind = create_namespaced_resource(CAPI_GROUP, version, "Cluster", "clusters")
    try:
        found = [dict(c) for c in kube.client.list(kind, namespace="*")]
    except (ApiError, httpx2.HTTPError):
        return []
    return sorted(
        (str(c["metadata"]["namespace"]), str(c["metadata"]["name"]))
        for c in found
        if endpoint_matches(c, server)
    )
