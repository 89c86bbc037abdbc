"""Which of a cluster's objects go into the twin, and how each is cleaned on the way.

Cleaned as a migration to a new cluster would: status, UIDs, resourceVersions, managedFields,
owner references, node bindings and allocated service IPs are dropped; Secrets keep their keys
and type but never their data (each value is a placeholder of the right shape). Objects that the
twin's own controllers make (Pods of a ReplicaSet, token Secrets, default ServiceAccounts...) or
that describe machines and history (Nodes, Events, Leases) are left out, each with its reason.
"""

from __future__ import annotations

import base64
import copy
from typing import Any

from kubecurrent.rehearse._records import WebhookGate, WebhookMode

__all__ = [
    "BUILTIN_CONTROLLED",
    "clean",
    "gates_of",
    "load_order",
    "placeholder",
    "skip_object",
    "skip_resource",
    "skipped_table",
]

_SKIP_RESOURCES: dict[tuple[str, str], str] = {
    ("", "events"): "events are history, not state",
    ("events.k8s.io", "events"): "events are history, not state",
    ("", "nodes"): "Nodes belong to machines; the twin has none",
    ("", "endpoints"): "kept by the endpoints controller from Services",
    ("discovery.k8s.io", "endpointslices"): "kept by the EndpointSlice controller from Services",
    ("coordination.k8s.io", "leases"): "leader-election and heartbeat leases of running processes",
    ("coordination.k8s.io", "leasecandidates"): "leader-election candidates of running processes",
    ("apps", "controllerrevisions"): "kept by their workload controllers",
    ("apiregistration.k8s.io", "apiservices"): "aggregated API servers do not run in the twin",
    ("certificates.k8s.io", "certificatesigningrequests"): "requests of nodes and users",
    ("networking.k8s.io", "ipaddresses"): "allocated by the API server",
    ("networking.k8s.io", "servicecidrs"): "the twin has its own service range",
    ("resource.k8s.io", "resourceslices"): "published by node drivers",
    ("internal.apiserver.k8s.io", "storageversions"): "kept by the API server",
}

BUILTIN_CONTROLLED = frozenset(
    {
        ("apps", "ReplicaSet"),
        ("apps", "Deployment"),
        ("apps", "StatefulSet"),
        ("apps", "DaemonSet"),
        ("batch", "Job"),
        ("batch", "CronJob"),
        ("", "ReplicationController"),
        ("", "Node"),
    }
)
"""Owners whose controller runs in the twin's controller-manager: what they own is made again
there, so it is not copied."""

_PLACEHOLDER = b"kubecurrent-rehearsal-placeholder"
POD_GATE = "kubecurrent.dev/rehearsal"
"""A scheduling gate on every copied Pod: the twin has no nodes, and its scheduler must not
spend the rehearsal retrying thousands of Pods that can never be placed."""
_DOCKER_KEYS = {".dockerconfigjson": b'{"auths":{}}', ".dockercfg": b"{}"}
_DROP_METADATA = (
    "uid",
    "resourceVersion",
    "creationTimestamp",
    "generation",
    "managedFields",
    "selfLink",
    "ownerReferences",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
)
_JOB_LABELS = ("controller-uid", "batch.kubernetes.io/controller-uid")


def skip_resource(group: str, plural: str) -> str | None:
    """Why every object of this resource stays out of the twin, or None."""
    return _SKIP_RESOURCES.get((group, plural))


def _group(api_version: str) -> str:
    return api_version.rpartition("/")[0]


def skip_object(obj: dict[str, Any]) -> str | None:
    """Why this one object stays out of the twin, or None."""
    meta = obj.get("metadata") or {}
    kind = str(obj.get("kind", ""))
    for ref in meta.get("ownerReferences") or []:
        owner = (_group(str(ref.get("apiVersion", ""))), str(ref.get("kind", "")))
        if ref.get("controller") and owner in BUILTIN_CONTROLLED:
            return f"made by its {owner[1]}'s controller"
    name = str(meta.get("name", ""))
    if kind == "Secret" and obj.get("type") == "kubernetes.io/service-account-token":
        return "minted by the token controller"
    if kind == "Secret" and obj.get("type") == "bootstrap.kubernetes.io/token":
        return "node bootstrap tokens are not copied"
    if kind == "ConfigMap" and name == "kube-root-ca.crt":
        return "published in every namespace by the root CA publisher"
    if kind == "Service" and name == "kubernetes" and meta.get("namespace") == "default":
        return "made by the API server itself"
    if kind == "ServiceAccount" and name == "default":
        return "made in every namespace by the service-account controller"
    return None


def placeholder(key: str) -> str:
    """The base64 placeholder standing for one Secret value (of the shape its key needs)."""
    return base64.b64encode(_DOCKER_KEYS.get(key, _PLACEHOLDER)).decode()


