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


class TestExtraFilesAreReadByTheUserYamlRules:
    """An extra file is the user's: a mistake in it is a CatalogError naming the file, the line
    (or the entry and field) and what to change — never a traceback or a silent misreading."""

    def test_a_key_written_twice_is_refused_naming_both_lines(
        self, catalog_dir: Path, tmp_path: Path
    ) -> None:
        twice = INTERNAL_API.replace(
            "    removed_in: null\n", "    removed_in: null\n    version: v1\n"
        )
        extra = write(tmp_path, "extra.yaml", twice)
        with pytest.raises(CatalogError) as exc:
            build(catalog_dir, [extra])
        problem = exc.value.message.splitlines()[1].strip()
        assert problem.startswith(f"{extra}: line 9, column 5: ")
        assert "the key 'version' is written twice (lines 4 and 9)" in problem
        assert "fix the catalog extra file at the line shown" in (exc.value.hint or "")

    def test_an_invalid_date_names_the_entry_and_field(
        self, catalog_dir: Path, tmp_path: Path
    ) -> None:
        release = "releases:\n  - version: '1.99'\n    latest_patch: 1.99.0\n"
        release += "    released: 2024-02-30\n"
        release += "    end_of_standard_support: 2025-02-28\n    end_of_life: 2025-04-28\n"
        release += "    source: [https://example.com/r]\n"
        extra = write(tmp_path, "dates.yaml", release)
        with pytest.raises(CatalogError) as exc:
            build(catalog_dir, [extra])
        problem = exc.value.message.splitlines()[1].strip()
        assert problem.startswith(f"{extra}: entry 1 (1.99): released: ")
        assert "valid date" in problem and "day value is outside expected range" in problem
        assert f"fix the entry in {extra}" in (exc.value.hint or "")

    def test_bytes_that_are_not_utf8_name_the_line(self, catalog_dir: Path, tmp_path: Path) -> None:
        extra = tmp_path / "latin1.yaml"
        extra.write_bytes(INTERNAL_API.replace("Widget", "W\xefdget").encode("latin-1"))
        with pytest.raises(CatalogError) as exc:
            build(catalog_dir, [extra])
        problem = exc.value.message.splitlines()[1].strip()
        assert problem.startswith(f"{extra}: line 5: not UTF-8 text (byte 0xef")
        assert "save the catalog extra file as UTF-8" in (exc.value.hint or "")

    def test_a_time_like_value_stays_the_string_written(
        self, catalog_dir: Path, tmp_path: Path
    ) -> None:
        """YAML 1.1 reads an unquoted 22:00 as the base-60 number 1320."""
        text = INTERNAL_API.replace("    source:", "    migration:\n      - 22:00\n    source:")
        cat = build(catalog_dir, [write(tmp_path, "t.yaml", text)])
        assert list(cat.apis[-1].migration) == ["22:00"]
