"""Rows of the state store turned back into the objects they were made from."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kubecurrent.collect.clouds import CloudRef, ref_from_json
from kubecurrent.model.plan import ClusterPlan
from kubecurrent.rollout._strategy import Strategy

__all__ = ["ClusterRef", "cluster_ref", "load_plan", "ref_json", "strategy_of"]


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


def ref_json(ref: ClusterRef) -> str:
    return json.dumps(
        {
            "kubeconfig": str(ref.kubeconfig) if ref.kubeconfig else None,
            "context": ref.context,
            "timeout": ref.timeout,
            **(ref.cloud.to_json() if ref.cloud else {}),
        }
    )


def cluster_ref(row: dict[str, Any]) -> ClusterRef:
    where = json.loads(row["target"])
    return ClusterRef(
        name=row["name"],
        kubeconfig=Path(where["kubeconfig"]) if where.get("kubeconfig") else None,
        context=where.get("context"),
        labels=json.loads(row["labels"]),
        timeout=float(where.get("timeout") or 120.0),
        cloud=ref_from_json(where),
    )


def load_plan(row: dict[str, Any]) -> ClusterPlan | None:
    return ClusterPlan.model_validate_json(row["plan"]) if row.get("plan") else None


def strategy_of(row: dict[str, Any]) -> Strategy:
    return Strategy.model_validate_json(row["strategy"])
