"""A self-contained HTML page of a fleet scan: data in, string out.

The page (template ``scan.html`` of ``kubecurrent.pages``, the stylesheet inlined, inline SVG
charts, no script, no external assets) shows fleet currency, managed clusters' support phase and
cost, findings by severity, the add-on × cluster matrix, and the clusters that were not scanned.
This module only works out what to show; the template escapes every value.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from markupsafe import Markup

from kubecurrent.analyze.report._page import ClusterCurrency, FleetPage, cluster_of
from kubecurrent.analyze.report._rows import object_text
from kubecurrent.catalog import SupportPhase
from kubecurrent.model.findings import Severity
from kubecurrent.pages import bar_chart, render

SEVERITIES = (Severity.ERROR, Severity.WARNING, Severity.INFO)
EOL_SOON_DAYS = 90


def to_html(page: FleetPage) -> str:
    """The whole page as one string."""
    findings = page.findings or ()
    ordered = sorted(findings, key=lambda f: (SEVERITIES.index(f.severity), cluster_of(f), f.rule))
    per = Counter((cluster_of(f), f.severity) for f in findings)
    support = page.support if page.support is not None and page.support.clusters else None
    return render(
        "scan.html",
        page=page,
        support=support,
        charts=_charts(page),
        severities=[s.value for s in SEVERITIES],
        severity_counts=[
            (c.name, [(s.value, per[c.name, s]) for s in SEVERITIES]) for c in page.clusters
        ],
        findings=ordered,
        cluster_names=[c.name for c in page.clusters],
        eol_text=eol_text,
        eol_class=eol_class,
        phase_class=_phase_class,
        money=_money,
        cluster_of=cluster_of,
        object_text=object_text,
    )


def eol_text(c: ClusterCurrency) -> str:
    if c.end_of_life is None or c.days_left is None:
        return "unknown"
    if c.days_left < 0:
        return f"{c.end_of_life.isoformat()} (passed {-c.days_left} days ago)"
    return f"{c.end_of_life.isoformat()} (in {c.days_left} days)"


def eol_class(c: ClusterCurrency) -> str:
    if c.days_left is None:
        return ""
    if c.days_left < 0:
        return "eol-passed"
    return "eol-soon" if c.days_left <= EOL_SOON_DAYS else ""


def _phase_class(phase: SupportPhase) -> str:
    return {SupportPhase.EXTENDED: "unsupported", SupportPhase.ENDED: "eol-passed"}.get(phase, "")


def _money(value: Decimal | None) -> str:
    return "-" if value is None else f"{value:,.2f}"


def _charts(page: FleetPage) -> list[Markup]:
    spread = Counter(c.minor for c in page.clusters)
    minors = sorted(spread, key=lambda m: tuple(int(p) for p in m.split(".")))
    charts = [bar_chart("Clusters per Kubernetes minor", [(m, spread[m], "minor") for m in minors])]
    if page.findings is not None:
        per = Counter(f.severity for f in page.findings)
        bars = [(s.value, per[s], f"sev-{s.value}") for s in SEVERITIES]
        charts.append(bar_chart("Findings per severity", bars))
    return charts
