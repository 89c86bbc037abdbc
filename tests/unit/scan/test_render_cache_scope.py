"""The render cache's key reads nothing beyond the scan: only regular files, of bounded size,
within the scanned directory. An overlay or chart that may read anything else (a name or a link
leading out of the scan, a FIFO, a device, a huge file) is rendered every time, never cached,
and ``--debug`` says why. Real helm and kustomize throughout; the FIFO's writer is a test double
(it only tells whether anything opened the FIFO for reading, and lets such a reader end)."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from kubecurrent.analyze import Context
from kubecurrent.analyze.report import ScanReport
from kubecurrent.cli._app import _register, root
from kubecurrent.collect.files import RENDER_CACHE_STATS, RenderOptions
from kubecurrent.collect.files._cache import CacheStats
from kubecurrent.collect.files._digest import MAX_INPUT_BYTES
from tests.unit.scan.conftest import cache_options, scan_cached


def _since(before: CacheStats) -> CacheStats:
    now = RENDER_CACHE_STATS
    return CacheStats(
        now.hits - before.hits,
        now.misses - before.misses,
        now.stored - before.stored,
        now.evicted - before.evicted,
        now.uncacheable[len(before.uncacheable) :],
    )


def _snapshot() -> CacheStats:
    return dataclasses.replace(RENDER_CACHE_STATS, uncacheable=list(RENDER_CACHE_STATS.uncacheable))


def _same(one: ScanReport, other: ScanReport) -> None:
    assert one.findings == other.findings
    assert one.errors == other.errors
    assert one.skipped == other.skipped
    assert one.documents == other.documents


def _generator(overlay: Path, ref: str) -> None:
    kustomization = overlay / "kustomization.yaml"
    kustomization.write_text(
        kustomization.read_text()
        + f"configMapGenerator:\n  - name: settings\n    files: [value={ref}]\n"
    )


def _prod_not_cached(tree: Path, ctx: Context, cache: Path) -> tuple[CacheStats, ScanReport]:
    """Scan ``overlay/`` twice with the cache; the base is kept and found again, prod is run
    both times and never kept. Returns what the second scan did, and its report."""
    scan_cached(tree / "overlay", ctx, cache)
    before = _snapshot()
    report = scan_cached(tree / "overlay", ctx, cache)
    spent = _since(before)
    assert (spent.hits, spent.misses, spent.stored) == (1, 0, 0)  # base: kept, found again
    assert len(spent.uncacheable) == 1  # prod
    assert len(list(cache.iterdir())) == 1
    _same(report, scan_cached(tree / "overlay", ctx, None))
    return spent, report


def test_a_file_named_outside_the_scan_is_not_read_for_a_key(
    tree: Path, ctx: Context, tmp_path: Path
) -> None:
    """kustomize refuses it too (its load restrictor): the build's error is reported, not
    cached, so it is never served for a file the key did not read."""
    outside = tmp_path / "elsewhere" / "secret.txt"
    outside.parent.mkdir()
    outside.write_text("one")
    _generator(tree / "overlay" / "prod", "../../../elsewhere/secret.txt")
    spent, report = _prod_not_cached(tree, ctx, tmp_path / "cache")
    (reason,) = spent.uncacheable
    assert str(outside.name) in reason and "outside the scanned directory" in reason
    (error,) = report.errors
    assert "is not in or below" in error.message  # kustomize's own refusal


def test_an_absolute_path_outside_the_scan_is_not_read_for_a_key(
    tree: Path, ctx: Context, tmp_path: Path
) -> None:
    outside = tmp_path / "secret.txt"
    outside.write_text("one")
    _generator(tree / "overlay" / "prod", str(outside))
    spent, _ = _prod_not_cached(tree, ctx, tmp_path / "cache")
    assert f"{outside}, which leads outside the scanned directory" in spent.uncacheable[0]


@contextlib.contextmanager
def _fifo_watch(fifo: Path) -> Iterator[list[bool]]:
    """Records whether anything opens ``fifo`` for reading while the block runs: a writer that
    opens and closes it at once when a reader waits (so such a reader reads an empty stream and
    goes on instead of waiting for ever)."""
    os.mkfifo(fifo)
    opened: list[bool] = []
    stop = threading.Event()

    def watch() -> None:
        while not stop.wait(0.02):
            try:
                fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:  # no reader
                continue
            opened.append(True)
            os.close(fd)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    try:
        yield opened
    finally:
        stop.set()
        thread.join()


def test_a_fifo_in_the_overlay_is_never_opened(tree: Path, ctx: Context, tmp_path: Path) -> None:
    with _fifo_watch(tree / "overlay" / "prod" / "pipe") as opened:
        spent, _ = _prod_not_cached(tree, ctx, tmp_path / "cache")
    assert not opened
    assert spent.uncacheable[0].endswith("pipe, a FIFO, not a regular file")


def test_a_link_out_of_the_scan_is_never_followed(tree: Path, ctx: Context, tmp_path: Path) -> None:
    """A link to a FIFO (or a device: ``/dev/zero``) out of the scan, not even named by the
    kustomization: the key does not follow it."""
    with _fifo_watch(tmp_path / "pipe") as opened:
        (tree / "overlay" / "prod" / "zero").symlink_to(tmp_path / "pipe")
        spent, _ = _prod_not_cached(tree, ctx, tmp_path / "cache")
    assert not opened
    assert "zero, which leads outside the scanned directory" in spent.uncacheable[0]


def test_a_file_too_large_is_not_read_for_a_key(tree: Path, ctx: Context, tmp_path: Path) -> None:
    with (tree / "overlay" / "prod" / "huge.bin").open("wb") as huge:
        huge.truncate(MAX_INPUT_BYTES + 1)  # sparse: no disk used
    spent, _ = _prod_not_cached(tree, ctx, tmp_path / "cache")
    assert spent.uncacheable[0].endswith(f"huge.bin, larger than {MAX_INPUT_BYTES} bytes")


def test_links_and_names_within_the_scan_are_cached(
    tree: Path, ctx: Context, tmp_path: Path
) -> None:
    """A link inside the scan, and a generator file in another directory of it, are read for
    the key as before: both overlays are kept, and a change behind the link renders again."""
    shared = tree / "overlay" / "shared"
    shared.mkdir()
    (shared / "setting.txt").write_text("one")
    (tree / "overlay" / "prod" / "setting.txt").symlink_to(shared / "setting.txt")
    _generator(tree / "overlay" / "prod", "setting.txt")
    cache = tmp_path / "cache"
    before = _snapshot()
    scan_cached(tree / "overlay", ctx, cache)
    assert _since(before) == CacheStats(0, 2, 2, 0, [])
    (shared / "setting.txt").write_text("two")
    before = _snapshot()
    scan_cached(tree / "overlay", ctx, cache)
    assert _since(before) == CacheStats(1, 1, 1, 0, [])


def test_a_chart_with_a_dependency_outside_the_scan_is_not_cached(
    tree: Path, ctx: Context, tmp_path: Path
) -> None:
    """A ``file://`` dependency out of the scanned directory: the walk does not render the
    chart (``test_symlinks``), so nothing is read for a key either."""
    dep = tmp_path / "dep"
    dep.mkdir()
    (dep / "Chart.yaml").write_text("apiVersion: v2\nname: dep\nversion: 0.1.0\n")
    chart = tree / "chart" / "Chart.yaml"
    chart.write_text(
        chart.read_text()
        + f"dependencies:\n  - name: dep\n    version: 0.1.0\n    repository: file://{dep}\n"
    )
    before = _snapshot()
    scan_cached(tree / "chart", ctx, tmp_path / "cache")
    spent = _since(before)
    assert (spent.hits, spent.misses, spent.stored, spent.uncacheable) == (0, 0, 0, [])


def test_debug_says_why_a_render_is_not_cached(tree: Path, tmp_path: Path) -> None:
    (tmp_path / "passwd").write_text("root:x:0:0")
    (tree / "overlay" / "prod" / "zero").symlink_to(tmp_path / "passwd")
    _register()
    cache = tmp_path / "cache"
    args = ["scan", "files", str(tree / "overlay"), "--target", "1.37", "--debug"]
    args += ["-o", "json", "--render-cache-dir", str(cache)]
    CliRunner().invoke(root, args)
    result = CliRunner().invoke(root, args)
    lines = {ln.split()[2].rstrip(":"): ln for ln in result.stderr.splitlines() if "debug:" in ln}
    prod = lines[str(tree / "overlay" / "prod")]
    assert prod.endswith(
        "render cache: 0 hit(s), 0 miss(es), 1 not cached: it may read "
        f"{tree / 'overlay' / 'prod' / 'zero'}, which leads outside the scanned directory"
    )
    assert lines[str(tree / "overlay" / "base")].endswith("render cache: 1 hit(s), 0 miss(es)")


def test_the_documented_limits_are_the_ones_in_force() -> None:
    from kubecurrent.cachedir import RENDER_CACHE_ENV
    from kubecurrent.collect.files._digest import MAX_INPUTS_BYTES
    from kubecurrent.collect.files._render import release_namespace

    doc = (Path(__file__).resolve().parents[3] / "docs" / "file-scan.md").read_text()
    doc = " ".join(doc.split())
    mib = 1024 * 1024
    assert f"each of {MAX_INPUT_BYTES // mib} MiB at most and {MAX_INPUTS_BYTES // mib} MiB" in doc
    assert f"`${RENDER_CACHE_ENV}`" in doc
    assert "`$HELM_NAMESPACE` when set, else `default`" in doc
    assert release_namespace() == os.environ.get("HELM_NAMESPACE", "default")


def _chart_with_dependency(tmp_path: Path, dep_version: str) -> Path:
    """A chart declaring a dependency by a version range from a chart repository, vendored in
    ``charts/`` as an archive (what ``helm dependency build`` leaves there)."""
    chart = tmp_path / "app"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text(
        "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n"
        "  - name: dep\n    version: '>=1.0.0 <2.0.0'\n"
        "    repository: https://charts.invalid/stable\n"
    )
    (chart / "templates" / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\n"
        "data:\n  namespace: {{ .Release.Namespace }}\n"
    )
    _vendor(chart, dep_version)
    return chart


def _vendor(chart: Path, version: str) -> None:
    import io
    import tarfile

    (chart / "charts").mkdir(exist_ok=True)
    for old in (chart / "charts").glob("dep-*.tgz"):
        old.unlink()
    files = {
        "dep/Chart.yaml": f"apiVersion: v2\nname: dep\nversion: {version}\n",
        "dep/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n"
        f"  name: dep\ndata:\n  version: '{version}'\n",
    }
    with tarfile.open(chart / "charts" / f"dep-{version}.tgz", "w:gz") as tar:
        for name, text in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(text.encode())
            tar.addfile(info, io.BytesIO(text.encode()))


def _config_maps(chart: Path, opts: RenderOptions) -> dict[str, dict[str, str]]:
    from kubecurrent.collect.files import Document, render_chart

    rendered = render_chart(chart, opts, "1.37.0", root=chart.parent)
    docs = [i for i in rendered.items if isinstance(i, Document)]
    return {d.name: d.data["data"] for d in docs if d.kind == "ConfigMap"}


def test_a_vendored_dependency_is_keyed_by_its_content(tmp_path: Path) -> None:
    """helm fetches nothing when rendering: the range resolves to what is in ``charts/``, so
    another archive there (``helm dependency update``) is another render, never the old one."""
    chart = _chart_with_dependency(tmp_path, "1.0.0")
    opts = cache_options(tmp_path / "cache")
    assert _config_maps(chart, opts)["dep"] == {"version": "1.0.0"}
    _vendor(chart, "1.1.0")
    before = _snapshot()
    assert _config_maps(chart, opts)["dep"] == {"version": "1.1.0"}
    assert (_since(before).hits, _since(before).stored) == (0, 1)


def test_the_kubeconfigs_namespace_does_not_reach_a_cached_render(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Left to itself, ``helm template`` renders ``.Release.Namespace`` as the namespace of the
    kubeconfig's current context, which the key does not hold: the release is always given its
    namespace (``$HELM_NAMESPACE``, else ``default``), so the render is the same whatever
    context is current, cached or not."""
    chart = _chart_with_dependency(tmp_path, "1.0.0")
    kubeconfig = tmp_path / "kubeconfig"
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
    monkeypatch.delenv("HELM_NAMESPACE", raising=False)
    cache = cache_options(tmp_path / "cache")
    for namespace in ("team-a", "team-b"):
        kubeconfig.write_text(
            "apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters: [{name: c, cluster: "
            "{server: 'https://127.0.0.1:1'}}]\nusers: [{name: u, user: {}}]\ncontexts: "
            f"[{{name: c, context: {{cluster: c, user: u, namespace: {namespace}}}}}]\n"
        )
        assert _config_maps(chart, cache)["app"] == {"namespace": "default"}
        assert _config_maps(chart, cache_options(None))["app"] == {"namespace": "default"}
    monkeypatch.setenv("HELM_NAMESPACE", "team-c")
    assert _config_maps(chart, cache)["app"] == {"namespace": "team-c"}
