"""Field migrations that are well defined, applied in place to round-trip YAML mappings.

Each migration takes the object (a ruamel CommentedMap, so comments and key order survive) and
either edits it to the replacement apiVersion or raises Refusal saying what a human must decide.
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from typing import Any

from ruamel.yaml.comments import CommentedMap

from kubecurrent.analyze._apis import ApiRule

Obj = MutableMapping[str, Any]


class Refusal(Exception):
    """The object cannot be migrated mechanically; the message says what to decide."""


def rename(obj: Obj, old: str, new: str, value: Any = None) -> None:
    """Replace key ``old`` by ``new`` at the same position (with ``value`` if given)."""
    if old not in obj:
        return
    current = obj[old] if value is None else value
    if isinstance(obj, CommentedMap):
        pos = list(obj.keys()).index(old)
        del obj[old]
        obj.insert(pos, new, current)
    else:
        del obj[old]
        obj[new] = current


def _insert(obj: Obj, pos: int, key: str, value: Any) -> None:
    if isinstance(obj, CommentedMap):
        obj.insert(min(pos, len(obj)), key, value)
    else:
        obj[key] = value


def _pos(obj: Obj, key: str) -> int:
    keys = list(obj.keys())
    return keys.index(key) if key in keys else len(keys)


def _map(**items: Any) -> CommentedMap:
    out = CommentedMap()
    for key, value in items.items():
        if value is not None:
            out[key] = value
    return out


def _ingress_backend(backend: Any) -> None:
    if not isinstance(backend, MutableMapping) or "serviceName" not in backend:
        return
    port = backend.get("servicePort")
    port_map = _map(name=port) if isinstance(port, str) and not port.isdigit() else None
    if port_map is None and port is not None:
        port_map = _map(number=int(port))
    rename(backend, "serviceName", "service", _map(name=backend["serviceName"], port=port_map))
    backend.pop("servicePort", None)


def ingress(obj: Obj) -> None:
    spec = obj.get("spec") or {}
    if "backend" in spec:
        _ingress_backend(spec["backend"])
        rename(spec, "backend", "defaultBackend")
    for rule in spec.get("rules") or []:
        for path in ((rule or {}).get("http") or {}).get("paths") or []:
            _ingress_backend(path.get("backend"))
            if "pathType" not in path:
                path["pathType"] = "ImplementationSpecific"


def _target(kind: str, value: Any) -> CommentedMap:
    key = {"Utilization": "averageUtilization", "AverageValue": "averageValue"}.get(kind, "value")
    return _map(type=kind, **{key: value})


def _metric_id(spec: Obj, name_key: str, selector_key: str) -> CommentedMap:
    return _map(name=spec.pop(name_key, None), selector=spec.pop(selector_key, None))


def _hpa_metric(metric: Obj) -> None:
    kind = str(metric.get("type", ""))
    spec = metric.get(kind[:1].lower() + kind[1:])
    if not isinstance(spec, MutableMapping):
        return
    if kind == "Resource":
        if "targetAverageUtilization" in spec:
            value = spec.pop("targetAverageUtilization")
            spec["target"] = _target("Utilization", value)
        elif "targetAverageValue" in spec:
            spec["target"] = _target("AverageValue", spec.pop("targetAverageValue"))
    elif kind == "Pods":
        pos = _pos(spec, "metricName")
        _insert(spec, pos, "metric", _metric_id(spec, "metricName", "selector"))
        spec["target"] = _target("AverageValue", spec.pop("targetAverageValue", None))
    elif kind in ("Object", "External"):
        _hpa_object_or_external(kind, spec)


def _hpa_object_or_external(kind: str, spec: Obj) -> None:
    if kind == "Object":
        rename(spec, "target", "describedObject")
    pos = _pos(spec, "metricName")
    selector = "selector" if kind == "Object" else "metricSelector"
    _insert(spec, pos, "metric", _metric_id(spec, "metricName", selector))
    average = spec.pop("averageValue", None) or spec.pop("targetAverageValue", None)
    value = spec.pop("targetValue", None)
    spec["target"] = _target("AverageValue", average) if average else _target("Value", value)


def hpa(obj: Obj) -> None:
    if obj.get("apiVersion") != "autoscaling/v2beta1":
        return
    for metric in (obj.get("spec") or {}).get("metrics") or []:
        if isinstance(metric, MutableMapping):
            _hpa_metric(metric)


def endpoint_slice(obj: Obj) -> None:
    for endpoint in obj.get("endpoints") or []:
        topology = endpoint.get("topology") if isinstance(endpoint, MutableMapping) else None
        if not isinstance(topology, MutableMapping):
            continue
        host = topology.pop("kubernetes.io/hostname", None)
        zone = topology.pop("topology.kubernetes.io/zone", None)
        if host is not None and "nodeName" not in endpoint:
            endpoint["nodeName"] = host
        if zone is not None and "zone" not in endpoint:
            endpoint["zone"] = zone
        if topology:
            rename(endpoint, "topology", "deprecatedTopology")
        else:
            del endpoint["topology"]


def pdb(obj: Obj) -> None:
    selector = (obj.get("spec") or {}).get("selector", None)
    if isinstance(selector, MutableMapping) and not selector:
        raise Refusal(
            "spec.selector is {}: it selects no pod in policy/v1beta1 but every pod of the "
            "namespace in policy/v1; write the selector you mean, then re-run"
        )


def psp(obj: Obj) -> None:
    raise Refusal(
        "PodSecurityPolicy has no replacement API: choose a Pod Security Admission level per "
        "namespace (pod-security.kubernetes.io/enforce) or a policy engine, then delete it"
    )


def nothing(obj: Obj) -> None:
    """Only the apiVersion changes."""


MIGRATIONS: dict[str, Callable[[Obj], None]] = {
    "Ingress": ingress,
    "HorizontalPodAutoscaler": hpa,
    "EndpointSlice": endpoint_slice,
    "PodDisruptionBudget": pdb,
    "PodSecurityPolicy": psp,
    "CronJob": nothing,
}


def migration_for(rule: ApiRule) -> Callable[[Obj], None]:
    """The migration to apply for ``rule``; raises Refusal when a human must decide."""
    if rule.addon is not None:
        raise Refusal(
            f"{rule.api_version} {rule.kind} is an {rule.addon} API: follow {rule.addon}'s "
            f"migration guide to {rule.replacement or 'its replacement'}"
        )
    if rule.kind in MIGRATIONS:
        return MIGRATIONS[rule.kind]
    if rule.replacement is None:
        raise Refusal(f"no replacement API: {rule.migration[0] if rule.migration else ''}")
    plain = all(note.startswith(("no field changes", "same structure")) for note in rule.migration)
    if plain:
        return nothing
    raise Refusal("needs a human: " + "; ".join(rule.migration))
