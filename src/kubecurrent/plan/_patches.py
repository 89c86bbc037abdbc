"""Plans on infrastructure that offers other patch releases than the catalog's newest.

The planner moves each hop to the catalog's newest patch of a minor. A provider may offer
another one (a sandbox runs the patch it was built from; a managed cloud lists the patches it
has). ``pin_patches`` rewrites the control-plane, node-pool and check steps of a plan to the
patch the provider offers for their minor, so that what the executor verifies is what the
infrastructure can deliver and kubelets never end up newer than their API server.
"""

from __future__ import annotations

from collections.abc import Mapping

from kubecurrent.model import KubeVersion, MinorVersion
from kubecurrent.model.plan import ClusterPlan, Step

__all__ = ["pin_patches"]

_VERSIONED = ("control-plane", "node-pool", "check")


def _pin(text: str | None, offered: Mapping[MinorVersion, KubeVersion]) -> str | None:
    if text is None:
        return None
    try:
        version = KubeVersion.parse(text)
    except Exception:  # not a Kubernetes version (an add-on's): left as it is
        return text
    patch = offered.get(version.minor_version)
    return str(patch).removeprefix("v") if patch is not None else text


def pin_patches(plan: ClusterPlan, offered: Mapping[MinorVersion, KubeVersion]) -> ClusterPlan:
    """``plan`` with Kubernetes versions moved to the patch ``offered`` for their minor."""

    planned = {s.to for s in plan.steps if s.type in _VERSIONED}

    def step(s: Step) -> Step:
        if s.type not in _VERSIONED:
            return s
        # A "from" is pinned only when an earlier step planned it; else it is what runs now.
        start = _pin(s.from_, offered) if s.from_ in planned else s.from_
        to = _pin(s.to, offered)
        why = s.why if to == s.to else f"{s.why} (the provider runs {to}, not {s.to})"
        return s.replace(to=to, from_=start, why=why)

    target = _pin(plan.target, offered) or plan.target
    pinned = [step(s) for s in plan.steps]
    # A patch-only hop the provider cannot make (1.36.3 → 1.36.6 pinned to 1.36.3) goes away.
    kept = [s for s in pinned if not (s.type == "control-plane" and s.from_ == s.to)]
    steps = tuple(s.replace(order=i) for i, s in enumerate(kept, start=1))
    return plan.model_copy(update={"steps": steps, "target": target})
