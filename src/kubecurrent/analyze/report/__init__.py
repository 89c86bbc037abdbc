"""Reports of a scan: JSON contract, table rows and CSV, SARIF 2.1.0, JUnit XML, Markdown, a
self-contained HTML page."""

from kubecurrent.analyze.report._data import Counts, ScanReport, ScanSummary
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
from kubecurrent.analyze.report._rows import (
    CSV_COLUMNS,
    TABLE_COLUMNS,
    WIDE_COLUMNS,
    absolute,
    display_path,
    gone_through,
    location_text,
    object_text,
    status_word,
    summary_line,
    table_rows,
    to_csv,
)
from kubecurrent.analyze.report._sarif import to_sarif
from kubecurrent.analyze.report._svg import bar_chart

__all__ = [
    "CSV_COLUMNS",
    "TABLE_COLUMNS",
    "WIDE_COLUMNS",
    "AddonCell",
    "ClusterCurrency",
    "Counts",
    "FleetPage",
    "ScanReport",
    "ScanSummary",
    "absolute",
    "bar_chart",
    "cluster_of",
    "display_path",
    "fleet_page",
    "gone_through",
    "location_text",
    "object_text",
    "status_word",
    "summary_line",
    "table_rows",
    "to_csv",
    "to_html",
    "to_junit",
    "to_markdown",
    "to_sarif",
]
