"""Add-on charts whose version is not the add-on's: found through a real Helm repository (served
over HTTP from packaged charts, read by the real helm) and checked before the cluster changes.

The test repository numbers its charts like ingress-nginx does: chart 4.1.x carries the add-on
1.1.x. ``helm upgrade --version 1.1.0`` would find no such chart; kubecurrent must pick 4.1.1.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import subprocess
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
import yaml

from kubecurrent.catalog import Addon, load_catalog
from kubecurrent.errors import KubecurrentError
from kubecurrent.execute import AuditLog, HelmAddons, choose_chart, connect, read_audit
from kubecurrent.model.inventory import HelmRelease
from kubecurrent.sandbox._build import binary_path
from kubecurrent.sandbox._components import HELM
from tests.integration.conftest import SessionSandbox
from tests.integration.execute.conftest import CATALOG_EXTRA, CHARTS

# (chart version, app version) of every chart in the test repository.
REPOSITORY = [("4.0.0", "1.0.0"), ("4.1.0", "1.1.0"), ("4.1.1", "1.1.0"), ("4.2.0", "1.2.0")]


def _helm(*args: str) -> str:
    done = subprocess.run(
        [str(binary_path(HELM, "helm")), *args], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _chart(root: Path, name: str, version: str, app: str) -> Path:
    """A copy of the demo add-on chart, renamed and renumbered."""
    out = root / f"{name}-{version}"
    shutil.copytree(CHARTS / "demo-addon-1.0.0", out)
    meta = yaml.safe_load((out / "Chart.yaml").read_text())
    meta.update(name=name, version=version, appVersion=app)
    (out / "Chart.yaml").write_text(yaml.safe_dump(meta))
    return out


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """``testrepo``: the charts above, served over HTTP and added with ``helm repo add`` into a
    Helm home of this module's own (every helm here, kubecurrent's too, reads it)."""
    root = tmp_path_factory.mktemp("helm-repo")
    served, sources = root / "served", root / "sources"
    served.mkdir()
    sources.mkdir()
    for version, app in REPOSITORY:
        _helm("package", str(_chart(sources, "demo-addon", version, app)), "-d", str(served))
    handler = functools.partial(_Quiet, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    _helm("repo", "index", str(served), "--url", url)
    with pytest.MonkeyPatch.context() as env:
        for var, sub in (
            ("HELM_CONFIG_HOME", "config"),
            ("HELM_CACHE_HOME", "cache"),
            ("HELM_DATA_HOME", "data"),
            ("HELM_REPOSITORY_CONFIG", "config/repositories.yaml"),
            ("HELM_REPOSITORY_CACHE", "cache/repository"),
        ):
            env.setenv(var, str(root / "home" / sub))
        _helm("repo", "add", "testrepo", url)
        yield sources
    server.shutdown()
    thread.join()


@pytest.fixture(scope="module")
def addon() -> Addon:
    entry = load_catalog([CATALOG_EXTRA]).addon("demo-addon")
    assert entry is not None
    return entry


def release(chart_version: str, chart: str = "demo-addon") -> HelmRelease:
    return HelmRelease(
        name="agent",
        namespace="charts",
        revision=1,
        status="deployed",
        chart=chart,
        chart_version=chart_version,
        app_version="1.0.0",
    )


def show(args: Sequence[str], operands: Sequence[str]) -> str:
    return _helm(*args, "--", *operands)


def test_the_chart_carrying_the_planned_version_is_found_in_the_repository(
    repo: Path, addon: Addon
) -> None:
    exact = choose_chart(show, addon, release("4.0.0"), "testrepo/demo-addon", "1.1.0")
    # Two charts carry 1.1.0: the newer chart revision wins.
    assert (exact.ref, exact.flags) == ("testrepo/demo-addon", ("--version=4.1.1",))
    assert (exact.name, exact.version, exact.carries) == ("demo-addon", "4.1.1", "1.1.0")

    # A patch the repository does not have: the newest chart of the planned line, said so.
    newest = choose_chart(show, addon, release("4.0.0"), "testrepo/demo-addon", "1.1.3")
    assert newest.version == "4.1.1"
    assert "1.1.3 is not in testrepo/demo-addon" in newest.how


def test_wrong_or_missing_charts_stop_before_anything_changes(repo: Path, addon: Addon) -> None:
    with pytest.raises(KubecurrentError) as none:
        choose_chart(show, addon, release("4.0.0"), "testrepo/demo-addon", "1.3.0")
    assert "no testrepo/demo-addon chart carries demo-addon 1.3.0" in none.value.message
    assert "1.0.0, 1.1.0, 1.2.0" in none.value.message

    with pytest.raises(KubecurrentError) as backwards:
        choose_chart(show, addon, release("4.2.0"), "testrepo/demo-addon", "1.1.0")
    assert "runs chart demo-addon 4.2.0" in backwards.value.message
    assert "backwards" in backwards.value.message

    other = _chart(repo, "other-agent", "1.1.0", "1.1.0")
    with pytest.raises(KubecurrentError) as wrong:
        template = str(other).replace("1.1.0", "{version}")
        choose_chart(show, addon, release("4.0.0"), template, "1.1.0")
    assert "is chart 'other-agent'" in wrong.value.message
    assert "runs chart 'demo-addon'" in wrong.value.message

    renumbered = _chart(repo, "demo-addon", "9.9.9", "0.5.0")
    with pytest.raises(KubecurrentError) as stale:
        choose_chart(show, addon, release("4.0.0"), str(renumbered), "1.1.0")
    assert "demo-addon 9.9.9 (appVersion 0.5.0) does not carry demo-addon 1.1" in (
        stale.value.message
    )

    with pytest.raises(KubecurrentError) as unknown:
        choose_chart(show, addon, release("4.0.0"), "nope/demo-addon", "1.1.0")
    assert "no chart nope/demo-addon in the local Helm repositories" in unknown.value.message
    assert "helm repo add nope" in (unknown.value.hint or "")


def test_a_release_installed_from_the_repository_is_upgraded_to_the_right_chart(
    repo: Path, addon: Addon, cluster: SessionSandbox, tmp_path: Path
) -> None:
    kubeconfig = str(cluster.kubeconfig)
    _helm(
        "install", "agent", "testrepo/demo-addon", "--version", "4.0.0", "-n", "charts",
        "--create-namespace", "--set", "greeting=kept", "--kubeconfig", kubeconfig,
        "--wait", "--timeout", "90s",
    )  # fmt: skip
    audit = AuditLog(tmp_path / "audit.jsonl", cluster="shared")
    helm = HelmAddons(
        binary_path(HELM, "helm"),
        connect(cluster.kubeconfig, None),
        cluster.kubeconfig,
        None,
        {"demo-addon": "testrepo/demo-addon"},
        audit,
        timeout=90,
    )
    try:
        helm.upgrade(release("4.0.0"), addon, "1.1.0")
        listed = yaml.safe_load(
            _helm("list", "-n", "charts", "-o", "yaml", "--kubeconfig", kubeconfig)
        )
        values = yaml.safe_load(
            _helm(
                "get", "values", "agent", "-n", "charts", "-o", "yaml", "--kubeconfig", kubeconfig
            )
        )
    finally:
        _helm("uninstall", "agent", "-n", "charts", "--kubeconfig", kubeconfig)
    assert [(r["chart"], r["app_version"]) for r in listed] == [("demo-addon-4.1.1", "1.1.0")]
    assert values == {"greeting": "kept"}  # the release's own values went along
    [record] = [r for r in read_audit(audit.path) if r["action"] == "helm.upgrade"]
    assert (record["before"], record["after"]) == ("4.0.0", "4.1.1")
    assert "chart demo-addon 4.1.1 (carries 1.1.0" in record["detail"]
