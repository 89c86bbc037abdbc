"""Issue #14: the render cache keeps helm and kustomize runs by the content of what they read.

A re-scan renders nothing that did not change and reports the same; a change to any file a
render reads (a base of an overlay, a generator's file, a chart's template) renders again; the
directory stays under its cap (least recently used first out); an entry that does not check is
ignored and replaced; scans running at once leave only whole entries. ``--debug`` says what each
input cost. Real helm and kustomize throughout."""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from kubecurrent.analyze import Context
from kubecurrent.analyze.report import ScanReport
from kubecurrent.cli._app import _register, root
from kubecurrent.cli._scan_run import CAREFUL_ENV
from kubecurrent.cli.scan import run_scan
from kubecurrent.collect.files import RENDER_CACHE_STATS, RenderCache
from kubecurrent.programs import Completed
from tests.unit.scan.conftest import REPO, cache_options, scan_cached


def _same(one: ScanReport, other: ScanReport) -> None:
    assert one.findings == other.findings
    assert one.errors == other.errors
    assert one.skipped == other.skipped
    assert one.documents == other.documents


def test_a_rescan_renders_nothing_and_reports_the_same(
    tree: Path, ctx: Context, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    uncached = scan_cached(tree, ctx, None)
    before = dataclasses.replace(RENDER_CACHE_STATS)
    cold = scan_cached(tree, ctx, cache)
    assert RENDER_CACHE_STATS.hits == before.hits
    renders = 3  # the chart, the overlay and its base (a kustomization of its own)
    assert RENDER_CACHE_STATS.stored - before.stored == renders
    warm = scan_cached(tree, ctx, cache)
    assert RENDER_CACHE_STATS.hits - before.hits == renders
    assert RENDER_CACHE_STATS.stored - before.stored == renders
    assert {f.source for f in warm.findings} >= {"helm-chart", "kustomize"}
    _same(cold, uncached)
    _same(warm, uncached)


def test_a_changed_base_file_changes_the_overlays_findings(
    tree: Path, ctx: Context, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    overlay = tree / "overlay"  # prod over base (a scan does not leave the directory given)
    first = scan_cached(overlay, ctx, cache)
    assert ("HorizontalPodAutoscaler", "autoscaling/v2beta2") in _apis(first)
    hpa = tree / "overlay" / "base" / "hpa.yaml"
    hpa.write_text(hpa.read_text().replace("autoscaling/v2beta2", "autoscaling/v2"))
    second = scan_cached(overlay, ctx, cache)
    assert ("HorizontalPodAutoscaler", "autoscaling/v2beta2") not in _apis(second)
    _same(second, scan_cached(overlay, ctx, None))


def test_a_changed_generator_file_outside_the_overlay_renders_again(
    tree: Path, ctx: Context, tmp_path: Path
) -> None:
    """Files a kustomization names as ``KEY=PATH`` in a generator count too (kustomize refuses
    one outside the overlay's directory: that error is what is cached, and run again)."""
    cache = tmp_path / "cache"
    overlay = tree / "overlay" / "prod"
    shared = tree / "overlay" / "shared"
    shared.mkdir()
    (shared / "setting.txt").write_text("one")
    kustomization = overlay / "kustomization.yaml"
    kustomization.write_text(
        kustomization.read_text()
        + "configMapGenerator:\n  - name: settings\n    files: [value=../shared/setting.txt]\n"
        + "generatorOptions: {disableNameSuffixHash: true}\n"
        + "buildMetadata: []\n"
    )
    opts = dataclasses.replace(cache_options(cache), kustomize_timeout=60.0)
    run_scan((str(overlay.parent),), ctx, opts)
    before = dataclasses.replace(RENDER_CACHE_STATS)
    (shared / "setting.txt").write_text("two")
    run_scan((str(overlay.parent),), ctx, opts)
    assert RENDER_CACHE_STATS.hits == before.hits + 1  # the base, unchanged
    assert RENDER_CACHE_STATS.misses == before.misses + 1  # prod


def test_a_changed_chart_template_renders_again(tree: Path, ctx: Context, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    chart = tree / "chart"
    assert ("CronJob", "batch/v1beta1") in _apis(scan_cached(chart, ctx, cache))
    cronjob = chart / "templates" / "cronjob.yaml"
    cronjob.write_text(cronjob.read_text().replace("batch/v1beta1", "batch/v1"))
    after = scan_cached(chart, ctx, cache)
    assert ("CronJob", "batch/v1beta1") not in _apis(after)
    _same(after, scan_cached(chart, ctx, None))


def test_rendered_output_reads_the_same_on_the_fast_path(
    tree: Path, ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    """helm and kustomize output, and the overlays' own files (where objects point), are read
    on the fast path like plain files: the report is the full parser's."""
    (tree / "overlay" / "base" / "odd.yaml").write_text(
        "apiVersion: policy/v1beta1\nkind: PodSecurityPolicy\nmetadata: &m\n  name: odd\n"
        'spec:\n  note: "tab\\there"\n  again: *m\n'
    )
    base = tree / "overlay" / "base" / "kustomization.yaml"
    base.write_text(base.read_text() + "  - odd.yaml\n")
    fast = scan_cached(tree, ctx, None)
    assert ("PodSecurityPolicy", "policy/v1beta1") in _apis(fast)
    monkeypatch.setenv(CAREFUL_ENV, "1")
    _same(scan_cached(tree, ctx, None), fast)


def _apis(report: ScanReport) -> set[tuple[str, str]]:
    return {(f.object.kind, f.object.api_version) for f in report.findings if f.object}


def _run(n: int, size: int = 1000) -> Completed:
    return Completed(("tool",), 0, bytes([65 + n % 26]) * size, b"")


def test_the_cache_stays_under_its_cap_and_keeps_what_was_used_last(tmp_path: Path) -> None:
    cache = RenderCache(tmp_path / "cache", max_bytes=10_000)
    keys = [f"{n:064x}" for n in range(30)]
    for n, key in enumerate(keys):
        cache.put(key, _run(n))
        if n >= 1:
            assert cache.get(keys[0], ("tool",)) is not None  # used all along: never evicted
    held = sum(p.stat().st_size for p in cache.directory.iterdir())
    assert held <= 10_000
    assert cache.get(keys[1], ("tool",)) is None  # the oldest unused went first
    assert cache.get(keys[-1], ("tool",)) == _run(29)
    assert cache.get(keys[0], ("tool",)) == _run(0)


def test_a_run_larger_than_the_cap_or_killed_is_not_kept(tmp_path: Path) -> None:
    cache = RenderCache(tmp_path / "cache", max_bytes=500)
    cache.put("a" * 64, _run(0, size=1000))
    cache.put("b" * 64, Completed(("tool",), -9, b"", b""))
    assert cache.get("a" * 64, ("tool",)) is None
    assert cache.get("b" * 64, ("tool",)) is None


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[: len(data) // 2],  # cut short
        lambda data: data[:-1] + b"X",  # one byte changed
        lambda data: b"not an entry",
        lambda data: b"",
    ],
)
def test_a_corrupt_entry_is_ignored_and_replaced(
    tree: Path, ctx: Context, tmp_path: Path, damage: object
) -> None:
    cache = tmp_path / "cache"
    chart = tree / "chart"
    clean = scan_cached(chart, ctx, cache)
    (entry,) = cache.iterdir()
    good = entry.read_bytes()
    assert callable(damage)
    entry.write_bytes(damage(good))
    before = dataclasses.replace(RENDER_CACHE_STATS)
    _same(scan_cached(chart, ctx, cache), clean)
    assert RENDER_CACHE_STATS.misses == before.misses + 1
    assert RENDER_CACHE_STATS.stored == before.stored + 1
    assert entry.read_bytes() == good


def _scan_in_child(args: tuple[str, str]) -> list[str]:
    from kubecurrent.analyze import Context as Ctx
    from kubecurrent.catalog import load_catalog
    from kubecurrent.model import MinorVersion

    path, cache = args
    ctx = Ctx.build(load_catalog(), MinorVersion.parse("1.37"))
    report = scan_cached(Path(path), ctx, Path(cache))
    return sorted(f"{f.rule} {f.object.kind if f.object else ''}" for f in report.findings)


def test_scans_at_once_leave_only_whole_entries(tree: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    with multiprocessing.get_context("spawn").Pool(3) as pool:
        results = pool.map(_scan_in_child, [(str(tree), str(cache))] * 6)
    assert all(r == results[0] for r in results) and results[0]
    entries = list(cache.iterdir())
    assert len(entries) == 3 and not [p for p in entries if p.name.startswith(".")]
    store = RenderCache(cache)
    assert all(store.get(p.name, ("tool",)) is not None for p in entries)


def test_debug_prints_what_each_input_cost_and_what_the_cache_gave() -> None:
    _register()
    args = ["scan", "files", str(REPO), "--target", "1.37", "--debug", "-o", "json"]
    CliRunner().invoke(root, args)
    result = CliRunner().invoke(root, args)
    lines = [ln for ln in result.stderr.splitlines() if ln.startswith("debug: ")]
    kinds = {ln.split()[1] for ln in lines}
    assert kinds == {"file", "chart", "kustomize"}
    overlay = next(ln for ln in lines if ln.startswith(f"debug: kustomize {REPO / 'overlay'}"))
    assert (
        " s CPU in helm/kustomize, " in overlay and "render cache: 1 hit(s), 0 miss(es)" in overlay
    )
    plain = CliRunner().invoke(root, [*args[:-3], "-o", "json", "--no-render-cache"])
    assert "debug:" not in plain.stderr
    assert plain.stdout == result.stdout


def test_a_test_session_keeps_its_renders_out_of_the_users_cache(
    tree: Path, session_render_cache: Path
) -> None:
    """A scan through the CLI with no cache flag keeps its renders in this session's directory
    (``$KUBECURRENT_RENDER_CACHE_DIR``, set by the session's conftest), never in the user's."""
    from kubecurrent.cachedir import RENDER_CACHE_ENV, cache_dir, render_cache_dir

    users = cache_dir() / "render" / "v1"
    assert render_cache_dir() == session_render_cache
    assert not session_render_cache.resolve().is_relative_to(cache_dir().resolve())
    unique = f"{uuid.uuid4()}"  # a render no earlier run can have kept anywhere
    values = tree / "chart" / "values.yaml"
    values.write_text(values.read_text() + f"# {unique}\n")
    ours = session_render_cache / "v1"
    before = set(ours.iterdir()) if ours.is_dir() else set()
    _register()
    result = CliRunner().invoke(root, ["scan", "files", str(tree / "chart"), "--target", "1.37"])
    assert "charts 1 rendered" in result.output
    (entry,) = set(ours.iterdir()) - before
    assert not (users / entry.name).exists()
    assert os.environ[RENDER_CACHE_ENV] == str(session_render_cache)
