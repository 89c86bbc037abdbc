"""The upgrade planner: which order, which versions, and why, for one cluster or a fleet.

Pure functions of (inventory, catalog, target, policy); no I/O and no clock (``today`` is an
argument). ``plan_cluster`` plans one cluster, ``plan_fleet`` a fleet with grouped paths and
totals; ``render_markdown`` and ``render_html`` turn a fleet plan into a runbook and a page;
``action``, ``change`` and ``phases`` are the words they share, for other renderers (the web UI).
"""

from kubecurrent.plan._fleet import group_paths, plan_fleet
from kubecurrent.plan._patches import pin_patches
from kubecurrent.plan._planner import plan_cluster
from kubecurrent.plan._policy import TARGET_KEYWORDS, NodeStrategy, PlanPolicy, resolve_target
from kubecurrent.plan._rules import Rules
from kubecurrent.plan._text import action, change, hold_text, phases
from kubecurrent.plan.render_html import render_html
from kubecurrent.plan.render_markdown import render_markdown

__all__ = [
    "TARGET_KEYWORDS",
    "NodeStrategy",
    "PlanPolicy",
    "Rules",
    "action",
    "change",
    "group_paths",
    "hold_text",
    "phases",
    "pin_patches",
    "plan_cluster",
    "plan_fleet",
    "render_html",
    "render_markdown",
    "resolve_target",
]
