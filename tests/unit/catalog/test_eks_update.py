"""``catalog update`` refreshes the EKS calendar from the user guide page, served locally.

The page is a fixture in the page's layout, served by a local HTTP server and fetched with the
real ``HttpFetcher``; every other upstream source answers nothing in these tests (the double
``NothingElse`` stands in for the internet, which is not used here).
"""

from __future__ import annotations

import datetime as dt
import http.server
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kubecurrent.catalog import HttpFetcher, build, plan_update
from kubecurrent.catalog._eks_calendar import EKS_CALENDAR_URL, parse_eks_calendar
from kubecurrent.cli._app import _register, root
from kubecurrent.errors import CatalogError
from kubecurrent.model import MinorVersion

pytestmark = pytest.mark.unit

PAGE = Path(__file__).parent / "fixtures" / "eks" / "kubernetes-versions.adoc"
TODAY = dt.date(2026, 12, 6)


class NothingElse(HttpFetcher):
    """Test double for the internet: only the local server is asked, other sources are empty."""

    def get_json(self, url: str) -> Any:
        return None


@pytest.fixture(scope="module")
def served() -> Iterator[str]:
    """The fixture page's URL on a local HTTP server."""
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(PAGE.parent))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/{PAGE.name}"
    finally:
        server.shutdown()
        server.server_close()


def test_the_calendar_table_is_read_row_by_row() -> None:
    rows = parse_eks_calendar(PAGE.read_text())
    assert [str(r.version) for r in rows] == ["1.32", "1.31", "1.30", "1.29"]
    assert rows[1].dates == {
        "upstream_release": dt.date(2024, 8, 13),
        "available": dt.date(2024, 9, 26),
        "end_of_standard_support": dt.date(2025, 11, 26),
        "end_of_extended_support": dt.date(2026, 11, 26),
    }
    assert rows[0].approximate == ("end_of_standard_support", "end_of_extended_support")


def test_a_page_without_the_calendar_is_a_clear_error() -> None:
    with pytest.raises(CatalogError, match="no \\[#kubernetes-release-calendar\\] section"):
        parse_eks_calendar("= Some other page\n")
    broken = PAGE.read_text().replace("|January 23, 2025", "|soon")
    with pytest.raises(CatalogError, match=r"row 1\.32: available: 'soon' is not a date"):
        parse_eks_calendar(broken)


def test_update_from_the_served_page_proposes_new_lines_and_changed_dates(
    catalog_dir: Path, served: str
) -> None:
    result = plan_update(catalog_dir, NothingElse(), TODAY, eks_url=served)
    diff = result.diff()
    assert "+    version: '1.31'" in diff and "+    version: '1.32'" in diff
    assert (
        "-    end_of_standard_support: 2025-03-23\n+    end_of_standard_support: 2025-03-24" in diff
    )
    assert (
        "providers/eks.yaml: 1.29 end_of_standard_support 2025-03-23 -> 2025-03-24 (AWS calendar)"
        in result.notes
    )
    assert "providers/eks.yaml: new EKS release line 1.32" in result.notes
    assert "1.30" not in "".join(line for line in diff.splitlines() if line[:1] in "+-")


def test_applied_update_still_loads_and_marks_approximate_dates_unverified(
    catalog_dir: Path, served: str
) -> None:
    plan_update(catalog_dir, NothingElse(), TODAY, eks_url=served).apply(catalog_dir)
    cat = build(catalog_dir)
    assert [str(m) for m in cat.provider_minors("eks")] == ["1.29", "1.30", "1.31", "1.32"]
    r132 = cat.provider_release("eks", MinorVersion(1, 32))
    assert r132 is not None and r132.unverified and "approximate" in (r132.note or "")
    assert r132.end_of_standard_support == dt.date(2026, 3, 1)
    r131 = cat.provider_release("eks", MinorVersion(1, 31))
    assert r131 is not None and not r131.unverified
    again = plan_update(catalog_dir, NothingElse(), TODAY, eks_url=served)
    assert again.diff() == ""


def test_catalog_update_from_dir_reads_a_recorded_page(catalog_dir: Path, tmp_path: Path) -> None:
    recorded = tmp_path / "recorded"
    target = (
        recorded / "raw.githubusercontent.com" / EKS_CALENDAR_URL.split("githubusercontent.com/")[1]
    )
    target.parent.mkdir(parents=True)
    target.write_text(PAGE.read_text())
    _register()
    result = CliRunner().invoke(
        root,
        ["catalog", "update", "--from-dir", str(recorded), "--data-dir", str(catalog_dir)],
    )
    assert result.exit_code == 0, result.output
    assert "+++ b/providers/eks.yaml" in result.output
    assert "+    version: '1.32'" in result.output


def test_the_anchor_as_written_until_2024_is_found_too() -> None:
    old = PAGE.read_text().replace(
        "[#kubernetes-release-calendar]",
        "[[kubernetes-release-calendar,kubernetes-release-calendar.title]]",
    )
    assert [str(r.version) for r in parse_eks_calendar(old)][-1] == "1.29"
