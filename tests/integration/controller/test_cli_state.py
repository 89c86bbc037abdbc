"""`kubecurrent rollout … --state k8s://CONTEXT/NAMESPACE` reads and changes a rollout kept in
custom resources, as it does one kept in a SQLite file."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys

import pytest
from lightkube import KubeConfig

from kubecurrent.kubestate import KubeStore, install_crds
from kubecurrent.rollout import (
    ClusterRef,
    RolloutState,
    Strategy,
    create,
)
from tests.integration.conftest import SessionSandbox, guard

pytestmark = pytest.mark.integration


def test_status_and_pause_through_a_management_cluster(
    cluster: SessionSandbox, namespace: str
) -> None:
    install_crds(cluster.client(), "kubecurrent-tests")
    store = KubeStore(cluster.client(), namespace, f"k8s://sandbox/{namespace}")
    rid = create(
        store,
        clusters=[ClusterRef("eu-1"), ClusterRef("eu-2")],
        target="1.37",
        strategy=Strategy.model_validate({"waves": [{"name": "all"}]}),
        fleet="fleet.yaml",
        actor="ann",
        now=dt.datetime.now(dt.UTC),
    )
    guard(cluster, cluster.kubeconfig)
    context = KubeConfig.from_file(cluster.kubeconfig).current_context
    state = f"k8s://{context}/{namespace}"
    env = {**os.environ, "KUBECONFIG": str(cluster.kubeconfig)}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "kubecurrent", "rollout", *args, "--state", state],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )

    shown = cli("status", rid, "-o", "json")
    assert shown.returncode == 0, shown.stderr
    body = json.loads(shown.stdout)
    assert "eu-1" in shown.stdout and "eu-2" in shown.stdout and rid in json.dumps(body)
    paused = cli("pause", rid)
    assert paused.returncode == 0, paused.stderr
    assert store.rollout(rid).state is RolloutState.PAUSED  # nobody drives it: paused at once
    missing = cli("status", "r-nope")
    assert missing.returncode == 2 and "no rollout 'r-nope'" in missing.stderr

    # The global --kubeconfig reaches the management cluster too (KUBECONFIG names nothing).
    flagged = subprocess.run(
        [sys.executable, "-m", "kubecurrent", "--kubeconfig", str(cluster.kubeconfig),
         "-o", "json", "rollout", "status", rid, "--state", state],
        capture_output=True, text=True, timeout=120, check=False,
        env={k: v for k, v in os.environ.items() if k != "KUBECONFIG"},
    )  # fmt: skip
    assert flagged.returncode == 0, flagged.stderr
    assert json.loads(flagged.stdout)["state"] == "paused"
