"""A Markdown runbook a change board can read, check off and sign."""

from __future__ import annotations

from kubecurrent.model.plan import ClusterPlan, FleetPlan, Step
from kubecurrent.plan._text import action, change, hold_text, phases, totals_line


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(fleet: FleetPlan) -> str:
    """The whole fleet plan as one Markdown document."""
    t = fleet.totals
    ok = len(fleet.clusters) - len(fleet.blocked)
    lines = [
        f"# Upgrade runbook: Kubernetes {fleet.target}",
        "",
        f"{len(fleet.clusters)} clusters: {ok} ok, {len(fleet.blocked)} blocked. Fleet totals: "
        f"{t.hops} control-plane upgrades, {t.node_rolls} node-pool rolls, {t.addon_moves} "
        f"add-on moves, {t.migrations} migrations.",
        "",
        "## Paths",
        "",
        "| Clusters | Status | Control-plane path | Steps |",
        "|---|---|---|---|",
    ]
    for g in fleet.groups:
        path = " → ".join(g.path)
        lines.append(f"| {_cell(', '.join(g.clusters))} | {g.status} | {path} | {g.steps} |")
    for plan in fleet.clusters:
        lines += ["", *_cluster(plan)]
    lines += ["", *_signoff()]
    return "\n".join(lines) + "\n"


def _cluster(plan: ClusterPlan) -> list[str]:
    out = [f"## {plan.name}: {plan.from_version} → {plan.target} ({plan.status})", ""]
    if plan.status == "blocked":
        out += ["Blocked:", "", *(f"- {r}" for r in plan.reasons), ""]
        if plan.alternatives:
            out += ["Alternatives:", ""]
            out += [f"- `{a.flag}`: {a.description}" for a in plan.alternatives]
            out.append("")
    elif not plan.steps:
        out += ["Already at the target: nothing to do.", ""]
    else:
        out += [f"Totals: {totals_line(plan)}.", ""]
        for heading, steps in phases(plan):
            out += [f"### {heading}", "", *(_step(s) for s in steps), ""]
    if plan.holds:
        out += ["### When the provider allows it to start", ""]
        out += [f"- {hold_text(h)}" for h in plan.holds]
        out.append("")
    if plan.blue_green is not None:
        out += ["### Blue/green alternative", "", plan.blue_green.summary + ".", ""]
    return out[:-1]


def _step(step: Step) -> str:
    return (
        f"{step.order}. [ ] **{action(step)}** `{change(step)}`  \n"
        f"   Why: {step.why}.  \n"
        f"   Without it: {step.without}."
    )


def _signoff() -> list[str]:
    return [
        "## Sign-off",
        "",
        "| Role | Name | Date | Signature |",
        "|---|---|---|---|",
        "| Change owner | | | |",
        "| Change board | | | |",
    ]
