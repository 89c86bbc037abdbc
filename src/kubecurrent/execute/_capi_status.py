"""What a Cluster API object's status says about its rollout: pure readings on dicts.

Which counters and conditions show a finished rollout depends on the kind and its API version;
``READINGS`` is that table. Sources (Cluster API v1.14.2, the release whose CRDs the tests use):

- KubeadmControlPlane and MachineDeployment, ``v1beta2``: ``upToDateReplicas``,
  ``readyReplicas``, ``availableReplicas``, conditions ``Available`` and ``RollingOut``; ``v1beta1``:
  ``updatedReplicas``, ``unavailableReplicas``, ``Ready`` (control plane) / ``Available``
  (the status schemas of
  https://github.com/kubernetes-sigs/cluster-api/blob/v1.14.2/core/config/crd/bases/cluster.x-k8s.io_machinedeployments.yaml
  and
  https://github.com/kubernetes-sigs/cluster-api/blob/v1.14.2/controlplane/kubeadm/config/crd/bases/controlplane.cluster.x-k8s.io_kubeadmcontrolplanes.yaml).
- MachinePool, ``v1beta2``: the same counters exist, but without MachinePool Machines the
  controller sets ``readyReplicas`` and ``availableReplicas`` to ``status.replicas`` and
  ``upToDateReplicas`` to ``spec.replicas``, whatever the nodes run; ``status.versions`` is
  aggregated from the kubelet versions of the nodes in ``status.nodeRefs`` (or from the
  Machines), so it is the reading that shows the rollout
  (https://github.com/kubernetes-sigs/cluster-api/blob/v1.14.2/core/reconcilers/machinepool/machinepool_controller_status.go).
  ``status.versions`` is new in v1.14
  (https://cluster-api.sigs.k8s.io/developer/providers/migrations/v1.13-to-v1.14). No ``v1beta2``
  condition but ``Paused`` is set yet — ``Available`` & co. are declared but "not yet
  implemented" (https://github.com/kubernetes-sigs/cluster-api/blob/v1.14.2/api/core/v1beta2/machinepool_types.go);
  the ``v1beta1`` ``Ready`` summary (of ``BootstrapReady``, ``InfrastructureReady``,
  ``ReplicasReady``) is still written, under ``status.deprecated.v1beta1.conditions``
  (https://github.com/kubernetes-sigs/cluster-api/blob/v1.14.2/core/reconcilers/machinepool/machinepool_controller.go).
  Cluster API's own topology controller counts a MachinePool as upgrading while a node in
  ``status.nodeRefs`` runs another kubelet than ``spec.template.spec.version``
  (https://github.com/kubernetes-sigs/cluster-api/blob/v1.14.2/internal/topology/check/upgrade.go).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kubecurrent.model import KubeVersion

__all__ = ["READINGS", "Readings", "observed_pool_version", "pool_version", "rollout_waiting"]

Obj = Mapping[str, Any]
CONDITIONS = ("status", "conditions")
DEPRECATED_CONDITIONS = ("status", "deprecated", "v1beta1", "conditions")


@dataclass(frozen=True)
class Readings:
    """What must hold, besides the version, for one kind in one API version to be rolled out."""

    counts: tuple[str, ...]
    """Status counters that must reach the desired replicas, reported in this order."""
    needed: str | None = None
    """A condition that must be True."""
    needed_at: tuple[str, ...] = CONDITIONS
    needed_optional: bool = False
    """Whether ``needed`` counts only once it is reported."""
    rolling: str | None = None
    """A condition that must not be True."""
    versions: bool = False
    """Whether ``status.versions`` must be reported (else only checked when it is)."""
    node_refs: bool = False
    """Whether ``status.nodeRefs`` must name a node per desired replica."""


_CURRENT = ("upToDateReplicas", "readyReplicas", "availableReplicas")
READINGS: dict[tuple[str, str], Readings] = {
    ("KubeadmControlPlane", "v1beta2"): Readings(_CURRENT, "Available", rolling="RollingOut"),
    ("KubeadmControlPlane", "v1beta1"): Readings(("updatedReplicas", "readyReplicas"), "Ready"),
    ("MachineDeployment", "v1beta2"): Readings(_CURRENT, "Available", rolling="RollingOut"),
    ("MachineDeployment", "v1beta1"): Readings(
        ("updatedReplicas", "readyReplicas", "availableReplicas"), "Available"
    ),
    ("MachinePool", "v1beta2"): Readings(
        _CURRENT,
        "Ready",
        needed_at=DEPRECATED_CONDITIONS,
        needed_optional=True,
        versions=True,
        node_refs=True,
    ),
    ("MachinePool", "v1beta1"): Readings(
        ("readyReplicas", "availableReplicas"), "Ready", versions=True, node_refs=True
    ),
}


def _v(text: str) -> KubeVersion:
    return KubeVersion.parse(text)


def _get(obj: Obj, *path: str) -> Any:
    node: Any = obj
    for key in path:
        if not isinstance(node, Mapping):
            return None
        node = node.get(key)
    return node


def _api(obj: Obj) -> str:
    return "v1beta1" if str(obj.get("apiVersion", "")).endswith("/v1beta1") else "v1beta2"


def readings(obj: Obj) -> Readings:
    return READINGS[(str(obj.get("kind")), _api(obj))]


def pool_version(obj: Obj) -> str | None:
    """``spec.template.spec.version`` of a MachineDeployment or MachinePool."""
    found = _get(obj, "spec", "template", "spec", "version")
    return str(found) if found else None


def _desired(obj: Obj) -> int:
    replicas = _get(obj, "spec", "replicas")
    return 1 if replicas is None else int(replicas)


def _listed_versions(obj: Obj) -> list[str]:
    found = _get(obj, "status", "versions") or []
    return [str(v["version"]) for v in found if isinstance(v, Mapping) and v.get("version")]


def rollout_waiting(obj: Obj, want: str) -> list[str]:
    """What ``obj`` (a KubeadmControlPlane, MachineDeployment or MachinePool) still lacks to be
    rolled out to ``want`` with every replica up to date and available; empty when it is done."""
    status: Obj = _get(obj, "status") or {}
    read = readings(obj)
    waiting: list[str] = []
    generation, seen = _get(obj, "metadata", "generation"), status.get("observedGeneration")
    if generation is not None and (seen is None or int(seen) < int(generation)):
        waiting.append(
            f"status.observedGeneration {seen} < metadata.generation {generation} (the "
            "controller has not acted on the change yet)"
        )
    spec_version = _get(obj, "spec", "version") or pool_version(obj)
    if spec_version is not None and _v(str(spec_version)) != _v(want):
        waiting.append(f"spec version {spec_version} is not {want} yet")
    reported = status.get("version")
    if obj.get("kind") == "KubeadmControlPlane" and (not reported or _v(reported) != _v(want)):
        waiting.append(f"status.version {reported or '(unset)'} (expected {want})")
    waiting += _versions_waiting(obj, read, want)
    waiting += _replicas_waiting(obj, status, read)
    waiting += _conditions_waiting(obj, read)
    return waiting


def _versions_waiting(obj: Obj, read: Readings, want: str) -> list[str]:
    versions = _listed_versions(obj)
    if any(_v(v) != _v(want) for v in versions):
        return [f"status.versions {', '.join(sorted(set(versions)))} (expected only {want})"]
    if read.versions and not versions and _desired(obj) > 0:
        return [
            f"status.versions not reported (the kubelet versions of the {obj.get('kind')}'s "
            "nodes, which Cluster API reports from v1.14 on)"
        ]
    return []


def _count(status: Obj, key: str) -> int:
    return int(status.get(key) or 0)


def _replicas_waiting(obj: Obj, status: Obj, read: Readings) -> list[str]:
    desired = _desired(obj)
    waiting = [
        f"{key} {_count(status, key)} of {desired}"
        for key in read.counts
        if _count(status, key) < desired
    ]
    if _count(status, "replicas") != desired:
        waiting.append(f"replicas {_count(status, 'replicas')} (desired {desired})")
    if _count(status, "unavailableReplicas"):
        waiting.append(f"unavailableReplicas {_count(status, 'unavailableReplicas')}")
    refs = len(status.get("nodeRefs") or [])
    if read.node_refs and refs != desired:
        waiting.append(f"status.nodeRefs {refs} of {desired}")
    return waiting


def _conditions(obj: Obj, at: tuple[str, ...]) -> dict[str, Obj]:
    found = _get(obj, *at) or []
    return {str(c.get("type")): c for c in found if isinstance(c, Mapping)}


def _condition_text(c: Obj, at: tuple[str, ...] = CONDITIONS) -> str:
    why = ": ".join(str(x) for x in (c.get("reason"), c.get("message")) if x)
    where = "" if at == CONDITIONS else f"{'.'.join(at[:-1])} "
    return f"{where}condition {c.get('type')}={c.get('status')}" + (f" ({why})" if why else "")


def _conditions_waiting(obj: Obj, read: Readings) -> list[str]:
    waiting = []
    if read.needed is not None:
        found = _conditions(obj, read.needed_at).get(read.needed)
        if found is None and not read.needed_optional:
            waiting.append(f"condition {read.needed} not reported")
        elif found is not None and found.get("status") != "True":
            waiting.append(_condition_text(found, read.needed_at))
    rolling = _conditions(obj, CONDITIONS).get(read.rolling) if read.rolling else None
    if rolling is not None and rolling.get("status") == "True":
        waiting.append(_condition_text(rolling))
    return waiting


def observed_pool_version(obj: Obj) -> str | None:
    """The oldest version a MachineDeployment's or MachinePool's nodes run, as far as its status
    tells.

    ``status.versions`` lists them; otherwise a MachineDeployment's spec version counts once the
    rollout to it is complete (a MachinePool's cannot: its counters do not follow the nodes);
    None when it cannot be told.
    """
    listed = _listed_versions(obj)
    if listed:
        return str(min(map(_v, listed)))
    spec = pool_version(obj)
    if readings(obj).versions or not spec:
        return None
    return spec if not rollout_waiting(obj, spec) else None
