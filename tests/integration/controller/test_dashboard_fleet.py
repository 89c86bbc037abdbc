"""`kubecurrent serve --state k8s://CONTEXT/NAMESPACE` given no clusters of its own (as in its
pod): the Fleet page is the namespace's MemberClusters, collected through the kubeconfigs in
their Secrets — here a real member sandbox (the session's) — and a member whose Secret is
missing is a row saying so; a rollout started from the Upgrade API is recorded in the custom
resources, for the controller to drive."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from lightkube import KubeConfig
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.core_v1 import Secret

from kubecurrent.kubestate import KubeStore, MemberCluster, install_crds
from kubecurrent.web import hash_password
from tests.integration.conftest import SessionSandbox, guard, wait_for
from tests.integration.controller.test_dashboard_state import VIEWER, _free_port, _up

pytestmark = pytest.mark.integration

TOKEN = "op-" + uuid.uuid4().hex
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def members(cluster: SessionSandbox, namespace: str) -> None:
    admin = cluster.client()
    install_crds(admin, "kubecurrent-tests")
    admin.create(
        Secret(
            metadata=ObjectMeta(name="eu-kc", namespace=namespace),
            stringData={"kubeconfig": cluster.kubeconfig.read_text()},
        )
    )
    for name in ("eu", "lost"):
        admin.create(
            MemberCluster(
                metadata=ObjectMeta(name=name, namespace=namespace, labels={"env": "dev"}),
                spec={"kubeconfigSecretRef": {"name": f"{name}-kc"}, "timeoutSeconds": 20},
            )
        )


@pytest.fixture
def dashboard(
    cluster: SessionSandbox, namespace: str, tmp_path: Path, members: None
) -> Iterator[str]:
    """``kubecurrent serve --state k8s://CONTEXT/NAMESPACE`` as a process, no --context."""
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


def _clusters(url: str) -> dict[str, Any]:
    reply = httpx.get(f"{url}/api/clusters", headers=AUTH, timeout=30)
    assert reply.status_code == 200, reply.text
    body: dict[str, Any] = reply.json()
    return body


def test_the_fleet_page_in_a_pod_is_the_namespaces_member_clusters(
    cluster: SessionSandbox, namespace: str, dashboard: str
) -> None:
    wait_for(lambda: _clusters(dashboard)["collectedAt"] is not None, "a collection", 120)
    rows = {r["name"]: r for r in _clusters(dashboard)["clusters"]}
    assert set(rows) == {"eu", "lost"}
    assert str(rows["eu"]["version"]).startswith("v1.36."), rows["eu"]
    assert rows["eu"]["error"] is None and rows["eu"]["labels"] == {"env": "dev"}
    assert "Secret lost-kc (key kubeconfig) is not in namespace" in rows["lost"]["error"]
    with httpx.Client(base_url=dashboard, timeout=30) as browser:
        form = browser.get("/login").text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert csrf is not None
        user, password = VIEWER
        browser.post("/login", data={"username": user, "password": password, "csrf_token": csrf[1]})
        page = browser.get("/")
    assert page.status_code == 200, page.text
    assert ">eu<" in page.text.replace(" ", "") and "v1.36." in page.text

    started = httpx.post(
        f"{dashboard}/api/rollouts",
        headers=AUTH,
        json={"clusters": ["eu"], "target": "1.37", "strategy": {"waves": [{"name": "all"}]}},
        timeout=60,
    )
    assert started.status_code == 201, started.text
    rid = started.json()["id"]
    store = KubeStore(cluster.client(), namespace, f"k8s://sandbox/{namespace}")
    rollout = store.rollout(rid)
    assert rollout.target.removeprefix("v").startswith("1.37")
    assert rollout.fleet == f"MemberClusters of {namespace}"
    assert [c.name for c in store.clusters(rid)] == ["eu"]  # the controller drives it from here
