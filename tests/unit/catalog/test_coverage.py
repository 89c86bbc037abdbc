"""``catalog coverage``: counts, add-on coverage, unverified facts and gaps, as data and Markdown."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from kubecurrent.catalog import build, catalog_coverage, coverage_markdown, data_dir
from tests.unit.catalog.conftest import Mutate
from tests.unit.catalog.test_cli import run

pytestmark = pytest.mark.unit


def test_counts_per_section(catalog_dir: Path) -> None:
    sections = catalog_coverage(build(catalog_dir))["sections"]
    assert sections["releases"] == {"total": 2, "min": "1.29", "max": "1.30"}
    assert sections["apis"] == {"total": 2, "by_removed_in": {"1.25": 2}}
    assert sections["skew"] == {"total": 1, "upgrade_rules": 0}
    assert sections["cves"]["by_component"] == {"ingress-nginx": 1}
    assert sections["addons"]["by_status"] == {"active": 1, "retired": 1}
    assert sections["addons"]["by_category"] == {"certificates": 1, "ingress": 1}


def test_addon_rows_give_release_span_and_newest_kubernetes(catalog_dir: Path) -> None:
    rows = {a["name"]: a for a in catalog_coverage(build(catalog_dir))["addons"]}
    cert = rows["cert-manager"]
    assert (cert["releases"], cert["oldest"], cert["newest"]) == (2, "1.14", "1.15")
    assert cert["newest_kubernetes"] == "1.32"


def test_unverified_entries_are_listed_with_their_notes(mutate: Mutate) -> None:
    def flag(doc: Any) -> None:
        doc["apis"][0].update(unverified=True, note="removal\n  date   from memory")

    data = catalog_coverage(build(mutate("apis.yaml", flag)))
    assert data["unverified"] == [
        {"section": "apis", "entry": "batch/v1beta1 CronJob", "note": "removal date from memory"},
        {"section": "addons", "entry": "ingress-nginx 1.12", "note": "fixture"},
    ]


def test_a_note_without_unverified_is_not_listed(catalog_dir: Path) -> None:
    cat = build(catalog_dir)
    assert cat.apis[1].note and not cat.apis[1].unverified
    entries = [u["entry"] for u in catalog_coverage(cat)["unverified"]]
    assert cat.apis[1].label not in entries


def test_gap_when_the_newest_release_stops_below_the_newest_kubernetes(mutate: Mutate) -> None:
    root = mutate(
        "addons/cert-manager.yaml", lambda d: d["releases"][-1].update(kubernetes_max="1.29")
    )
    data = catalog_coverage(build(root))
    assert data["addon_gaps"] == [
        {
            "name": "cert-manager",
            "status": "active",
            "newest_release": "1.15",
            "kubernetes_max": "1.29",
            "missing_up_to": "1.30",
        }
    ]


def test_no_gap_when_every_addon_reaches_the_newest_minor(catalog_dir: Path) -> None:
    assert catalog_coverage(build(catalog_dir))["addon_gaps"] == []


def test_markdown_has_a_heading_and_a_table_per_part(mutate: Mutate) -> None:
    root = mutate("apis.yaml", lambda d: d["apis"][0].update(unverified=True, note="a | b"))
    text = coverage_markdown(catalog_coverage(build(root)))
    assert text.startswith("## Catalog coverage (verified 2026-11-01, newest Kubernetes 1.30)\n")
    assert re.findall(r"^### (.+)$", text, re.M) == [
        "Entries per section",
        "Add-ons",
        "Unverified entries (2)",
        "Add-on data gaps: newest release does not reach Kubernetes 1.30 (0)",
    ]
    assert "| releases | 2 | 1.29 to 1.30 |" in text
    assert "| cert-manager | active | 2 | 1.14 | 1.15 | 1.32 |" in text
    assert "| apis | batch/v1beta1 CronJob | a \\| b |" in text
    assert text.rstrip().endswith("None.")


def test_cli_coverage_in_every_format() -> None:
    code, out, _ = run("catalog", "coverage", "-o", "json")
    assert code == 0 and json.loads(out)["newest_kubernetes"] == "1.37"
    code, out, _ = run("catalog", "coverage", "-o", "markdown")
    assert code == 0 and out.startswith("## Catalog coverage") and "| cert-manager |" in out
    code, out, _ = run("catalog", "coverage", "-o", "yaml")
    assert code == 0 and "addon_gaps:" in out
    code, out, _ = run("catalog", "coverage")
    assert code == 0 and "Unverified entries" in out and "ADD-ON" in out


def test_no_note_in_the_data_is_cut_short_by_a_yaml_comment() -> None:
    """An unquoted ``note: ... #123`` silently loses everything after the ``#``."""
    for path in sorted(data_dir().rglob("*.yaml")):
        for n, line in enumerate(path.read_text().splitlines(), start=1):
            value = line.strip().removeprefix("- ")
            if value.startswith("note: ") and value[6:7] not in "\"'>|":
                assert " #" not in value, f"{path.name}:{n}: quote the note"


def test_coverage_counts_verified_cves_and_addons_reaching_the_newest_minor() -> None:
    from kubecurrent.catalog import load_catalog

    cat = load_catalog()
    sections = catalog_coverage(cat)["sections"]
    assert sections["cves"]["verified"] == sum(1 for c in cat.cves if not c.unverified)
    newest = cat.newest_release().version
    reaching = [a.name for a in cat.addons if any(r.kubernetes_max >= newest for r in a.releases)]
    assert sections["addons"]["reaching_newest"] == len(reaching)
