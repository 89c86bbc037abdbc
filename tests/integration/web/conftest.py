"""The dashboard in a real browser against a real sandbox.

The server is the real command (``kubecurrent serve``) in a subprocess on a free loopback port,
reading a fleet file with the session's shared sandbox and one cluster whose context does not
exist (so it is "not collected", without touching any network). The browser is Debian's
chromium (``/usr/bin/chromium``, installed by ``scripts/bootstrap``) driven by Playwright.

Screenshots go to ``$KUBECURRENT_SCREENSHOTS`` or a session temporary directory; the directory is
printed at the end of the run.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from lightkube.generic_resource import create_namespaced_resource
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.apiextensions_v1 import CustomResourceDefinition
from lightkube.resources.core_v1 import Namespace, Secret
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from kubecurrent.collect.cluster import kubeconfig_contexts
from kubecurrent.sandbox._build import binary_path
from kubecurrent.sandbox._components import HELM
from kubecurrent.web import hash_password
from tests.integration.conftest import SessionSandbox, guard, wait_for

CHROMIUM = Path(os.environ.get("KUBECURRENT_CHROMIUM", "/usr/bin/chromium"))
CHARTS = Path(__file__).parents[2] / "fixtures" / "charts"
SENTINEL = "kc-secret-sentinel-5f1b7c"
"""Written into a Helm release's values and a Secret: must never appear in any page."""
OPERATOR = ("olga", "olga-password-1")
VIEWER = ("vince", "vince-password-1")
OPERATOR_TOKEN = "op-" + uuid.uuid4().hex
VIEWER_TOKEN = "view-" + uuid.uuid4().hex
_SHOTS = pytest.StashKey[Path]()


@dataclass(frozen=True)
class Dashboard:
    url: str
    audit_log: Path
    namespace: str
    widget_group: str
    log: Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _crd(group: str) -> dict[str, Any]:
    schema = {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}
    version = {"served": True, "schema": schema}
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"widgets.{group}"},
        "spec": {
            "group": group,
            "scope": "Namespaced",
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
            "versions": [
                {"name": "v1alpha1", "storage": False, "deprecated": True, **version},
                {"name": "v1", "storage": True, **version},
            ],
        },
    }


def _established(box: SessionSandbox, name: str) -> bool:
    crd = box.client().get(CustomResourceDefinition, name)
    conditions = (crd.status.conditions or []) if crd.status else []
    return any(c.type == "Established" and c.status == "True" for c in conditions)


