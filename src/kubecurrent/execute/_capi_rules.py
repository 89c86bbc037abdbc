"""Cluster API's own rules, and how its objects are referenced: pure functions on dicts.

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
  kubecurrent holds MachinePools to the same rule (that check covers MachineSets only): with a
  topology, Cluster API itself moves a MachinePool to ``spec.topology.version`` only once the
  control plane is stable (``computeMachinePoolVersion`` in
  https://github.com/kubernetes-sigs/cluster-api/blob/v1.14.2/exp/topology/desiredstate/desired_state.go).

What the objects' status says about a rollout is in ``_capi_status``.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from kubecurrent.execute._capi_status import Obj, _get, _v, readings
from kubecurrent.execute._errors import PermanentStepError

__all__ = [
    "UPGRADING_BOOK",
    "check_control_plane_hop",
    "check_in_topology",
    "check_observable",
    "check_pool_version",
    "control_plane_ref",
    "endpoint_matches",
]

UPGRADING_BOOK = "https://cluster-api.sigs.k8s.io/tasks/upgrading-clusters"


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
    """Refuse a MachineDeployment or MachinePool version newer than its control plane, or a
    downgrade."""
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


def check_observable(what: str, obj: Obj, want: str) -> None:
    """Refuse a pool whose rollout could never be seen done: a MachinePool with replicas that
    reports no ``status.versions`` (Cluster API before v1.14, or nodes not matched yet)."""
    replicas = _get(obj, "spec", "replicas")
    if not readings(obj).versions or replicas == 0 or _get(obj, "status", "versions"):
        return
    raise PermanentStepError(
        f"{what} reports no status.versions, so kubecurrent cannot tell when its nodes run "
        f"{want} (its replica counters do not follow the nodes; Cluster API reports the nodes' "
        "versions there from v1.14 on)",
        hint="upgrade Cluster API on the management cluster to v1.14 or later; or roll this "
        f"pool by hand (spec.template.spec.version {want}) and run again once its nodes run "
        f"{want}: the step is then skipped",
    )


def check_in_topology(what: str, obj: Obj, topology: Obj, workers: str, label: str) -> None:
    """Refuse to wait for a pool the Cluster's topology does not manage: Cluster API moves only
    the objects generated from ``spec.topology.workers.<workers>`` (labelled ``label``)."""
    names = {str(w.get("name")) for w in _get(topology, "workers", workers) or []}
    entry = _get(obj, "metadata", "labels", label)
    if entry is not None and str(entry) in names:
        return
    raise PermanentStepError(
        f"{what} is not generated from the Cluster's spec.topology.workers.{workers} (label "
        f"{label}={entry or '(unset)'}), so Cluster API will not move it with "
        "spec.topology.version",
        hint="roll it by hand (patch its spec.template.spec.version once the control plane "
        "reports the version), then run again: the step is then skipped",
    )


def control_plane_ref(cluster: Obj) -> tuple[str, str, str] | None:
    """``(apiGroup, kind, name)`` of the Cluster's control plane, in either API version."""
    ref = _get(cluster, "spec", "controlPlaneRef")
    if not isinstance(ref, Mapping) or not ref.get("name"):
        return None
    group = ref.get("apiGroup") or str(ref.get("apiVersion", "")).partition("/")[0]
    return str(group), str(ref.get("kind", "")), str(ref["name"])


def endpoint_matches(cluster: Obj, server: str) -> bool:
    """Whether the Cluster's ``spec.controlPlaneEndpoint`` is the API server at URL ``server``."""
    endpoint: Obj = _get(cluster, "spec", "controlPlaneEndpoint") or {}
    host, port = endpoint.get("host"), endpoint.get("port")
    if not host:
        return False
    url = urlsplit(server)
    return url.hostname == host and (url.port or 443) == int(port or 443)
