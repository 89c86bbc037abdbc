"""A self-contained HTML page with the path drawn per cluster: template ``plan.html`` of
``kubecurrent.pages`` (no scripts, every text escaped by the template environment)."""

from __future__ import annotations

from kubecurrent.model.plan import FleetPlan
from kubecurrent.plan._text import action, change, phases, totals_line


def render_html(fleet: FleetPlan) -> str:
    """The fleet plan as one HTML page."""
    from kubecurrent.pages import render  # jinja2 only for -o html: plan's other outputs skip it

    return render(
        "plan.html",
        fleet=fleet,
        action=action,
        change=change,
        phases=phases,
        totals_line=totals_line,
    )
