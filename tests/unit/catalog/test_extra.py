"""User extension files: they add entries, and a duplicate of a built-in entry is an error."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubecurrent.catalog import build, extra_from_env, load_catalog
from kubecurrent.errors import CatalogError

pytestmark = pytest.mark.unit

INTERNAL_API = """
apis:
  - group: acme.example.com
    version: v1alpha1
    kind: Widget
    resource: widgets
    deprecated_in: '1.30'
    removed_in: null
    replacement: acme.example.com/v1
    replacement_available_in: '1.30'
    source: [https://wiki.example.com/widgets]
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_extra_file_adds_entries(catalog_dir: Path, tmp_path: Path) -> None:
    cat = build(catalog_dir, [write(tmp_path, "extra.yaml", INTERNAL_API)])
    assert cat.apis[-1].label == "acme.example.com/v1alpha1 Widget"


def test_duplicate_of_builtin_is_an_error_naming_both(catalog_dir: Path, tmp_path: Path) -> None:
    dup = INTERNAL_API.replace("acme.example.com\n", "batch\n").replace("Widget", "CronJob")
    dup = dup.replace("version: v1alpha1", "version: v1beta1")
    dup = dup.replace("deprecated_in: '1.30'", "deprecated_in: '1.21'")
    extra = write(tmp_path, "extra.yaml", dup)
    with pytest.raises(CatalogError) as exc:
        build(catalog_dir, [extra])
    summary, msg = exc.value.message.splitlines()
    assert summary == "1 problem in 1 file"
    assert msg.strip().startswith(
        f"{extra}: entry 1 (batch/v1beta1 CronJob): duplicates the built-in"
    )
    assert "in apis.yaml" in msg
    assert "may only add entries" in (exc.value.hint or "")


def test_duplicate_across_two_extra_files(catalog_dir: Path, tmp_path: Path) -> None:
    a = write(tmp_path, "a.yaml", INTERNAL_API)
    b = write(tmp_path, "b.yaml", INTERNAL_API)
    with pytest.raises(CatalogError, match="duplicate apis entry"):
        build(catalog_dir, [a, b])


def test_unknown_section_is_rejected(catalog_dir: Path, tmp_path: Path) -> None:
    extra = write(tmp_path, "x.yaml", "api: []\n")
    with pytest.raises(CatalogError, match=r"unknown top-level key\(s\) \['api'\]"):
        build(catalog_dir, [extra])


def test_missing_file_says_which_flag(catalog_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(CatalogError) as exc:
        build(catalog_dir, [tmp_path / "nope.yaml"])
    assert "cannot read the file" in exc.value.message
    assert "--catalog-extra" in (exc.value.hint or "")


def test_invalid_yaml(catalog_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="not valid YAML"):
        build(catalog_dir, [write(tmp_path, "bad.yaml", "apis: [\n")])


def test_env_var_lists_files_like_path(tmp_path: Path) -> None:
    value = f"{tmp_path / 'a.yaml'}:{tmp_path / 'b.yaml'}"
    env: dict[str, str] = {"KUBECURRENT_CATALOG_EXTRA": value}
    empty: dict[str, str] = {}
    assert extra_from_env(env.get) == [tmp_path / "a.yaml", tmp_path / "b.yaml"]
    assert extra_from_env(empty.get) == []


def test_load_catalog_with_extra_on_real_data(tmp_path: Path) -> None:
    cat = load_catalog([write(tmp_path, "extra.yaml", INTERNAL_API)])
    assert cat.apis[-1].kind == "Widget"
    assert load_catalog() is not cat
