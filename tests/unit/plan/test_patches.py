"""pin_patches: a plan moved to the patch releases a provider offers."""

from __future__ import annotations

from kubecurrent.model import KubeVersion, MinorVersion
from kubecurrent.model.plan import ClusterPlan, Step
from kubecurrent.plan import pin_patches


def step(order: int, type_: str, target: str, from_: str, to: str) -> Step:
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
        }
    )


def test_kubernetes_steps_follow_the_offered_patch_and_addons_do_not() -> None:
    plan = ClusterPlan(
        name="c",
        status="ok",
        from_version="1.35.4",
        target="1.37.2",
        steps=(
            step(1, "control-plane", "control-plane", "1.35.4", "1.36.6"),
            step(2, "check", "control-plane", "1.36.6", "1.36.6"),
            step(3, "addon", "demo-agent", "1.0.0", "1.1.0"),
            step(4, "node-pool", "workers", "1.33.7", "1.36.6"),
            step(5, "control-plane", "control-plane", "1.36.6", "1.37.2"),
        ),
    )
    offered = {
        MinorVersion.parse("1.33"): KubeVersion.parse("v1.33.13"),  # not planned: left alone
        MinorVersion.parse("1.35"): KubeVersion.parse("v1.35.9"),
        MinorVersion.parse("1.36"): KubeVersion.parse("v1.36.3"),
        MinorVersion.parse("1.37"): KubeVersion.parse("v1.37.2"),
    }
    pinned = pin_patches(plan, offered)
    assert [(s.from_, s.to) for s in pinned.steps] == [
        ("1.35.4", "1.36.3"),
        ("1.36.3", "1.36.3"),
        ("1.0.0", "1.1.0"),
        ("1.33.7", "1.36.3"),
        ("1.36.3", "1.37.2"),
    ]
    assert pinned.target == "1.37.2"
    assert pin_patches(plan, {}) == plan


def test_a_patch_hop_the_provider_cannot_make_is_dropped() -> None:
    plan = ClusterPlan(
        name="c",
        status="ok",
        from_version="1.36.3",
        target="1.36.6",
        steps=(
            step(1, "control-plane", "control-plane", "1.36.3", "1.36.6"),
            step(2, "node-pool", "default", "1.35.4", "1.36.6"),
            step(3, "check", "control-plane", "1.36.6", "1.36.6"),
        ),
    )
    pinned = pin_patches(plan, {MinorVersion.parse("1.36"): KubeVersion.parse("v1.36.3")})
    assert [(s.order, s.type, s.from_, s.to) for s in pinned.steps] == [
        (1, "node-pool", "1.35.4", "1.36.3"),
        (2, "check", "1.36.3", "1.36.3"),
    ]
