"""`kubectl kubecurrent`: the plugin executable, found on PATH as kubectl finds it, approves and
shows a rollout kept in the custom resources of the current context and namespace."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from lightkube import KubeConfig

from kubecurrent import sandbox as sb
from kubecurrent.kubestate import KubeStore, install_crds
from kubecurrent.rollout import ClusterRef, RolloutState, Strategy, create
from tests.integration.conftest import SessionSandbox, guard, start_sandbox

pytestmark = pytest.mark.integration

PLUGIN = "kubectl-kubecurrent"


def plugin(*args: str, kubeconfig: Path) -> subprocess.CompletedProcess[str]:
    """Run the plugin by its name through PATH (the console script beside this Python)."""
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    env = {**os.environ, "PATH": path, "KUBECONFIG": str(kubeconfig)}
    return subprocess.run(
        [PLUGIN, *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )


def in_namespace(box: SessionSandbox, namespace: str) -> Path:
    """A copy of the sandbox's kubeconfig whose current context names ``namespace``."""
    config = yaml.safe_load(box.kubeconfig.read_text())
    current = config["current-context"]
    for entry in config["contexts"]:
        if entry["name"] == current:
            entry["context"]["namespace"] = namespace
    copy = box.home / f"kubeconfig-{namespace}"
    copy.write_text(yaml.safe_dump(config))
    guard(box, copy)
    return copy


@pytest.fixture
def recorded(cluster: SessionSandbox, namespace: str) -> tuple[KubeStore, str]:
    install_crds(cluster.client(), "kubecurrent-tests")
    store = KubeStore(cluster.client(), namespace, f"k8s://sandbox/{namespace}")
    rid = create(
        store,
        clusters=[ClusterRef("eu-1"), ClusterRef("eu-2")],
        target="1.37",
        strategy=Strategy.model_validate(
            {"waves": [{"name": "canary", "count": 1}, {"name": "rest", "approval": True}]}
        ),
        fleet="fleet.yaml",
        actor="ann",
        now=dt.datetime.now(dt.UTC),
    )
    return store, rid


def test_the_plugin_approves_and_shows_a_rollout_of_the_current_namespace(
    cluster: SessionSandbox, namespace: str, recorded: tuple[KubeStore, str]
) -> None:
    store, rid = recorded
    here = in_namespace(cluster, namespace)

    approved = plugin(
        "approve", rid, "--wave", "rest", "--note", "CAB-1", "--no-resume", "--as", "bob",
        kubeconfig=here,
    )  # fmt: skip
    assert approved.returncode == 0, approved.stderr
    assert f"{rid}: wave rest approved by bob" in approved.stdout
    rest = next(w for w in store.waves(rid) if w.name == "rest")
    assert rest.approved_by == "bob"

    shown = plugin("status", rid, "-o", "json", kubeconfig=here)
    assert shown.returncode == 0, shown.stderr
    body = json.loads(shown.stdout)
    assert body["id"] == rid
    assert [w["name"] for w in body["waves"]] == ["canary", "rest"]
    assert sorted(c["name"] for w in body["waves"] for c in w["clusters"]) == ["eu-1", "eu-2"]

    paused = plugin("pause", rid, kubeconfig=here)
    assert paused.returncode == 0, paused.stderr
    assert store.rollout(rid).state is RolloutState.PAUSED


def test_namespace_context_and_kubeconfig_flags_choose_where_it_acts(
    cluster: SessionSandbox, namespace: str, recorded: tuple[KubeStore, str]
) -> None:
    _, rid = recorded
    context = KubeConfig.from_file(cluster.kubeconfig).current_context
    nowhere = cluster.home / "no-kubeconfig-here"

    flagged = plugin(
        "status", "-o", "json", f"--context={context}", "-n", namespace,
        "--kubeconfig", str(cluster.kubeconfig), kubeconfig=nowhere,
    )  # fmt: skip
    assert flagged.returncode == 0, flagged.stderr
    assert json.loads(flagged.stdout)["id"] == rid  # the newest rollout of that namespace

    elsewhere = plugin("status", kubeconfig=in_namespace(cluster, "kube-public"))
    assert elsewhere.returncode == 2
    assert "no rollouts in k8s:///kube-public" in elsewhere.stderr

    report = plugin("report", rid, "--kubeconfig", str(cluster.kubeconfig), f"-n{namespace}",
                    kubeconfig=nowhere)  # fmt: skip
    assert report.returncode == 0, report.stderr
    assert rid in report.stdout and "eu-1" in report.stdout


@pytest.fixture
def bare(sandbox_home: Path) -> Iterator[SessionSandbox]:
    """A sandbox on which kubecurrent's CRDs were never installed."""
    box = start_sandbox(sandbox_home, "nocrds", pools=("default=1",))
    yield box
    sb.down(box.name)


def test_a_cluster_without_the_crds_is_refused_naming_the_install_step(
    bare: SessionSandbox,
) -> None:
    guard(bare, bare.kubeconfig)
    refused = plugin("status", "-n", "fleet", kubeconfig=bare.kubeconfig)
    assert refused.returncode == 1
    assert "has no kubecurrent resources" in refused.stderr
    assert "namespace fleet holds no rollouts" in refused.stderr
    assert "kubectl apply --server-side -f deploy/chart/crds/" in refused.stderr
    assert "Traceback" not in refused.stderr
