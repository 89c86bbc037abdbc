"""Cluster API's own rules, and what its objects say about a rollout: pure functions on dicts.

Rules kubecurrent enforces before it patches anything (the admission webhooks that enforce some
of them upstream may not run, and a refused patch should name the next step):

- the control plane moves one minor at a time, and never down — "you must always upgrade
  between Kubernetes minor versions in sequence"
  (https://cluster-api.sigs.k8s.io/tasks/upgrading-clusters); the KubeadmControlPlane webhook
  refuses +2 minors and the Cluster webhook refuses a lower ``spec.topology.version``
  (https://github.com/kubernetes-sigs/cluster-api/blob/v1.14.2/controlplane/kubeadm/webhooks/admission/kubeadmcontrolplane.go,
  https://github.com/kubernetes-sigs/cluster-api/blob/v1.14.2/core/webhooks/admission/cluster.go).
  Since v1.12 a ClusterClass may let Cluster API chain several minors itself; kubecurrent still
  moves one minor per step, so that every hop is verified and passes a health gate;
- workers follow the control plane: "first upgrade the control plane and then upgrade the worker
  machines" (same book page); a MachineDeployment's minor is never newer than the control
  plane's — the ``KubernetesVersionSkew`` preflight check
  (https://cluster-api.sigs.k8s.io/tasks/experimental-features/machineset-preflight-checks).

Rollout readings follow the API version of the object: ``v1beta2`` (``upToDateReplicas``,
``Available`` / ``RollingOut`` conditions) or ``v1beta1`` (``updatedReplicas``,
``unavailableReplicas``, ``Ready`` / ``Available`` conditions).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from kubecurrent.execute._errors import PermanentStepError
from kubecurrent.model import KubeVersion

__all__ = [
    "UPGRADING_BOOK",
    "check_control_plane_hop",
    "check_pool_version",
    "control_plane_ref",
    "endpoint_matches",
    "md_version",
    "observed_pool_version",
    "rollout_waiting",
]

UPGRADING_BOOK = "https://cluster-api.sigs.k8s.io/tasks/upgrading-clusters"
Obj = Mapping[str, Any]


def _v(text: str) -> KubeVersion:
    return KubeVersion.parse(text)


def _get(obj: Obj, *path: str) -> Any:
    node: Any = obj
    for key in path:
        if not isinstance(node, Mapping):
            return None
        node = node.get(key)
    return node


def check_control_plane_hop(what: str, current: str, desired: str, want: str) -> None:
    """Refuse a control-plane change Cluster API does not allow: a skipped minor or a downgrade.

    ``what`` names the object and field (``KubeadmControlPlane ns/name spec.version``);
    ``current`` is the oldest version its machines run, ``desired`` the version its spec asks for.
    """
    now, to = _v(current), _v(want)
    if to < now or to < _v(desired):
        raise PermanentStepError(
            f"{what} is at {max(now, _v(desired))}; moving it to {to} would be a downgrade, which "
            "Cluster API does not support",
            hint="plan again from the cluster's current version (`kubecurrent plan`)",
        )
    next_minor = now.minor_version.offset(1)
    if to.minor_version > next_minor:
        raise PermanentStepError(
            f"{what} is at {now}; {to} would skip Kubernetes {next_minor}: Cluster API upgrades "
            f"the control plane one minor at a time ({UPGRADING_BOOK})",
            hint=f"upgrade the control plane to {next_minor} first (the next step of a "
            "`kubecurrent plan`), then to the next minor",
        )


def check_pool_version(
    what: str, current: str | None, want: str, cp: str, cp_version: str | None
) -> None:
    """Refuse a MachineDeployment version newer than its control plane, or a downgrade."""
    to = _v(want)
    if not cp_version:
        raise PermanentStepError(
            f"{what} cannot move to {to}: {cp} reports no status.version yet",
            hint="wait until the control plane is up and reports its version, then run again",
        )
    if current and to < _v(current):
        raise PermanentStepError(
            f"{what} is at {current}; moving it to {to} would be a downgrade",
            hint="plan again from the cluster's current versions (`kubecurrent plan`)",
        )
    if to.minor_version > _v(cp_version).minor_version:
        raise PermanentStepError(
            f"{what} cannot move to {to}: {cp} reports {cp_version}, and Cluster API never runs "
            f"workers newer than the control plane ({UPGRADING_BOOK})",
            hint=f"run the control-plane step to {to.minor_version} first, then this one",
        )


def control_plane_ref(cluster: Obj) -> tuple[str, str, str] | None:
    """``(apiGroup, kind, name)`` of the Cluster's control plane, in either API version."""
    ref = _get(cluster, "spec", "controlPlaneRef")
    if not isinstance(ref, Mapping) or not ref.get("name"):
        return None
    group = ref.get("apiGroup") or str(ref.get("apiVersion", "")).partition("/")[0]
    return str(group), str(ref.get("kind", "")), str(ref["name"])


