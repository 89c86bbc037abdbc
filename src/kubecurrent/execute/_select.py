"""Pure drain decisions: which pods of a node to evict, and which PDBs protect a pod.

``select_pods`` follows ``kubectl drain``: DaemonSet pods stay (their controller would put them
back at once), mirror pods stay (the kubelet owns them, the API cannot remove them), pods
already terminating are only waited for, and pods without a controller are refused because
nothing would recreate them (unless ``--force-unsafe``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from lightkube.resources.core_v1 import Pod

from kubecurrent.execute._kube import meta, name_of, ns_of

__all__ = ["Selection", "pod_key", "select_pods", "selector_matches"]

MIRROR_ANNOTATION = "kubernetes.io/config.mirror"


def pod_key(pod: Pod) -> str:
    return f"{ns_of(pod)}/{name_of(pod)}"


@dataclass
class Selection:
    """A node's pods sorted by what a drain does with them."""

    evict: list[Pod] = field(default_factory=list)
    terminating: list[Pod] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    """``namespace/name`` → why the pod stays on the node."""
    unmanaged: list[Pod] = field(default_factory=list)
    """Pods no controller would recreate."""


def _controller_kind(pod: Pod) -> str | None:
    for ref in meta(pod).ownerReferences or []:
        if ref.controller:
            return str(ref.kind)
    return None


def select_pods(pods: Iterable[Pod]) -> Selection:
    """Sort the pods of one node for a drain (pure)."""
    out = Selection()
    for pod in pods:
        annotations = meta(pod).annotations or {}
        kind = _controller_kind(pod)
        if MIRROR_ANNOTATION in annotations:
            out.skipped[pod_key(pod)] = "mirror pod (managed by the kubelet)"
        elif kind == "DaemonSet":
            out.skipped[pod_key(pod)] = "DaemonSet pod"
        elif meta(pod).deletionTimestamp is not None:
            out.terminating.append(pod)
        elif kind is None and not _finished(pod):
            out.unmanaged.append(pod)
        else:
            out.evict.append(pod)
    return out


def _finished(pod: Pod) -> bool:
    return bool(pod.status and pod.status.phase in ("Succeeded", "Failed"))


def selector_matches(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    """Whether a ``LabelSelector`` (as a dict) selects ``labels``; an empty one selects all."""
    if selector is None:
        return False
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    return all(_expression(e, labels) for e in selector.get("matchExpressions") or [])


def _expression(expr: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    key, op, values = expr["key"], expr["operator"], list(expr.get("values") or [])
    if op == "In":
        return key in labels and labels[key] in values
    if op == "NotIn":
        return key not in labels or labels[key] not in values
    if op == "Exists":
        return key in labels
    if op == "DoesNotExist":
        return key not in labels
    return False


def grace_seconds(pod: Pod, default: int = 30) -> int:
    """The pod's ``terminationGracePeriodSeconds`` (Kubernetes' default is 30)."""
    spec = pod.spec
    value = spec.terminationGracePeriodSeconds if spec else None
    return default if value is None else int(value)
