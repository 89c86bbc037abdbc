"""Rows of the state store turned back into the objects they were made from."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kubecurrent.collect.eks import EksRef
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
    eks: EksRef | None = None
    """An EKS cluster, reached through the EKS API (region, name, AWS profile)."""


def ref_json(ref: ClusterRef) -> str:
    eks = ref.eks
    return json.dumps(
        {
            "kubeconfig": str(ref.kubeconfig) if ref.kubeconfig else None,
            "context": ref.context,
            "timeout": ref.timeout,
            **(
                {"eks": {"region": eks.region, "name": eks.name, "profile": eks.profile}}
                if eks
                else {}
            ),
        }
    )


def cluster_ref(row: dict[str, Any]) -> ClusterRef:
    where = json.loads(row["target"])
    eks = where.get("eks")
    return ClusterRef(
        name=row["name"],
        kubeconfig=Path(where["kubeconfig"]) if where.get("kubeconfig") else None,
        context=where.get("context"),
        labels=json.loads(row["labels"]),
        timeout=float(where.get("timeout") or 120.0),
        eks=EksRef(eks["region"], eks["name"], eks.get("profile")) if eks else None,
    )


def load_plan(row: dict[str, Any]) -> ClusterPlan | None:
    return ClusterPlan.model_validate_json(row["plan"]) if row.get("plan") else None


def strategy_of(row: dict[str, Any]) -> Strategy:
    return Strategy.model_validate_json(row["strategy"])
