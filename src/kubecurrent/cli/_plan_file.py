"""The plan file (``kubecurrent plan -o json``) read back for one cluster: one home for the
format, used by ``upgrade --plan`` and ``rehearse --plan``."""

from __future__ import annotations

import json
from pathlib import Path

from kubecurrent.errors import UsageError
from kubecurrent.model.plan import ClusterPlan


def load_cluster_plan(path: Path, cluster: str) -> ClusterPlan:
    """One cluster's plan from ``kubecurrent plan -o json`` (the only one, or the one named)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        plans = data["clusters"]
        chosen = plans[0] if len(plans) == 1 else next(p for p in plans if p["name"] == cluster)
        fields = {k: v for k, v in chosen.items() if k not in ("totals", "from")}
        return ClusterPlan.model_validate({**fields, "from_version": chosen["from"]})
    except (OSError, ValueError, KeyError, StopIteration, TypeError) as exc:
        raise UsageError(
            f"{path}: not a plan for cluster {cluster} ({type(exc).__name__}: {exc})",
            hint="write it with `kubecurrent plan --context X -o json > plan.json`",
        ) from None
