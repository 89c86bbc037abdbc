"""Managed providers' calendars and prices: loaded, checked, extended by extra files only."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from kubecurrent.catalog import SupportPhase, build, catalog_coverage, export_catalog, load_catalog
from kubecurrent.cli._app import _register, root
from kubecurrent.errors import CatalogError
from kubecurrent.model import MinorVersion

pytestmark = pytest.mark.unit

NEW_LINE = """
provider_releases:
  - provider: eks
    version: '1.31'
    available: 2024-09-26
    end_of_standard_support: 2025-11-26
    end_of_extended_support: 2026-11-26
    source: [https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html]
"""


def write(tmp_path: Path, text: str, name: str = "extra.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_the_builtin_eks_calendar_runs_from_119_with_prices() -> None:
    cat = load_catalog()
    minors = cat.provider_minors("eks")
    assert minors[0] == MinorVersion(1, 19) and MinorVersion(1, 34) in minors
    r129 = cat.provider_release("eks", MinorVersion(1, 29))
    assert r129 is not None
    assert (r129.available, r129.end_of_standard_support, r129.end_of_extended_support) == (
        dt.date(2024, 1, 23),
        dt.date(2025, 3, 23),
        dt.date(2026, 3, 23),
    )
    extended = cat.provider_price("eks", SupportPhase.EXTENDED)
    assert extended is not None and extended.usd_per_cluster_hour == Decimal("0.60")
    assert extended.usd_per_cluster_month == Decimal("438.00")


def test_versions_without_extended_support_end_once() -> None:
    r119 = load_catalog().provider_release("eks", MinorVersion(1, 19))
    assert r119 is not None and not r119.has_extended_support


def test_phase_changes_on_the_end_dates(catalog_dir: Path) -> None:
    r = build(catalog_dir).provider_release("eks", MinorVersion(1, 29))
    assert r is not None
    assert r.phase(dt.date(2024, 1, 22)) is SupportPhase.NOT_YET
    assert r.phase(dt.date(2025, 3, 22)) is SupportPhase.STANDARD
    assert r.phase(dt.date(2025, 3, 23)) is SupportPhase.EXTENDED
    assert r.phase(dt.date(2026, 3, 23)) is SupportPhase.ENDED


def test_extra_file_adds_a_provider_release(catalog_dir: Path, tmp_path: Path) -> None:
    cat = build(catalog_dir, [write(tmp_path, NEW_LINE)])
    assert [str(m) for m in cat.provider_minors("eks")] == ["1.29", "1.30", "1.31"]


def test_extra_file_never_overrides_a_builtin_release(catalog_dir: Path, tmp_path: Path) -> None:
    extra = write(tmp_path, NEW_LINE.replace("'1.31'", "'1.30'"))
    with pytest.raises(CatalogError) as exc:
        build(catalog_dir, [extra])
    assert f"{extra}: entry 1 (eks 1.30): duplicates the built-in" in exc.value.message
    assert "providers/eks.yaml" in exc.value.message


def test_dates_out_of_order_name_file_and_entry(catalog_dir: Path) -> None:
    path = catalog_dir / "providers" / "eks.yaml"
    path.write_text(path.read_text().replace("2026-03-23", "2025-01-01"))
    with pytest.raises(CatalogError) as exc:
        build(catalog_dir)
    assert "providers/eks.yaml: provider_releases entry 1 (eks 1.29): dates out of order" in (
        exc.value.message
    )


def test_an_entry_for_another_provider_in_the_file_is_a_problem(catalog_dir: Path) -> None:
    path = catalog_dir / "providers" / "eks.yaml"
    path.write_text(
        path.read_text().replace(
            "provider: eks\n    version: '1.30'", "provider: gke\n    version: '1.30'"
        )
    )
    with pytest.raises(CatalogError, match="provider 'gke' does not match the file name"):
        build(catalog_dir)


def test_a_price_for_a_phase_nobody_pays_is_refused(catalog_dir: Path, tmp_path: Path) -> None:
    extra = write(
        tmp_path,
        "provider_prices:\n  - {provider: gke, support: ended, usd_per_cluster_hour: '1',"
        " source: [https://cloud.google.com/kubernetes-engine/pricing]}\n",
    )
    with pytest.raises(CatalogError, match="support must be standard or extended"):
        build(catalog_dir, [extra])


def test_coverage_and_export_include_providers(catalog_dir: Path) -> None:
    cat = build(catalog_dir)
    assert catalog_coverage(cat)["sections"]["providers"] == {
        "total": 2,
        "prices": 2,
        "by_provider": {"eks": "1.29 to 1.30"},
    }
    exported = export_catalog(cat)["providers"]
    assert exported["prices"][1]["usd_per_cluster_hour"] == "0.60"
    assert exported["releases"][0]["end_of_extended_support"] == "2026-03-23"


def test_builtin_unverified_provider_facts_are_listed_by_coverage() -> None:
    unverified = catalog_coverage(load_catalog())["unverified"]
    entries = {u["entry"] for u in unverified if u["section"].startswith("provider")}
    assert "eks 1.36" in entries and "eks 1.29" not in entries


def test_catalog_show_providers_as_a_table_and_as_json() -> None:
    _register()
    runner = CliRunner()
    table = runner.invoke(root, ["catalog", "show", "providers"])
    assert table.exit_code == 0
    row = next(line for line in table.stdout.splitlines() if "1.31" in line and "eks" in line)
    assert [c.strip() for c in row.split("│")[1:6]] == [
        "eks",
        "1.31",
        "2024-09-26",
        "2025-11-26",
        "2026-11-26",
    ]
    data = json.loads(runner.invoke(root, ["catalog", "show", "providers", "-o", "json"]).stdout)
    assert {p["support"]: p["usd_per_cluster_hour"] for p in data["prices"]} == {
        "standard": "0.10",
        "extended": "0.60",
    }
    first = {}
    for release in data["releases"]:
        first.setdefault(release["provider"], release["version"])
    assert first == {"aks": "1.27", "eks": "1.19", "gke": "1.27"}
