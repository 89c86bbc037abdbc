"""The catalog's cache: the validated catalog and the file scan's facts, kept between runs.

The cache must give exactly what the data files give, miss when the data changes, and never be
trusted when it is damaged; a file scan must then not load the validated catalog models."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import time
from pathlib import Path

import msgspec
import pytest

from kubecurrent.analyze import ApiTable, Context
from kubecurrent.catalog import (
    Catalog,
    ScanFacts,
    build,
    cached_catalog,
    cached_facts,
    catalog_cache_file,
    data_dir,
    facts_cache_file,
    load_catalog,
    load_lifecycle,
    load_scan_facts,
    scan_facts,
)
from kubecurrent.model import MinorVersion
from tests.unit.catalog.conftest import Mutate

pytestmark = pytest.mark.unit


@pytest.fixture(autouse=True)
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv("KUBECURRENT_CACHE_DIR", str(cache))
    return cache


def test_the_cached_facts_are_those_of_the_yaml_read() -> None:
    root = data_dir()
    first = cached_facts(root)  # a miss: built from the data files, then written
    written = facts_cache_file(root)
    assert written.is_file()
    from_yaml = scan_facts(build(root))
    assert first == from_yaml
    assert msgspec.json.decode(written.read_bytes(), type=ScanFacts) == from_yaml
    assert cached_facts(root) == from_yaml  # a hit: decoded from the file
    assert from_yaml.apis and from_yaml.releases and from_yaml.addons
    assert any(a.addon for a in from_yaml.apis), "add-on APIs are part of the facts"


def test_the_cached_catalog_is_the_catalog_of_the_yaml_read() -> None:
    root = data_dir()
    from_yaml = build(root)
    assert cached_catalog(root) == from_yaml  # a miss: built, then written
    assert Catalog.model_validate_json(catalog_cache_file(root).read_bytes()) == from_yaml
    again = cached_catalog(root)  # a hit
    assert again == from_yaml
    assert again.addon("cert-manager") == from_yaml.addon("cert-manager")
    assert again.newest_release() == from_yaml.newest_release()


def test_a_catalog_hit_reads_the_cache_file_and_an_edit_misses(
    catalog_dir: Path, mutate: Mutate
) -> None:
    built = cached_catalog(catalog_dir)
    path = catalog_cache_file(catalog_dir)
    fewer = built.model_copy(update={"releases": built.releases[:-1]})
    path.write_text(fewer.model_dump_json())
    assert cached_catalog(catalog_dir) == fewer
    mutate("kubernetes.yaml", lambda doc: doc["releases"][0].update(note="edited"))
    assert catalog_cache_file(catalog_dir) != path
    assert cached_catalog(catalog_dir) == build(catalog_dir)


def test_a_damaged_catalog_cache_is_rebuilt(catalog_dir: Path) -> None:
    path = catalog_cache_file(catalog_dir)
    path.parent.mkdir(parents=True)
    path.write_text('{"meta": 1}')
    assert cached_catalog(catalog_dir) == build(catalog_dir)
    assert Catalog.model_validate_json(path.read_bytes()) == build(catalog_dir)


def test_a_hit_reads_the_cache_file_and_not_the_data(catalog_dir: Path) -> None:
    cached_facts(catalog_dir)
    path = facts_cache_file(catalog_dir)
    marked = ScanFacts(releases=("9.99",), addons=(), addons_with_apis=(), apis=())
    path.write_bytes(msgspec.json.encode(marked))
    assert cached_facts(catalog_dir) == marked


def test_an_edited_data_file_misses_the_cache(catalog_dir: Path, mutate: Mutate) -> None:
    before = cached_facts(catalog_dir)
    old_key = facts_cache_file(catalog_dir)
    mutate("kubernetes.yaml", lambda doc: doc["releases"].pop())
    assert facts_cache_file(catalog_dir) != old_key
    after = cached_facts(catalog_dir)
    assert after == scan_facts(build(catalog_dir))
    assert len(after.releases) == len(before.releases) - 1


@pytest.mark.parametrize("damage", [b"", b"{not json", b'{"releases": 3}'])
def test_a_damaged_cache_file_is_rebuilt_from_the_data(catalog_dir: Path, damage: bytes) -> None:
    path = facts_cache_file(catalog_dir)
    path.parent.mkdir(parents=True)
    path.write_bytes(damage)
    assert cached_facts(catalog_dir) == scan_facts(build(catalog_dir))
    assert msgspec.json.decode(path.read_bytes(), type=ScanFacts) == cached_facts(catalog_dir)


def test_an_unwritable_cache_is_passed_over(catalog_dir: Path, own_cache: Path) -> None:
    own_cache.write_text("a file where the cache directory should be")
    assert cached_facts(catalog_dir) == scan_facts(build(catalog_dir))


def test_extra_files_are_read_in_full_and_not_cached(tmp_path: Path, own_cache: Path) -> None:
    extra = tmp_path / "extra.yaml"
    extra.write_text(
        "apis:\n"
        "- group: example.com\n  version: v1beta1\n  kind: Widget\n  resource: widgets\n"
        "  deprecated_in: '1.30'\n  removed_in: '1.33'\n  replacement: example.com/v1\n"
        "  replacement_available_in: '1.28'\n"
        "  source: [https://example.com/widgets]\n"
    )
    facts = load_scan_facts([extra])
    assert facts == scan_facts(load_catalog([extra]))
    assert any(a.kind == "Widget" for a in facts.apis)
    assert not (own_cache / "catalog").exists()


def test_the_context_from_facts_is_the_context_from_the_catalog() -> None:
    catalog, target = load_catalog(), MinorVersion.parse("1.30")
    built = Context.build(catalog, target, {"cert-manager": "1.5.0"})
    light = Context.from_facts(
        load_scan_facts(), load_lifecycle(), target, {"cert-manager": "1.5.0"}
    )
    assert light == built
    assert light.table == ApiTable.from_catalog(catalog)
    assert load_lifecycle() == catalog.lifecycle


def test_a_file_scan_loads_no_catalog_model_template_engine_or_cluster_code(
    tmp_path: Path, own_cache: Path
) -> None:
    (tmp_path / "cj.yaml").write_text(
        "apiVersion: batch/v1beta1\nkind: CronJob\nmetadata:\n  name: x\n"
    )
    heavy = (
        "kubecurrent.catalog._catalog",
        "kubecurrent.catalog._addon",
        "kubecurrent.catalog._load",
        "kubecurrent.analyze.cluster",
        "kubecurrent.model.inventory",
        "jinja2",
        "rich",
        "lightkube",
    )
    probe = (
        "import sys\nfrom kubecurrent.cli import main\n"
        f"try:\n    main(['scan', 'files', {str(tmp_path)!r}, '--target', '1.30', '-o', 'json'])\n"
        "except SystemExit as exc:\n    code = exc.code\n"
        f"print(code, sorted(m for m in sys.modules if m.startswith({heavy!r})))"
    )
    env = {"KUBECURRENT_CACHE_DIR": str(own_cache), "PATH": ""}
    for run in ("miss", "hit"):
        out = subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True
        )
        code, loaded = out.stdout.strip().splitlines()[-1].split(" ", 1)
        assert code == "4", out.stdout  # the CronJob's batch/v1beta1 is removed at 1.30
        if run == "hit":
            assert ast.literal_eval(loaded) == []


def test_a_miss_removes_the_files_of_old_keys_left_unused_and_keeps_the_rest() -> None:
    root = data_dir()
    folder = facts_cache_file(root).parent
    folder.mkdir(parents=True)
    month_ago = time.time() - 31 * 86400

    def old_file(name: str, mtime: float) -> Path:
        path = folder / name
        path.write_bytes(b"{}")
        os.utime(path, (mtime, mtime))
        return path

    stale = old_file("scan-facts-0123456789abcdef0123456789abcdef.json", month_ago)
    recent = old_file("scan-facts-fedcba9876543210fedcba9876543210.json", time.time() - 86400)
    other_form = old_file("chart-index-0123456789abcdef0123456789abcdef.json", month_ago)
    unrelated = old_file("notes.json", month_ago)
    cached_facts(root)  # a miss: writes this key's file, then prunes its form
    assert facts_cache_file(root).is_file()
    assert not stale.exists(), "an old key unused for a month is removed"
    assert recent.exists(), "another installation's key used yesterday is kept"
    assert other_form.exists() and unrelated.exists(), "only the missed form is pruned"


def test_a_hit_marks_its_file_used_so_no_other_installation_prunes_it() -> None:
    root = data_dir()
    cached_facts(root)
    path = facts_cache_file(root)
    month_ago = time.time() - 31 * 86400
    os.utime(path, (month_ago, month_ago))
    cached_facts(root)  # a hit
    assert path.stat().st_mtime > time.time() - 60
