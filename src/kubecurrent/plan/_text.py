"""Words shared by the renderers: what each step type does, and the hop headings."""

from __future__ import annotations

from kubecurrent.model.plan import ClusterPlan, Hold, Step

ACTIONS = {
    "control-plane": "Upgrade the control plane",
    "node-pool": "Roll node pool",
    "node-image": "Upgrade the node image of",
    "addon": "Upgrade add-on",
    "migration": "Migrate",
    "check": "Check",
    "replace": "Replace add-on",
    "remove": "Remove add-on",
}


MANAGED_ACTIONS = {
    ("eks", "node-pool"): "Roll EKS managed node group",
    ("eks", "addon"): "Upgrade EKS add-on",
    ("eks", "check"): "Restart Fargate pods",
    ("gke", "node-pool"): "Upgrade GKE node pool",
    ("aks", "node-pool"): "Upgrade AKS agent pool",
    ("aks", "node-image"): "Upgrade the node image of AKS agent pool",
}


def action(step: Step) -> str:
    """``Roll node pool general`` / ``Upgrade the control plane`` / ``Upgrade EKS add-on x``."""
    managed = MANAGED_ACTIONS.get((step.managed_by or "", step.type))
    if managed is not None:
        return managed if step.type == "check" else f"{managed} {step.target}"
    verb = ACTIONS[step.type]
    return verb if step.type in ("control-plane", "check") else f"{verb} {step.target}"


def change(step: Step) -> str:
    """``1.27.9 → 1.28.15``; just the version for checks and removals."""
    if step.type == "check" or step.to is None:
        return step.from_
    return f"{step.from_} → {step.to}"


def phases(plan: ClusterPlan) -> list[tuple[str, list[Step]]]:
    """The steps under headings: pre-flight, then one per hop."""
    heading: dict[int, str] = {0: "Pre-flight"}
    for step in plan.steps:
        if step.type == "control-plane" and step.hop not in heading:
            heading[step.hop] = f"Hop {step.hop}: {step.from_} → {step.to}"
    grouped: dict[int, list[Step]] = {}
    for step in plan.steps:
        grouped.setdefault(step.hop, []).append(step)
    return [(heading.get(hop, f"Hop {hop}"), steps) for hop, steps in sorted(grouped.items())]


def totals_line(plan: ClusterPlan) -> str:
    t = plan.totals
    return (
        f"{t.hops} control-plane upgrades, {t.node_rolls} node-pool rolls, "
        f"{t.addon_moves} add-on moves, {t.migrations} migrations"
    )


def hold_text(hold: Hold) -> str:
    """``no start: GKE maintenance exclusion "freeze" 2026-12-20 00:00 → 2027-01-04 00:00 UTC
    (scope NO_UPGRADES)`` / ``start only in: GKE maintenance window (...) sat, sun 02:00 UTC for
    4:00:00`` / ``window not enforced: GKE maintenance window (...) (COUNT is not enforced...)``."""
    fmt = "%Y-%m-%d %H:%M"
    note = f" ({hold.note})" if hold.note else ""
    if hold.kind == "blackout":
        return (
            f"no start: {hold.source} {hold.start.strftime(fmt)} → {hold.end.strftime(fmt)} "
            f"UTC{note}"
        )
    if hold.kind == "refused":
        return f"window not enforced: {hold.source}{note}"
    rule = hold.recurrence
    days = ", ".join(hold.days) or "every day"
    if rule is not None and (rule.freq == "monthly" or rule.interval > 1):
        days = rule.text()
    offset = hold.start.strftime("%z")
    zone = "UTC" if offset in ("", "+0000") else f"UTC{offset[:3]}:{offset[3:]}"
    return (
        f"start only in: {hold.source} {days} {hold.start.strftime('%H:%M')} {zone} for "
        f"{hold.end - hold.start}{note}"
    )
