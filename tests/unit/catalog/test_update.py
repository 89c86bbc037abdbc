"""``catalog update`` against recorded upstream responses: a reviewable diff, applied on --write."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from kubecurrent.catalog import DirFetcher, UpdateResult, build, data_dir, plan_update
from kubecurrent.catalog._dump import dump, header_of
from kubecurrent.catalog._read import read_yaml

pytestmark = pytest.mark.unit

UPSTREAM = Path(__file__).parent / "fixtures" / "upstream"
TODAY = dt.date(2026, 11, 25)


@pytest.fixture
def result(catalog_dir: Path) -> UpdateResult:
    return plan_update(catalog_dir, DirFetcher(UPSTREAM), TODAY)


def test_nothing_is_written_without_apply(catalog_dir: Path, result: UpdateResult) -> None:
    assert result.diff()
    assert "1.30.10" in (catalog_dir / "kubernetes.yaml").read_text()


def test_latest_patch_is_raised_never_lowered(result: UpdateResult) -> None:
    diff = result.diff()
    assert "-    latest_patch: 1.30.10\n+    latest_patch: 1.30.14\n" in diff
    assert "1.29.10" not in diff  # upstream is older than ours: kept


def test_new_release_line_is_added_unverified_and_old_ones_ignored(result: UpdateResult) -> None:
    diff = result.diff()
    assert "+  - version: '1.31'" in diff and "+    unverified: true" in diff
    assert "1.18" not in diff


def test_eol_disagreement_is_reported_not_overwritten(result: UpdateResult) -> None:
    assert any("1.30 end_of_life is 2025-07-15 here but 2025-06-28" in n for n in result.notes)
    assert "end_of_life: 2025-06-28" not in result.diff()


def test_new_feed_cves_become_stubs(result: UpdateResult) -> None:
    diff = result.diff()
    assert "+  - id: CVE-2026-99901" in diff and "+    component: kubelet" in diff
    assert "CVE-2018-1002105" not in diff
    assert diff.count("id: CVE-2025-1974") == 0  # known already: untouched


def test_addon_latest_patch_is_edited_in_place(result: UpdateResult) -> None:
    diff = result.diff()
    assert '-    latest_patch: "1.15.1"\n+    latest_patch: "1.15.3"\n' in diff
    assert any("new line 1.16 (1.16.0)" in n for n in result.notes)


def test_meta_last_verified_is_bumped(result: UpdateResult) -> None:
    assert "+last_verified: 2026-11-25" in result.diff()


def test_write_applies_and_the_result_still_loads(catalog_dir: Path, result: UpdateResult) -> None:
    written = result.apply(catalog_dir)
    assert set(written) == {
        "kubernetes.yaml",
        "cves.yaml",
        "meta.yaml",
        "addons/cert-manager.yaml",
    }
    cat = build(catalog_dir)
    assert [str(r.version) for r in cat.releases] == ["1.29", "1.30", "1.31"]
    again = plan_update(catalog_dir, DirFetcher(UPSTREAM), TODAY)
    assert again.diff() == ""


def test_missing_sources_are_skipped_with_a_note(catalog_dir: Path, tmp_path: Path) -> None:
    result = plan_update(catalog_dir, DirFetcher(tmp_path / "empty"), TODAY)
    assert result.diff() == ""
    assert any("no response from https://endoflife.date" in n for n in result.notes)


def test_real_data_files_are_in_canonical_form(tmp_path: Path) -> None:
    """Our own files round-trip through the dumper, so updates give minimal diffs."""
    for name in ("kubernetes.yaml", "apis.yaml", "skew.yaml", "cves.yaml", "meta.yaml"):
        text = (data_dir() / name).read_text()
        assert dump(read_yaml(data_dir() / name, name), header_of(text)) == text, name


def test_update_of_a_copy_of_the_real_catalog_keeps_it_valid(tmp_path: Path) -> None:
    root = tmp_path / "real"
    shutil.copytree(data_dir(), root)
    result = plan_update(root, DirFetcher(UPSTREAM), TODAY)
    result.apply(root)
    assert build(root).releases