def md_version(md: Obj) -> str | None:
    found = _get(md, "spec", "template", "spec", "version")
    return str(found) if found else None


def _api(obj: Obj) -> str:
    return str(obj.get("apiVersion", "")).rpartition("/")[2]


def _conditions(obj: Obj) -> dict[str, Obj]:
    found = _get(obj, "status", "conditions") or []
    return {str(c.get("type")): c for c in found if isinstance(c, Mapping)}


def _condition_text(c: Obj) -> str:
    why = ": ".join(str(x) for x in (c.get("reason"), c.get("message")) if x)
    return f"condition {c.get('type')}={c.get('status')}" + (f" ({why})" if why else "")


def _count(status: Obj, key: str) -> int:
    return int(status.get(key) or 0)


def rollout_waiting(obj: Obj, want: str) -> list[str]:
    """What ``obj`` (a KubeadmControlPlane or MachineDeployment) still lacks to be rolled out to
    ``want`` with every replica up to date and available; empty when it is done."""
    status: Obj = _get(obj, "status") or {}
    waiting: list[str] = []
    generation, seen = _get(obj, "metadata", "generation"), status.get("observedGeneration")
    if generation is not None and (seen is None or int(seen) < int(generation)):
        waiting.append(
            f"status.observedGeneration {seen} < metadata.generation {generation} (the "
            "controller has not acted on the change yet)"
        )
    spec_version = _get(obj, "spec", "version") or md_version(obj)
    if spec_version is not None and _v(str(spec_version)) != _v(want):
        waiting.append(f"spec version {spec_version} is not {want} yet")
    reported = status.get("version")
    if obj.get("kind") == "KubeadmControlPlane" and (not reported or _v(reported) != _v(want)):
        waiting.append(f"status.version {reported or '(unset)'} (expected {want})")
    versions = [str(v.get("version")) for v in status.get("versions") or [] if v.get("version")]
    if any(_v(v) != _v(want) for v in versions):
        waiting.append(f"status.versions {', '.join(sorted(set(versions)))} (expected only {want})")
    waiting += _replicas_waiting(obj, status)
    waiting += _conditions_waiting(obj)
    return waiting


def _replicas_waiting(obj: Obj, status: Obj) -> list[str]:
    replicas = _get(obj, "spec", "replicas")
    desired = 1 if replicas is None else int(replicas)
    up_to_date = "upToDateReplicas" if _api(obj) != "v1beta1" else "updatedReplicas"
    counts = [up_to_date, "readyReplicas", "availableReplicas"]
    if obj.get("kind") == "KubeadmControlPlane" and _api(obj) == "v1beta1":
        counts.remove("availableReplicas")  # v1beta1 KCP counts unavailableReplicas instead
    waiting = [
        f"{key} {_count(status, key)} of {desired}"
        for key in counts
        if _count(status, key) < desired
    ]
    if _count(status, "replicas") != desired:
        waiting.append(f"replicas {_count(status, 'replicas')} (desired {desired})")
    if _count(status, "unavailableReplicas"):
        waiting.append(f"unavailableReplicas {_count(status, 'unavailableReplicas')}")
    return waiting


def _conditions_waiting(obj: Obj) -> list[str]:
    conditions = _conditions(obj)
    if _api(obj) == "v1beta1":
        needed = "Ready" if obj.get("kind") == "KubeadmControlPlane" else "Available"
        rolling = None
    else:
        needed, rolling = "Available", conditions.get("RollingOut")
    waiting = []
    found = conditions.get(needed)
    if found is None:
        waiting.append(f"condition {needed} not reported")
    elif found.get("status") != "True":
        waiting.append(_condition_text(found))
    if rolling is not None and rolling.get("status") == "True":
        waiting.append(_condition_text(rolling))
    return waiting


def observed_pool_version(md: Obj) -> str | None:
    """The oldest version a MachineDeployment's machines run, as far as its status tells.

    ``status.versions`` (v1beta2) lists them; otherwise the spec's version counts once the
    rollout to it is complete; None when it cannot be told.
    """
    listed = [str(v["version"]) for v in _get(md, "status", "versions") or [] if v.get("version")]
    if listed:
        return str(min(map(_v, listed)))
    spec = md_version(md)
    return spec if spec and not rollout_waiting(md, spec) else None


def endpoint_matches(cluster: Obj, server: str) -> bool:
    """Whether the Cluster's ``spec.controlPlaneEndpoint`` is the API server at URL ``server``."""
    endpoint: Obj = _get(cluster, "spec", "controlPlaneEndpoint") or {}
    host, port = endpoint.get("host"), endpoint.get("port")
    if not host:
        return False
    url = urlsplit(server)
    return url.hostname == host and (url.port or 443) == int(port or 443)
