"""Machine-readable reports of a scan: JSON contract, SARIF 2.1.0, JUnit XML, Markdown."""

from kubecurrent.analyze.report._data import ScanReport
from kubecurrent.analyze.report._junit import to_junit
from kubecurrent.analyze.report._markdown import to_markdown
from kubecurrent.analyze.report._sarif import to_sarif

__all__ = ["ScanReport", "to_junit", "to_markdown", "to_sarif"]
