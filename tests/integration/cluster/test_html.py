"""``-o html`` against a real sandbox: one self-contained page naming the cluster and its version."""

from __future__ import annotations

import re

from click.testing import CliRunner

from kubecurrent.cli._app import _register, root
from tests.integration.conftest import SessionSandbox, guard


def _run(box: SessionSandbox, *args: str) -> tuple[int, str]:
    guard(box, box.kubeconfig)
    _register()
    result = CliRunner().invoke(root, ["--kubeconfig", str(box.kubeconfig), *args])
    return result.exit_code, result.stdout


def test_scan_cluster_html_names_the_cluster_its_version_and_findings(
    cluster131: SessionSandbox,
) -> None:
    code, page = _run(cluster131, "scan", "cluster", "-o", "html", "--fail-on", "none")

    assert code in (0, 1), page  # 1: something could not be checked, never a crash
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    row = re.search(r"<tr><td>k131</td><td>(v1\.31\.\d+)</td><td>1\.32</td>", page)
    assert row, "no currency row for k131 at its version with target 1.32"
    assert "passed" in page  # 1.31 reached end of life before today
    assert '<svg class="chart"' in page
    assert "KC-EOL" in page  # a finding rendered in the findings table
    assert "<script" not in page


def test_inventory_html_is_the_same_page_without_findings(cluster131: SessionSandbox) -> None:
    code, page = _run(cluster131, "inventory", "-o", "html")

    assert code == 0, page
    assert "<td>k131</td>" in page and "Inventory only" in page
