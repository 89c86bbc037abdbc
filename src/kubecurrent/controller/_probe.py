"""What each member cluster is, as the lead replica finds it: its MemberCluster's ``status``.

``probe`` reads the member's kubeconfig from its Secret (``KubeStore.member_kubeconfig``), asks
its API server for ``/version`` and one node, and returns a ``Probe``: reachable or not with the
reason, the control-plane version, and where the member runs (``provider``):

- ``sandbox`` when a running sandbox of this machine serves that API server;
- otherwise the cloud named by the scheme of a node's ``spec.providerID``, which each cloud's
  cloud-controller-manager sets: ``aws://`` (EKS; https://github.com/kubernetes/cloud-provider-aws,
  providerID ``aws:///ZONE/INSTANCE``), ``gce://`` (GKE; https://github.com/kubernetes/cloud-provider-gcp,
  ``gce://PROJECT/ZONE/NAME``), ``azure://`` (AKS; https://github.com/kubernetes-sigs/cloud-provider-azure,
  ``azure:///subscriptions/…``);
- ``unknown`` otherwise (no node, or another scheme).

``status_of`` turns a ``Probe`` into the status written: ``version``, ``provider``,
``lastProbeTime`` and the ``Reachable`` condition, whose transition time changes only when its
value does. ``changed`` decides whether it is written: a probe that found what the status
already says is written only once the recorded ``lastProbeTime`` is ``PROBE_REFRESH`` old (the
way a kubelet reports an unchanged node status), so a quiet fleet of 1,000 members costs one
status write per member every ten minutes instead of one a minute.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx2
import yaml
from lightkube import KubeConfig
from lightkube.config.client_adapter import Client as RawClient

from kubecurrent.collect.cluster import Connection
from kubecurrent.errors import UsageError
from kubecurrent.kubestate import KubeStore
from kubecurrent.sandbox import sandbox_for_server

__all__ = ["PROBE_REFRESH", "Probe", "changed", "probe", "status_of"]

REACHABLE = "Reachable"
PROBE_REFRESH = 600.0
"""Seconds after which an unchanged status is written again, to show the probe still runs."""
CLOUDS = {"aws": "eks", "gce": "gke", "azure": "aks"}
"""Node ``providerID`` scheme → provider (sources in the module docstring)."""


@dataclass(frozen=True)
class Probe:
    reachable: bool
    reason: str
    """The condition's reason: ``Reached``, ``SecretMissing``, ``BadKubeconfig``,
    ``Unreachable`` or ``Refused`` (the API server answered with an error)."""
    message: str
    version: str | None = None
    provider: str | None = None


def probe(store: KubeStore, member: str, timeout: float) -> Probe:
    """Probe MemberCluster ``member`` (see the module docstring); never raises for the
    member's own problems, which are what the probe reports."""
    try:
        text, context = store.member_kubeconfig(member)
    except UsageError as exc:
        return Probe(False, "SecretMissing", f"{exc.message}: {exc.hint}" if exc.hint else "")
    try:
        config = KubeConfig.from_dict(yaml.safe_load(text)).get(context_name=context)
        if config is None:
            raise ValueError("it has no context")
    except Exception as exc:  # lightkube raises several kinds for a bad kubeconfig
        return Probe(
            False,
            "BadKubeconfig",
            f"the kubeconfig in the Secret of MemberCluster {member} cannot be used "
            f"(context {context or '(current)'}): {_first_line(exc)}; fix the Secret",
        )
    server = str(config.cluster.server)
    try:
        with RawClient(config, Connection(config).params(timeout, sync=True)) as client:
            version = _get(client, "/version")
            nodes = _get(client, "/api/v1/nodes", {"limit": 1})
    except httpx2.HTTPError as exc:
        return Probe(False, "Unreachable", f"{server}: {_first_line(exc)}")
    except _Refused as exc:
        return Probe(False, "Refused", f"{server}: {exc}")
    found = str(version.get("gitVersion", "")).removeprefix("v") or None
    return Probe(True, "Reached", f"{server} answered", found, _provider(server, nodes))


class _Refused(Exception):
    """The API server answered with an error status."""


def _get(client: Any, path: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    resp = client.get(path, params=params, headers={"Accept": "application/json"})
    if resp.status_code >= 400:
        why = {401: "the credentials were refused", 403: f"may not GET {path}"}
        raise _Refused(f"HTTP {resp.status_code}: {why.get(resp.status_code, path)}")
    data = resp.json()
    return data if isinstance(data, dict) else {}


def _provider(server: str, nodes: Mapping[str, Any]) -> str:
    if sandbox_for_server(server) is not None:
        return "sandbox"
    for node in nodes.get("items") or []:
        scheme = str((node.get("spec") or {}).get("providerID") or "").partition("://")[0]
        return CLOUDS.get(scheme, "unknown")
    return "unknown"


def _first_line(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0][:300]


def status_of(found: Probe, old: Mapping[str, Any], now: dt.datetime) -> dict[str, Any]:
    """The MemberCluster status for ``found`` (``old``: the status now recorded)."""
    stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    value = "True" if found.reachable else "False"
    before = next(
        (c for c in old.get("conditions") or [] if c.get("type") == REACHABLE),
        None,
    )
    since = before["lastTransitionTime"] if before and before.get("status") == value else stamp
    others = [c for c in old.get("conditions") or [] if c.get("type") != REACHABLE]
    status: dict[str, Any] = {
        "lastProbeTime": stamp,
        "conditions": [
            *others,
            {
                "type": REACHABLE,
                "status": value,
                "reason": found.reason,
                "message": found.message[:1024],
                "lastTransitionTime": since,
            },
        ],
    }
    if found.reachable:  # an unreachable member keeps the version and provider last seen
        status |= {"version": found.version, "provider": found.provider}
    return status


def changed(new: Mapping[str, Any], old: Mapping[str, Any], refresh: float) -> bool:
    """Whether status ``new`` must be merged into ``old``: one of its fields other than
    ``lastProbeTime`` says something else (fields it leaves out are kept by the merge), or
    ``old``'s probe time is ``refresh`` seconds older than ``new``'s (or unreadable)."""
    if any(old.get(k) != v for k, v in new.items() if k != "lastProbeTime"):
        return True
    try:
        then = dt.datetime.fromisoformat(str(old["lastProbeTime"]).replace("Z", "+00:00"))
        now = dt.datetime.fromisoformat(str(new["lastProbeTime"]).replace("Z", "+00:00"))
    except (KeyError, ValueError):
        return True
    return (now - then).total_seconds() >= refresh