def _populate(box: SessionSandbox, namespace: str, group: str) -> None:
    """A widget written through a deprecated CRD version by ``old-widget-client``, a Helm
    release with the sentinel in its values, and a Secret holding the sentinel."""
    client = box.client()
    client.create(Namespace(metadata=ObjectMeta(name=namespace)))
    client.create(CustomResourceDefinition.from_dict(_crd(group)))
    wait_for(lambda: _established(box, f"widgets.{group}"), "CRD established", timeout=30)
    widget = create_namespaced_resource(group, "v1alpha1", "Widget", "widgets")
    client.create(
        widget(metadata=ObjectMeta(name="w1", namespace=namespace), spec={"size": 1}),  # type: ignore[call-arg]
        field_manager="old-widget-client",
    )
    client.create(
        Secret(
            metadata=ObjectMeta(name="db-password", namespace=namespace),
            stringData={"password": SENTINEL},
        )
    )
    subprocess.run(
        [
            str(binary_path(HELM, "helm")),
            "install",
            "demo",
            str(CHARTS / "demo-addon-1.0.0"),
            "--namespace",
            namespace,
            "--kubeconfig",
            str(box.kubeconfig),
            "--set",
            f"adminPassword={SENTINEL}",
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Path:
    given = os.environ.get("KUBECURRENT_SCREENSHOTS")
    path = Path(given) if given else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    request.config.stash[_SHOTS] = path
    return path


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    path = config.stash.get(_SHOTS, None)
    if path is not None:
        shots = sorted(p.name for p in path.glob("*.png"))
        terminalreporter.write_line(f"dashboard screenshots in {path}: {', '.join(shots)}")


@pytest.fixture(scope="module")
def dashboard(
    cluster: SessionSandbox, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Dashboard]:
    guard(cluster, cluster.kubeconfig)
    namespace, group = f"web-{uuid.uuid4().hex[:6]}", f"w{uuid.uuid4().hex[:6]}.example.com"
    _populate(cluster, namespace, group)
    work = tmp_path_factory.mktemp("dashboard")
    _, context = kubeconfig_contexts(cluster.kubeconfig)
    fleet = {
        "defaults": {"kubeconfig": str(cluster.kubeconfig), "timeout": 60},
        "clusters": [
            {"name": "shared", "context": context, "labels": {"env": "test", "region": "local"}},
            {"name": "missing", "context": "no-such-context", "labels": {"env": "prod"}},
        ],
    }
    (work / "fleet.yaml").write_text(yaml.safe_dump(fleet), encoding="utf-8")
    write_users(work / "users.yaml")
    args = ["--fleet", str(work / "fleet.yaml"), "--users", str(work / "users.yaml")]
    args += ["--state", str(work / "rollouts.db")]
    with run_serve(work, args) as (url, log):
        try:
            yield Dashboard(url, work / "audit.jsonl", namespace, group, log)
        finally:
            with contextlib.suppress(Exception):
                cluster.client().delete(Namespace, namespace)
                cluster.client().delete(CustomResourceDefinition, f"widgets.{group}")


def write_users(path: Path) -> Path:
    users = {
        "users": [
            {"name": OPERATOR[0], "role": "operator", "passwordHash": hash_password(OPERATOR[1])},
            {"name": VIEWER[0], "role": "viewer", "passwordHash": hash_password(VIEWER[1])},
        ]
    }
    path.write_text(yaml.safe_dump(users), encoding="utf-8")
    return path


@contextlib.contextmanager
def run_serve(
    work: Path,
    args: list[str],
    environ: Mapping[str, str] | None = None,
    *,
    port: int | None = None,
    env: Mapping[str, str] | None = None,
) -> Iterator[tuple[str, Path]]:
    """``kubecurrent serve ARGS`` on ``port`` (a free loopback port by default) with the test
    tokens, until the fleet is collected; stopped with SIGTERM (as a service manager does)
    afterwards. ``environ`` replaces the test session's environment (e.g. one pointing the cloud
    SDKs at doubles); ``env`` adds to it."""
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    env = (
        dict(os.environ if environ is None else environ)
        | dict(env or {})
        | {
            "KUBECURRENT_SERVE_OPERATOR_TOKEN": OPERATOR_TOKEN,
            "KUBECURRENT_SERVE_VIEWER_TOKEN": VIEWER_TOKEN,
        }
    )
    listen = ["--listen", f"127.0.0.1:{port}", "--audit-log", str(work / "audit.jsonl")]
    log = work / "serve.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-c", "from kubecurrent.cli import main; main()", "serve", *args,
             *listen],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        _wait_collected(url, server, log)
        yield url, log
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _wait_collected(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 120
    headers = {"Authorization": f"Bearer {VIEWER_TOKEN}"}
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"kubecurrent serve exited {server.returncode}:\n{log.read_text()}")
        with contextlib.suppress(httpx.HTTPError):
            data = httpx.get(f"{url}/api/clusters", headers=headers, timeout=5).json()
            if data.get("collectedAt"):
                return
        time.sleep(0.2)
    pytest.fail(f"the dashboard did not collect the fleet in 120s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/bootstrap (installs Debian's chromium)")
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def context(browser: Browser, dashboard: Dashboard) -> Iterator[BrowserContext]:
    ctx = browser.new_context(base_url=dashboard.url, viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(15_000)
    yield ctx
    ctx.close()


def log_in(page: Page, user: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("User name").fill(user)
    page.get_by_label("Password or token").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/")


def csrf(page: Page) -> str:
    value = page.locator('input[name="csrf_token"]').first.get_attribute("value")
    assert value
    return value


def shot(page: Page, directory: Path, name: str) -> Path:
    path = directory / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def keep_for_docs(source: Path, target: Path) -> None:
    """Refresh a committed screenshot when asked (``KUBECURRENT_UPDATE_DOCS_SCREENSHOT=1``)."""
    if os.environ.get("KUBECURRENT_UPDATE_DOCS_SCREENSHOT") == "1":
        shutil.copyfile(source, target)
