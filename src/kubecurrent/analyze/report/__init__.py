"""Reports of a scan: JSON contract, table rows and CSV, SARIF 2.1.0, JUnit XML, Markdown, a
self-contained HTML page.

Names are imported on first use (``kubecurrent._lazy``): a scan that writes JSON does not load
the template engine.
"""

from typing import TYPE_CHECKING

from kubecurrent._lazy import lazy_exports

if TYPE_CHECKING:
    from kubecurrent.analyze.report._data import (
        Counts,
        ScanReport,
        ScanSummary,
    )
    from kubecurrent.analyze.report._html import (
        to_html,
    )
    from kubecurrent.analyze.report._junit import (
        to_junit,
    )
    from kubecurrent.analyze.report._markdown import (
        to_markdown,
    )
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
    from kubecurrent.analyze.report._sarif import (
        to_sarif,
    )
    from kubecurrent.analyze.report._svg import (
        bar_chart,
    )

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

if not TYPE_CHECKING:
    __getattr__, __dir__ = lazy_exports(
        __name__,
        {
            "AddonCell": "_page",
            "CSV_COLUMNS": "_rows",
            "ClusterCurrency": "_page",
            "Counts": "_data",
            "FleetPage": "_page",
            "ScanReport": "_data",
            "ScanSummary": "_data",
            "TABLE_COLUMNS": "_rows",
            "WIDE_COLUMNS": "_rows",
            "absolute": "_rows",
            "bar_chart": "_svg",
            "cluster_of": "_page",
            "display_path": "_rows",
            "fleet_page": "_page",
            "gone_through": "_rows",
            "location_text": "_rows",
            "object_text": "_rows",
            "status_word": "_rows",
            "summary_line": "_rows",
            "table_rows": "_rows",
            "to_csv": "_rows",
            "to_html": "_html",
            "to_junit": "_junit",
            "to_markdown": "_markdown",
            "to_sarif": "_sarif",
        },
    )
