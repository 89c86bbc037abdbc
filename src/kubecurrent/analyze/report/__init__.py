"""Reports of a scan: JSON contract, SARIF 2.1.0, JUnit XML, Markdown, a self-contained HTML page."""

from kubecurrent.analyze.report._data import ScanReport
from kubecurrent.analyze.report._html import to_html
from kubecurrent.analyze.report._junit import to_junit
from kubecurrent.analyze.report._markdown import to_markdown
from kubecurrent.analyze.report._page import (
    AddonCell,
    ClusterCurrency,
    FleetPage,
    cluster_of,
    fleet_page,
)
from kubecurrent.analyze.report._sarif import to_sarif
from kubecurrent.analyze.report._svg import bar_chart

__all__ = [
    "AddonCell",
    "ClusterCurrency",
    "FleetPage",
    "ScanReport",
    "bar_chart",
    "cluster_of",
    "fleet_page",
    "to_html",
    "to_junit",
    "to_markdown",
    "to_sarif",
]
