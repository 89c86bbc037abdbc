"""`kubecurrent serve --state k8s://CONTEXT/NAMESPACE`: the dashboard shows a rollout kept in a
management cluster's custom resources, and an approval given through its API is recorded in the
FleetUpgrade's status."""

from __future__ import annotations

import datetime as dt
import os
import re
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from lightkube import KubeConfig

from kubecurrent.kubestate import FleetUpgrade, KubeStore, install_crds
from kubecurrent.rollout import ClusterRef, Strategy, create
from kubecurrent.web import hash_password
from tests.integration.conftest import SessionSandbox, guard, wait_for

pytestmark = pytest.mark.integration

TOKEN = "op-" + uuid.uuid4().hex
VIEWER = ("vince", "vince-password-1")
STRATEGY = {
    "waves": [
        {"name": "canary", "select": {"env": "dev"}, "count": 1},
        {"name": "rest", "approval": True},
    ]
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _up(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=2).status_code < 500
    except httpx.HTTPError:
        return False


@pytest.fixture
def recorded(cluster: SessionSandbox, namespace: str) -> str:
    """A rollout of three clusters (a canary, then a wave behind an approval) in the CRs."""
    install_crds(cluster.client(), "kubecurrent-tests")
    store = KubeStore(cluster.client(), namespace, f"k8s://sandbox/{namespace}")
    return create(
        store,
        clusters=[
            ClusterRef("dev-1", labels={"env": "dev"}),
            ClusterRef("prod-eu-1", labels={"env": "prod"}),
            ClusterRef("prod-us-1", labels={"env": "prod"}),
        ],
        target="1.37",
        strategy=Strategy.model_validate(STRATEGY),
        fleet="fleet.yaml",
        actor="ann",
        now=dt.datetime.now(dt.UTC),
    )


@pytest.fixture
def dashboard(cluster: SessionSandbox, namespace: str, tmp_path: Path) -> Iterator[str]:
    """``kubecurrent serve --state k8s://CONTEXT/NAMESPACE`` as a process on a free port."""
    guard(cluster, cluster.kubeconfig)
    context = KubeConfig.from_file(cluster.kubeconfig).current_context
    url = f"http://127.0.0.1:{_free_port()}"
    env = {
        **os.environ,
        "KUBECONFIG": str(cluster.kubeconfig),
        "KUBECURRENT_SERVE_OPERATOR_TOKEN": TOKEN,
    }
    users = tmp_path / "users.yaml"
    users.write_text(
        f"users:\n  - {{name: {VIEWER[0]}, role: viewer, "
        f"passwordHash: '{hash_password(VIEWER[1])}'}}\n"
    )
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kubecurrent",
                "serve",
                "--listen",
                url.removeprefix("http://"),
                "--context",
                str(context),
                "--state",
                f"k8s://{context}/{namespace}",
                "--users",
                str(users),
                "--audit-log",
                str(tmp_path / "audit.jsonl"),
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(
            lambda: proc.poll() is None and _up(url),
            f"the dashboard to start (log: {log.read_text() if log.exists() else ''})",
            timeout=90,
        )
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_the_dashboard_shows_and_approves_a_rollout_kept_in_custom_resources(
    cluster: SessionSandbox, namespace: str, recorded: str, dashboard: str
) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    listed = httpx.get(f"{dashboard}/api/rollouts", headers=auth, timeout=30)
    assert listed.status_code == 200, listed.text
    assert recorded in listed.text

    with httpx.Client(base_url=dashboard, timeout=30) as browser:
        form = browser.get("/login").text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert csrf is not None
        user, password = VIEWER
        browser.post("/login", data={"username": user, "password": password, "csrf_token": csrf[1]})
        page = browser.get(f"/rollouts/{recorded}")
    assert page.status_code == 200, page.text
    for shown_on_page in ("canary", "rest", "dev-1", "prod-eu-1", "prod-us-1", "1.37"):
        assert shown_on_page in page.text
    shown = httpx.get(f"{dashboard}/api/rollouts/{recorded}", headers=auth, timeout=30)
    assert shown.status_code == 200, shown.text
    body = shown.json()
    assert [w["name"] for w in body["waves"]] == ["canary", "rest"]
    by_wave = {w["name"]: sorted(c["name"] for c in w["clusters"]) for w in body["waves"]}
    assert by_wave == {"canary": ["dev-1"], "rest": ["prod-eu-1", "prod-us-1"]}

    approved = httpx.post(
        f"{dashboard}/api/rollouts/{recorded}/approve",
        headers=auth,
        json={"wave": "rest", "note": "CAB-42"},
        timeout=60,
    )
    assert approved.status_code == 200, approved.text
    fu = cluster.client().get(FleetUpgrade, recorded, namespace=namespace)
    waves = {w["name"]: w for w in fu.status["waves"]}
    assert waves["rest"]["approvers"] == ["operator-token"]
    assert "approvers" not in waves["canary"] or not waves["canary"]["approvers"]
