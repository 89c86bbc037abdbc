"""The ``catalog`` commands: export contract, check exit codes, staleness warning, update."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from kubecurrent.catalog import Meta, data_dir, load_catalog, staleness_warning
from kubecurrent.cli._app import _register, root

pytestmark = pytest.mark.unit
UPSTREAM = Path(__file__).parent / "fixtures" / "upstream"


def run(*args: str) -> tuple[int, str, str]:
    _register()
    result = CliRunner().invoke(root, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_export_contract_shape() -> None:
    code, out, _ = run("catalog", "export", "-o", "json")
    assert code == 0
    data = json.loads(out)
    rel = data["kubernetes"]["releases"][0]
    assert {"version", "released", "end_of_life", "latest_patch"} <= rel.keys()
    assert rel["version"] == "1.19" and rel["latest_patch"] == "1.19.16"
    api = next(a for a in data["apis"] if a["kind"] == "CronJob")
    assert {k: api[k] for k in ("group", "version", "deprecated_in", "removed_in")} == {
        "group": "batch",
        "version": "v1beta1",
        "deprecated_in": "1.21",
        "removed_in": "1.25",
    }
    assert api["replacement"] == "batch/v1"
    for addon in data["addons"]:
        assert {"name", "status", "releases"} <= addon.keys()
        for r in addon["releases"]:
            assert {"version", "released", "kubernetes_min", "kubernetes_max"} <= r.keys()
            dt.date.fromisoformat(r["released"])


def test_check_passes_on_builtin_and_fails_naming_the_entry(tmp_path: Path) -> None:
    code, out, _ = run("catalog", "check")
    assert code == 0 and out.startswith("catalog ok:")
    bad = tmp_path / "bad.yaml"
    bad.write_text("cves:\n  - id: CVE-2099-0001\n    summary: x\n")
    code, _, err = run("catalog", "check", str(bad))
    assert code == 1
    assert f"{bad}: entry 1 (CVE-2099-0001):" in err and "hint:" in err


def test_show_one_section_as_json() -> None:
    code, out, _ = run("catalog", "show", "skew", "-o", "json")
    assert code == 0
    assert {r["id"] for r in json.loads(out)} >= {"kubelet-apiserver-2", "kubelet-apiserver-3"}


def test_show_table_lists_releases() -> None:
    code, out, _ = run("catalog", "show", "releases")
    assert code == 0 and "1.37" in out and "1.37.2" in out


def test_staleness_warning_after_90_days() -> None:
    meta = load_catalog().meta
    fresh = meta.last_verified + dt.timedelta(days=90)
    assert staleness_warning(meta, fresh) is None
    warning = staleness_warning(meta, meta.last_verified + dt.timedelta(days=91))
    assert warning and "91 days ago" in warning and "catalog update" in warning


def test_stale_meta_from_data() -> None:
    meta = Meta.model_validate(
        {"last_verified": "2026-01-01", "sources": [], "references": ["https://kubernetes.io"]}
    )
    assert staleness_warning(meta, dt.date(2026, 11, 25))


def test_update_prints_a_diff_and_writes_only_with_write(tmp_path: Path) -> None:
    root_dir = tmp_path / "data"
    shutil.copytree(Path(__file__).parent / "fixtures" / "catalog", root_dir)
    before = (root_dir / "kubernetes.yaml").read_text()
    args = ["catalog", "update", "--from-dir", str(UPSTREAM), "--data-dir", str(root_dir)]
    code, out, _ = run(*args)
    assert code == 0 and out.startswith("--- a/")
    assert (root_dir / "kubernetes.yaml").read_text() == before
    code, _, err = run(*args, "--write")
    assert code == 0 and "wrote" in err
    assert (root_dir / "kubernetes.yaml").read_text() != before
    assert data_dir() != root_dir
