"""What a sandbox is doing right now: processes, memory, served version, nodes per pool."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

import httpx
from lightkube.core.exceptions import ApiError
from lightkube.resources.core_v1 import Node

from kubecurrent.sandbox import _process
from kubecurrent.sandbox._cluster import admin_client
from kubecurrent.sandbox._control_plane import server_version
from kubecurrent.sandbox._nodes import POOL_LABEL
from kubecurrent.sandbox._state import SandboxState, run_dir

MIB = 1024 * 1024


def summary(state: SandboxState) -> dict[str, Any]:
    """One line's worth: name, fleet, phase, version, server, node count."""
    return {
        "name": state.name,
        "fleet": state.fleet,
        "phase": state.phase(),
        "version": state.version,
        "server": state.server,
        "nodes": sum(p.count for p in state.pools),
    }


def _live_nodes(state: SandboxState) -> dict[str, dict[str, Any]]:
    pools: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"ready": 0, "total": 0, "kubelet": Counter()}
    )
    for node in admin_client(state.name).list(Node):
        labels = node.metadata.labels if node.metadata and node.metadata.labels else {}
        pool = pools[labels.get(POOL_LABEL, "(none)")]
        pool["total"] += 1
        conditions = (node.status.conditions if node.status else None) or []
        pool["ready"] += any(c.type == "Ready" and c.status == "True" for c in conditions)
        info = node.status.nodeInfo if node.status else None
        pool["kubelet"][info.kubeletVersion if info else "?"] += 1
    return {name: {**p, "kubelet": dict(p["kubelet"])} for name, p in pools.items()}


def status(state: SandboxState) -> dict[str, Any]:
    """Everything about one sandbox; live parts are left out when it is not running."""
    components = {
        name: {
            "pid": rec.pid,
            "alive": _process.alive(rec),
            "rss_mib": round(_process.rss_bytes(rec) / MIB, 1),
            "log": rec.log,
        }
        for name, rec in state.processes.items()
    }
    result: dict[str, Any] = {
        **summary(state),
        "kubeconfig": str(run_dir(state.name) / "kubeconfig"),
        "ports": state.ports,
        "components": components,
        "memory_mib": round(sum(_process.rss_bytes(r) for r in state.processes.values()) / MIB, 1),
        "pools": [p.model_dump() for p in state.pools],
        "events": state.events,
    }
    if state.phase() == "running":
        try:
            result["served_version"] = server_version(state)
            result["live_nodes"] = _live_nodes(state)
        except (httpx.HTTPError, ApiError) as exc:
            result["live_error"] = str(exc)
    return result
