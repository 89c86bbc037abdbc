"""The HTML fleet page, rendered from constructed inventories and findings (no cluster)."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from kubecurrent.analyze.cluster import check_inventory
from kubecurrent.analyze.report import ScanReport, fleet_page, to_html
from kubecurrent.catalog import load_catalog
from kubecurrent.model import MinorVersion
from kubecurrent.model.findings import Severity
from kubecurrent.model.inventory import ApiEvidence, ClusterInventory, InstalledAddon

pytestmark = pytest.mark.unit
TODAY = dt.date(2026, 11, 25)
NEWEST = MinorVersion.parse("1.37")
EVIL = "<script>alert(1)</script>"


def _inv(name: str, version: str, eol: str, **kw: object) -> ClusterInventory:
    data = {"name": name, "controlPlane": version, "serverVersion": f"v{version}", **kw}
    return ClusterInventory.model_validate({**data, "endOfLife": eol})


def _fleet() -> list[ClusterInventory]:
    legacy = _inv(
        "legacy",
        "1.31.4",
        "2025-11-11",
        addons=[InstalledAddon(name="cert-manager", version="1.10.1")],
        apiEvidence=[
            ApiEvidence(
                api_version="flowcontrol.apiserver.k8s.io/v1beta3",
                kind="FlowSchema",
                source="managed-fields",
                manager=f"op{EVIL}",
                count=1,
                examples=("fs-a",),
            )
        ],
    )
    prod = _inv(
        "prod",
        "1.36.3",
        "2027-06-28",
        addons=[
            InstalledAddon(name="cert-manager", version="1.21.0"),
            InstalledAddon(name="coredns", version=f"1.12.0{EVIL}"),
        ],
    )
    return [legacy, prod]


def _report(invs: list[ClusterInventory], target: str | None = None) -> ScanReport:
    catalog, report = load_catalog(), ScanReport(target=target or "next minor")
    for inv in invs:
        at = MinorVersion.parse(target) if target else inv.control_plane.minor_version.offset(1)
        report.findings += check_inventory(inv, catalog, at, TODAY)
    return report


def _page(invs: list[ClusterInventory], report: ScanReport | None, **kw: object) -> str:
    not_scanned = [(EVIL, "cannot reach the API server at https://10.0.0.1:6443")]
    return to_html(fleet_page(invs, report, not_scanned, NEWEST, TODAY, **kw))  # type: ignore[arg-type]


def _row(page: str, css_class: str, first_cell: str) -> str:
    """The table row of the table ``css_class`` whose first cell is ``first_cell``."""
    table = re.search(rf'<table class="{css_class}">(.*?)</table>', page, re.S)
    assert table, f"no table {css_class}"
    for row in re.findall(r"<tr>(.*?)</tr>", table.group(1), re.S):
        if re.match(rf"<t[dh][^>]*>{re.escape(first_cell)}</t[dh]>", row):
            return str(row)
    raise AssertionError(f"no row {first_cell!r} in {css_class}")


def _cells(row: str) -> list[str]:
    return re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row)


class TestFleetCurrency:
    def test_each_cluster_has_its_version_and_minors_behind_the_newest(self) -> None:
        page = _page(_fleet(), _report(_fleet()))
        assert _cells(_row(page, "currency", "legacy"))[:4] == ["legacy", "v1.31.4", "1.32", "6"]
        assert _cells(_row(page, "currency", "prod"))[:4] == ["prod", "v1.36.3", "1.37", "1"]

    def test_end_of_life_counts_days_down_and_marks_passed_ones(self) -> None:
        page = _page(_fleet(), _report(_fleet()))
        assert "2027-06-28 (in 215 days)" in _row(page, "currency", "prod")
        legacy = _row(page, "currency", "legacy")
        assert '<td class="eol-passed">2025-11-11 (passed 379 days ago)</td>' in legacy

    def test_a_chosen_target_applies_to_every_cluster(self) -> None:
        page = _page(_fleet(), _report(_fleet(), "1.37"), target=NEWEST)
        assert _cells(_row(page, "currency", "legacy"))[2] == "1.37"


class TestFindings:
    def test_counts_per_cluster_and_severity(self) -> None:
        report = _report(_fleet())
        page = _page(_fleet(), report)
        errors = sum(
            1
            for f in report.findings
            if f.location.file == "cluster/legacy" and f.severity is Severity.ERROR
        )
        assert errors > 0
        assert _cells(_row(page, "severity-counts", "legacy"))[1] == str(errors)

    def test_table_names_rule_object_evidence_and_remedy(self) -> None:
        page = _page(_fleet(), _report(_fleet()))
        rows = re.findall(r"<tr class=\"sev-error\">(.*?)</tr>", page)
        api = next(_cells(r) for r in rows if "KC-API-REMOVED" in r)
        assert api[1:5] == [
            "legacy",
            "KC-API-REMOVED",
            "flowcontrol.apiserver.k8s.io/v1beta3 FlowSchema fs-a",
            "managed-fields",
        ]
        assert api[6]  # the remedy

    def test_inventory_only_page_says_nothing_was_judged(self) -> None:
        page = _page(_fleet(), None)
        assert "Inventory only" in page and 'class="findings"' not in page
        assert "Findings per severity" not in page


class TestAddonMatrix:
    def test_installed_version_per_cell_highlighted_when_the_target_is_unsupported(
        self,
    ) -> None:
        page = _page(_fleet(), _report(_fleet()))
        row = _row(page, "addons", "cert-manager")
        assert '<td class="unsupported">1.10.1</td>' in row  # a newer release supports 1.32
        assert '<td class="no-release">1.21.0</td>' in row  # no release supports 1.37 yet

    def test_a_supported_version_is_not_highlighted(self) -> None:
        invs = _fleet()
        page = _page(invs, _report(invs, "1.36"), target=MinorVersion.parse("1.36"))
        assert "<td>1.21.0</td>" in _row(page, "addons", "cert-manager")

    def test_absent_add_on_is_a_dash(self) -> None:
        page = _page(_fleet(), _report(_fleet()))
        assert _cells(_row(page, "addons", "coredns"))[1] == "-"


class TestPage:
    def test_is_self_contained(self) -> None:
        page = _page(_fleet(), _report(_fleet()))
        assert page.startswith("<!DOCTYPE html>") and "<style>" in page
        assert not re.search(r"<(script|link)\b|src=|@import", page)

    def test_escapes_everything_from_clusters(self) -> None:
        page = _page(_fleet(), _report(_fleet()))
        assert "<script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # cluster not scanned
        assert "1.12.0&lt;script&gt;" in page  # add-on version
        assert "op&lt;script&gt;" in page  # field manager in a finding message

    def test_charts_are_inline_svg_with_a_bar_per_severity_and_minor(self) -> None:
        page = _page(_fleet(), _report(_fleet()))
        charts = re.findall(r"<svg class=\"chart\".*?</svg>", page, re.S)
        assert len(charts) == 2
        assert charts[0].count('<rect class="minor"') == 2  # 1.31 and 1.36
        assert all(f'<rect class="sev-{s}"' in charts[1] for s in ("error", "warning", "info"))

    def test_lists_the_clusters_not_scanned_with_their_reason(self) -> None:
        page = _page(_fleet(), _report(_fleet()))
        assert "Clusters not scanned" in page
        assert "cannot reach the API server at https://10.0.0.1:6443" in page
