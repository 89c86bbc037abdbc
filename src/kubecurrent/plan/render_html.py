"""A self-contained HTML page with the path drawn per cluster (no scripts, every text escaped)."""

from __future__ import annotations

from html import escape

from kubecurrent.model.plan import ClusterPlan, FleetPlan, Step
from kubecurrent.plan._text import action, change, phases, totals_line

_STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#1b1f24}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem}
.path{display:flex;gap:.5rem;overflow-x:auto;padding:.5rem 0}
.phase{border:1px solid #c9d1d9;border-radius:6px;min-width:12rem;padding:.4rem}
.phase h3{font-size:.9rem;margin:.1rem 0 .4rem}
.step{font-size:.8rem;margin:.2rem 0;padding:.2rem .3rem;border-radius:4px;background:#f1f3f5}
.control-plane{background:#dbeafe}.node-pool{background:#dcfce7}.addon{background:#fef9c3}
.migration{background:#fde2e2}.replace,.remove{background:#fed7aa}.check{background:#eee}
.blocked{color:#b91c1c}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2rem .5rem}
"""


def render_html(fleet: FleetPlan) -> str:
    """The fleet plan as one HTML page."""
    t = fleet.totals
    body = [
        f"<h1>Upgrade plan: Kubernetes {escape(fleet.target)}</h1>",
        f"<p>{len(fleet.clusters)} clusters, {len(fleet.blocked)} blocked. Fleet totals: "
        f"{t.hops} control-plane upgrades, {t.node_rolls} node-pool rolls, "
        f"{t.addon_moves} add-on moves, {t.migrations} migrations.</p>",
        _groups(fleet),
        *(_cluster(p) for p in fleet.clusters),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>kubecurrent plan {escape(fleet.target)}</title><style>{_STYLE}</style></head>"
        "<body>\n" + "\n".join(body) + "\n</body></html>\n"
    )


def _groups(fleet: FleetPlan) -> str:
    rows = "".join(
        f"<tr><td>{escape(', '.join(g.clusters))}</td><td>{g.status}</td>"
        f"<td>{escape(' → '.join(g.path))}</td><td>{g.steps}</td></tr>"
        for g in fleet.groups
    )
    return (
        "<table><tr><th>Clusters</th><th>Status</th><th>Control-plane path</th>"
        f"<th>Steps</th></tr>{rows}</table>"
    )


def _cluster(plan: ClusterPlan) -> str:
    head = (
        f"<h2>{escape(plan.name)}: {escape(plan.from_version)} → {escape(plan.target)} "
        f"<span class='{plan.status}'>({plan.status})</span></h2>"
    )
    if plan.status == "blocked":
        items = "".join(f"<li>{escape(r)}</li>" for r in plan.reasons)
        alts = "".join(
            f"<li><code>{escape(a.flag)}</code>: {escape(a.description)}</li>"
            for a in plan.alternatives
        )
        body = f"<ul class='blocked'>{items}</ul>" + (f"<p>Alternatives:</p><ul>{alts}</ul>")
    else:
        lanes = "".join(
            f"<div class='phase'><h3>{escape(h)}</h3>{''.join(_step(s) for s in steps)}</div>"
            for h, steps in phases(plan)
        )
        body = f"<p>{escape(totals_line(plan))}</p><div class='path'>{lanes}</div>"
    if plan.blue_green is not None:
        body += f"<p><b>Blue/green alternative:</b> {escape(plan.blue_green.summary)}.</p>"
    return f"<section>{head}{body}</section>"


def _step(step: Step) -> str:
    tip = f"Why: {step.why}. Without it: {step.without}."
    return (
        f"<div class='step {step.type}' title='{escape(tip, quote=True)}'>"
        f"{step.order}. {escape(action(step))} <code>{escape(change(step))}</code></div>"
    )
