"""The management cluster as the Cluster API provider reads it: one Cluster and its objects.

Resource classes follow the API version the management cluster prefers for each group
(``v1beta2`` or ``v1beta1``). Every call maps failures the executor's way: not found and
forbidden are permanent (with the flag or permission to check), conflicts, throttling, server
errors and an unreachable server are retryable.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx2
from lightkube.core.exceptions import ApiError
from lightkube.generic_resource import create_namespaced_resource

from kubecurrent.collect.decoding import prepare_decoders
from kubecurrent.execute._capi_rules import control_plane_ref, endpoint_matches
from kubecurrent.execute._errors import PermanentStepError, RetryableStepError
from kubecurrent.execute._kube import Kube

__all__ = [
    "CAPI_GROUP",
    "KCP_GROUP",
    "MACHINE_DEPLOYMENT",
    "MACHINE_POOL",
    "POOL_KINDS",
    "ManagementCluster",
    "PoolKind",
    "find_clusters",
]

T = TypeVar("T")
CAPI_GROUP = "cluster.x-k8s.io"
KCP_GROUP = "controlplane.cluster.x-k8s.io"
Obj = dict[str, Any]


@dataclass(frozen=True)
class PoolKind:
    """A Cluster API kind whose objects are node pools, rolled by ``spec.template.spec.version``.

    Both are in the core group ``cluster.x-k8s.io``; MachinePool's Go types moved there from
    ``exp/api`` in v1.11 (the API group did not change), and in v1.14.2 its CRD serves
    ``v1beta2`` (storage) and ``v1beta1``
    (https://cluster-api.sigs.k8s.io/developer/providers/migrations/v1.10-to-v1.11,
    https://github.com/kubernetes-sigs/cluster-api/blob/v1.14.2/core/config/crd/bases/cluster.x-k8s.io_machinepools.yaml).
    """

    kind: str
    plural: str
    topology: str
    """Its list under ``Cluster spec.topology.workers``."""
    topology_label: str
    """The label naming the entry of that list an object was generated for."""
    node_key: str
    """The node label or annotation whose value is the object's name (a pool's ``label``)."""
    nodes: str
    """How a workload node names its object (for hints)."""
    optional: bool = False
    """Whether a management cluster may not serve the kind at all."""


# Labels and annotations: https://github.com/kubernetes-sigs/cluster-api/blob/v1.14.2/api/core/v1beta2/common_types.go
# and .../api/core/v1beta2/machine_types.go. A MachinePool's nodes get the owner annotations
# (not labels) from .../core/reconcilers/machinepool/machinepool_controller_noderef.go; Machine
# labels reach nodes only in the node-role/node-restriction/node.cluster.x-k8s.io domains or by
# --additional-sync-machine-labels (.../util/labels/helpers.go, .../core/main.go).
MACHINE_DEPLOYMENT = PoolKind(
    kind="MachineDeployment",
    plural="machinedeployments",
    topology="machineDeployments",
    topology_label="topology.cluster.x-k8s.io/deployment-name",
    node_key="cluster.x-k8s.io/deployment-name",
    nodes="the label cluster.x-k8s.io/deployment-name (on nodes when the Cluster API "
    "controller syncs it: --additional-sync-machine-labels)",
)
MACHINE_POOL = PoolKind(
    kind="MachinePool",
    plural="machinepools",
    topology="machinePools",
    topology_label="topology.cluster.x-k8s.io/pool-name",
    node_key="cluster.x-k8s.io/owner-name",
    nodes="the annotation cluster.x-k8s.io/owner-name (with cluster.x-k8s.io/owner-kind: "
    "MachinePool)",
    optional=True,  # a beta feature (gate on by default since v1.7): its CRD may be missing
)
POOL_KINDS = (MACHINE_DEPLOYMENT, MACHINE_POOL)


@dataclass(frozen=True)
class Kinds:
    cluster: Any
    kcp: Any
    pools: dict[str, Any]
    """Resource classes by pool kind name."""


class ManagementCluster:
    """Reads one ``Cluster`` (``namespace``/``cluster``) and its objects through ``kube``."""

    def __init__(self, kube: Kube, namespace: str, cluster: str) -> None:
        self.kube, self.namespace, self.cluster_name = kube, namespace, cluster
        self._kinds: Kinds | None = None

    # -- reading -------------------------------------------------------------------------------

    def _ref(self, kind: str, name: str) -> str:
        return f"{kind} {self.namespace}/{name}"

    def kinds(self) -> Kinds:
        """The resource classes, in the API version the management cluster prefers."""
        if self._kinds is None:
            core, kcp = self._preferred(CAPI_GROUP), self._preferred(KCP_GROUP)
            self._kinds = Kinds(
                cluster=create_namespaced_resource(CAPI_GROUP, core, "Cluster", "clusters"),
                kcp=create_namespaced_resource(
                    KCP_GROUP, kcp, "KubeadmControlPlane", "kubeadmcontrolplanes"
                ),
                pools={
                    k.kind: create_namespaced_resource(CAPI_GROUP, core, k.kind, k.plural)
                    for k in POOL_KINDS
                },
            )
            prepare_decoders()  # their list models, before any thread decodes one
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

    def pools(self, kind: PoolKind) -> list[Obj]:
        """The Cluster's objects of ``kind``; none when an optional kind is not served."""
        res = self.kinds().pools[kind.kind]

        def listing() -> list[Any]:
            try:
                return list(self.kube.client.list(res, namespace=self.namespace))
            except ApiError as exc:
                if kind.optional and exc.status.code == 404:
                    return []  # a management cluster without the MachinePool CRD
                raise

        found = self._call(f"listing {kind.kind}s in {self.namespace}", listing)
        return [dict(m) for m in found if m.get("spec", {}).get("clusterName") == self.cluster_name]


def find_clusters(kube: Kube, server: str) -> list[tuple[str, str]]:
    """``(namespace, name)`` of every Cluster API ``Cluster`` on the management cluster ``kube``
    whose ``spec.controlPlaneEndpoint`` is the API server at URL ``server``; empty when Cluster API
    is not installed there or the Clusters cannot be listed."""
    code, body = kube.get_json(f"/apis/{CAPI_GROUP}")
    if code != 200 or not isinstance(body, dict):
        return []
    version = str((body.get("preferredVersion") or {}).get("version", ""))
    kind = create_namespaced_resource(CAPI_GROUP, version, "Cluster", "clusters")
    prepare_decoders()
    try:
        found = [dict(c) for c in kube.client.list(kind, namespace="*")]
    except (ApiError, httpx2.HTTPError):
        return []
    return sorted(
        (str(c["metadata"]["namespace"]), str(c["metadata"]["name"]))
        for c in found
        if endpoint_matches(c, server)
    )