def clean(obj: dict[str, Any], webhooks: WebhookMode) -> dict[str, Any]:
    """A copy of ``obj`` fit to create in the twin (the input is not changed)."""
    out = copy.deepcopy(obj)
    out.pop("status", None)
    meta = out.setdefault("metadata", {})
    for key in _DROP_METADATA:
        meta.pop(key, None)
    kind = out.get("kind")
    spec = out.get("spec") if isinstance(out.get("spec"), dict) else None
    if kind == "Secret":
        out.pop("stringData", None)
        out["data"] = {k: placeholder(k) for k in (out.get("data") or {})}
    elif kind == "ServiceAccount":
        out.pop("secrets", None)
    elif kind == "Service" and spec is not None:
        if spec.get("clusterIP") != "None":
            spec.pop("clusterIP", None)
            spec.pop("clusterIPs", None)
        spec.pop("healthCheckNodePort", None)
    elif kind == "Pod" and spec is not None:
        spec.pop("nodeName", None)
        gates = spec.setdefault("schedulingGates", [])
        if {"name": POD_GATE} not in gates:  # the twin has no nodes: never try to schedule
            gates.append({"name": POD_GATE})
    elif kind == "PersistentVolume" and spec is not None:
        claim = spec.get("claimRef")
        if isinstance(claim, dict):
            claim.pop("uid", None)
            claim.pop("resourceVersion", None)
    elif kind == "Job" and spec is not None:
        _unpin_job(spec)
    elif kind in ("ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"):
        if webhooks is WebhookMode.IGNORE:
            for hook in out.get("webhooks") or []:
                hook["failurePolicy"] = "Ignore"
    elif kind == "CustomResourceDefinition" and spec is not None:
        conversion = spec.get("conversion") or {}
        if webhooks is WebhookMode.IGNORE and conversion.get("strategy") == "Webhook":
            spec["conversion"] = {"strategy": "None"}
    return out


def _unpin_job(spec: dict[str, Any]) -> None:
    """A Job's selector and template carry its old UID: let the twin choose them again."""
    if not spec.get("manualSelector"):
        spec.pop("selector", None)
        labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels")
        if isinstance(labels, dict):
            for key in _JOB_LABELS:
                labels.pop(key, None)


def gates_of(obj: dict[str, Any]) -> list[WebhookGate]:
    """The admission or conversion webhooks an object declares, with what each gates."""
    kind = str(obj.get("kind", ""))
    name = str((obj.get("metadata") or {}).get("name", ""))
    gates = []
    if kind in ("ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"):
        for hook in obj.get("webhooks") or []:
            resources = sorted(
                {
                    f"{g or 'core'}/{r}"
                    for rule in hook.get("rules") or []
                    for g in rule.get("apiGroups") or []
                    for r in rule.get("resources") or []
                }
            )
            gates.append(
                WebhookGate(
                    kind=kind,
                    name=name,
                    webhook=str(hook.get("name", "")),
                    resources=tuple(resources),
                    failure_policy=str(hook.get("failurePolicy") or "Fail"),
                    backend=_backend(hook.get("clientConfig") or {}),
                )
            )
    elif kind == "CustomResourceDefinition":
        conversion = (obj.get("spec") or {}).get("conversion") or {}
        if conversion.get("strategy") == "Webhook":
            config = (conversion.get("webhook") or {}).get("clientConfig") or {}
            spec = obj.get("spec") or {}
            gates.append(
                WebhookGate(
                    kind=kind,
                    name=name,
                    webhook="conversion",
                    resources=(
                        f"{spec.get('group', '')}/{(spec.get('names') or {}).get('plural', '')}",
                    ),
                    failure_policy="Fail",
                    backend=_backend(config),
                )
            )
    return gates


def _backend(config: dict[str, Any]) -> str:
    service = config.get("service")
    if isinstance(service, dict):
        return f"service {service.get('namespace', '')}/{service.get('name', '')}"
    url = str(config.get("url", ""))
    return f"url {url.split('?')[0]}" if url else "none"


_FIRST = ("Namespace", "CustomResourceDefinition")
_LAST = (
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "MutatingAdmissionPolicy",
    "MutatingAdmissionPolicyBinding",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
)


def load_order(group: str, kind: str) -> tuple[int, str, str]:
    """Sort key: namespaces and CRDs first, admission policies and webhooks last (they would
    otherwise judge the objects loaded after them), everything else by group and kind."""
    if kind in _FIRST:
        return (0, str(_FIRST.index(kind)), group)
    if kind in _LAST:
        return (2, str(_LAST.index(kind)), group)
    return (1, group, kind)


def skipped_table() -> str:
    """The Markdown table of what is never copied (docs/rehearse.md shows it; a test compares)."""
    rows = ["| Resource | Why it is not copied |", "|---|---|"]
    rows += [f"| `{p}.{g or 'core'}` | {why} |" for (g, p), why in sorted(_SKIP_RESOURCES.items())]
    return "\n".join(rows) + "\n"
