"""Where a cluster of a rollout is reached, and how that is written down in a store."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kubecurrent.collect.clouds import CloudRef, ref_from_json

__all__ = ["ClusterRef", "ref_from", "ref_where"]


@dataclass(frozen=True)
class ClusterRef:
    """Where a cluster of the rollout is reached (from the fleet file at start)."""

    name: str
    kubeconfig: Path | None = None
    context: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    timeout: float = 120.0
    cloud: CloudRef | None = None
    """A managed cloud's cluster, reached through the cloud's API (``{"gke": {...}}`` in the
    stored record, see ``kubecurrent.collect.clouds``)."""


def ref_where(ref: ClusterRef) -> dict[str, Any]:
    """How ``ref`` is reached, as JSON data (kubeconfig, context, timeout, the cloud's record)."""
    return {
        "kubeconfig": str(ref.kubeconfig) if ref.kubeconfig else None,
        "context": ref.context,
        "timeout": ref.timeout,
        **(ref.cloud.to_json() if ref.cloud else {}),
    }


def ref_from(name: str, labels: Mapping[str, str], where: Mapping[str, Any]) -> ClusterRef:
    """The ``ClusterRef`` that ``ref_where`` wrote down."""
    return ClusterRef(
        name=name,
        kubeconfig=Path(where["kubeconfig"]) if where.get("kubeconfig") else None,
        context=where.get("context"),
        labels=dict(labels),
        timeout=float(where.get("timeout") or 120.0),
        cloud=ref_from_json(where),
    )
