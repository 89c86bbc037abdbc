"""EKS plans verify minors: EKS chooses the patch release of each hop."""

from __future__ import annotations

from kubecurrent.execute import eks_minor_steps
from kubecurrent.model.plan import ClusterPlan, Step


def _step(order: int, type_: str, target: str, from_: str, to: str) -> Step:
    return Step.read(
        {
            "order": order,
            "type": type_,
            "target": target,
            "from": from_,
            "to": to,
            "why": "w",
            "without": "x",
            "hop": 1,
            **({"managed_by": "eks"} if type_ != "control-plane" else {}),
        }
    )


def test_versions_become_minors_and_addon_versions_stay() -> None:
    plan = ClusterPlan.model_validate(
        {
            "name": "orders",
            "from_version": "1.35.2",
            "target": "1.36.4",
            "status": "ok",
            "steps": [
                _step(1, "control-plane", "control-plane", "1.35.2", "1.36.4"),
                _step(2, "node-pool", "general", "1.35.2", "1.36.4"),
                _step(3, "addon", "coredns", "v1.11.4-eksbuild.2", "v1.12.1-eksbuild.1"),
            ],
        }
    )
    steps = eks_minor_steps(plan).steps
    assert [s.to for s in steps] == ["1.36", "1.36", "v1.12.1-eksbuild.1"]
    assert steps[0].why.endswith("(EKS chooses the patch of 1.36)")
    assert steps[2] == plan.steps[2]
