"""Checking never stops at the first problem: one error lists every problem of every file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kubecurrent.catalog import build
from kubecurrent.errors import CatalogError
from tests.unit.catalog.conftest import Mutate
from tests.unit.catalog.test_cli import run

pytestmark = pytest.mark.unit

THREE_BROKEN = """\
apis:
  - group: acme.example.com
    version: v1beta1
    kind: Widget
    resource: widgets
    deprecated_in: '1.30'
    removed_in: '1.28'
    replacement: acme.example.com/v1
    replacement_available_in: '1.28'
    source: [https://wiki.example.com/widgets]
cves:
  - id: CVE-2099-0001
    summary: an in-house advisory without its ranges
skew:
  - id: kubelet-apiserver-3
    component: kubelet
    relative_to: kube-apiserver
    max_older: 3
    max_newer: 0
    applies_from: '1.28'
    description: the same id as a built-in rule
    source: [https://wiki.example.com/skew]
"""


def problems_of(exc: pytest.ExceptionInfo[CatalogError]) -> tuple[str, list[str]]:
    summary, *lines = exc.value.message.splitlines()
    return summary, [line.strip() for line in lines]


def test_three_broken_entries_are_all_reported(catalog_dir: Path, tmp_path: Path) -> None:
    extra = tmp_path / "x.yaml"
    extra.write_text(THREE_BROKEN)
    with pytest.raises(CatalogError) as exc:
        build(catalog_dir, [extra])
    summary, lines = problems_of(exc)
    assert summary == "3 problems in 1 file"
    assert lines[0].startswith(f"{extra}: apis entry 1 (acme.example.com/v1beta1 Widget): ")
    assert "removed_in 1.28 is before deprecated_in 1.30" in lines[0]
    assert lines[1].startswith(f"{extra}: cves entry 1 (CVE-2099-0001): ")
    assert "published: Field required" in lines[1] and "source: Field required" in lines[1]
    assert lines[2].startswith(
        f"{extra}: skew entry 1 (kubelet-apiserver-3): duplicates the built-in"
    )
    assert "docs/catalog.md" in (exc.value.hint or "")


def test_problems_are_listed_file_by_file(catalog_dir: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text(THREE_BROKEN)
    second.write_text("cves:\n  - id: not-a-cve\n")
    with pytest.raises(CatalogError) as exc:
        build(catalog_dir, [second, first])
    summary, lines = problems_of(exc)
    assert summary == "4 problems in 2 files"
    assert [line.split(":")[0] for line in lines] == [str(second)] + [str(first)] * 3


def test_a_broken_builtin_copy_names_every_file(mutate: Mutate) -> None:
    mutate("apis.yaml", lambda d: d["apis"][0].update(removed_in="1.20"))
    mutate("kubernetes.yaml", lambda d: d["releases"].reverse())
    root = mutate("addons/cert-manager.yaml", lambda d: d.update(status="sideways"))
    with pytest.raises(CatalogError) as exc:
        build(root)
    summary, lines = problems_of(exc)
    assert summary == "3 problems in 3 files"
    assert lines[0].startswith("kubernetes.yaml: entry 2 (1.29): releases must be sorted")
    assert lines[1].startswith("apis.yaml: entry 1 (batch/v1beta1 CronJob): removed_in 1.20")
    assert lines[2].startswith("addons/cert-manager.yaml: cert-manager: status: Input should be")


def test_a_broken_addon_does_not_break_references_to_it(mutate: Mutate) -> None:
    """ingress-nginx names cert-manager as replacement: no second, misleading problem."""
    root = mutate("addons/cert-manager.yaml", lambda d: d.update(category="nonsense"))
    with pytest.raises(CatalogError) as exc:
        build(root)
    assert problems_of(exc)[0] == "1 problem in 1 file"


def test_every_duplicate_is_reported(mutate: Mutate) -> None:
    def twice(doc: Any) -> None:
        doc["apis"].extend([doc["apis"][0], doc["apis"][1]])

    with pytest.raises(CatalogError) as exc:
        build(mutate("apis.yaml", twice))
    summary, lines = problems_of(exc)
    assert summary == "2 problems in 1 file"
    assert all("duplicate apis entry" in line for line in lines)


def test_yaml_syntax_error_names_file_and_line(catalog_dir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("apis:\n  - group: x\n    kind: [Widget\n")
    with pytest.raises(CatalogError) as exc:
        build(catalog_dir, [bad])
    summary, lines = problems_of(exc)
    assert summary == "1 problem in 1 file"
    assert lines[0].startswith(f"{bad}: line 4, column 1: not valid YAML:")
    assert "line shown" in (exc.value.hint or "")


def test_unknown_key_does_not_hide_the_entries_next_to_it(
    catalog_dir: Path, tmp_path: Path
) -> None:
    extra = tmp_path / "x.yaml"
    extra.write_text("api: []\ncves:\n  - id: CVE-2099-0002\n")
    with pytest.raises(CatalogError) as exc:
        build(catalog_dir, [extra])
    summary, lines = problems_of(exc)
    assert summary == "2 problems in 1 file"
    assert "unknown top-level key(s) ['api']" in lines[0]
    assert lines[1].startswith(f"{extra}: entry 1 (CVE-2099-0002): ")


def test_check_command_prints_every_problem(tmp_path: Path) -> None:
    extra = tmp_path / "x.yaml"
    extra.write_text(THREE_BROKEN)
    code, out, err = run("catalog", "check", str(extra))
    assert code == 1 and out == ""
    assert "error: 3 problems in 1 file" in err
    for entry in ("acme.example.com/v1beta1 Widget", "CVE-2099-0001", "kubelet-apiserver-3"):
        assert f"  {extra}: " in err and f" entry 1 ({entry}): " in err
    assert "hint:" in err
