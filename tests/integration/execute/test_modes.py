"""``kubecurrent upgrade`` in its two non-executing modes, against the shared sandbox.

kubeadm: nodes labelled as control plane and workers (kwok nodes created here) and a
``kube-system/kubeadm-config`` ConfigMap; the runbook must list every node in order with the
exact commands. GitOps: a real git repository with a Flux HelmRelease and an Argo CD
Application; the add-on step commits, and ``FakeGitOpsController`` — a test double standing in
for Argo CD/Flux, which cannot run here — watches the branch and runs the real ``helm upgrade``
to the committed version, which the executor then waits for and verifies.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from lightkube import codecs
from lightkube.core.exceptions import ApiError
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.core_v1 import ConfigMap, Node

from kubecurrent import sandbox as sb
from kubecurrent.execute import connect, read_audit
from kubecurrent.execute.kubeadm import is_kubeadm
from kubecurrent.sandbox import POOL_LABEL
from kubecurrent.sandbox._nodes import node_manifest
from tests.integration.conftest import SessionSandbox
from tests.integration.execute.conftest import CATALOG_EXTRA, CHARTS, helm


def run_cli(
    box: SessionSandbox, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "kubecurrent", "--kubeconfig", str(box.kubeconfig), *args]
    return subprocess.run(
        cmd, capture_output=True, text=True, timeout=600, env={**os.environ, **(env or {})}
    )


def kwok_node(name: str, kubelet: str, labels: dict[str, str]) -> Node:
    """A kwok node from the sandbox's own helper, renamed and relabelled."""
    doc = node_manifest(sb.parse_pool(f"{name}=1@{kubelet}", kubelet), 0)
    doc["metadata"]["name"] = name
    doc["metadata"]["labels"] = {"kubernetes.io/hostname": name, "type": "kwok", **labels}
    doc["status"]["nodeInfo"]["osImage"] = "Ubuntu 24.04.1 LTS"
    return codecs.from_dict(doc)


@pytest.fixture
def kubeadm_cluster(cluster: SessionSandbox) -> Iterator[SessionSandbox]:
    client = cluster.client()
    cp = {"node-role.kubernetes.io/control-plane": ""}
    nodes = [
        kwok_node("kc-cp-1", "v1.36.3", cp),
        kwok_node("kc-cp-0", "v1.36.3", cp),
        kwok_node("kc-w-0", "v1.35.4", {POOL_LABEL: "kc-workers"}),
        kwok_node("kc-w-1", "v1.35.4", {POOL_LABEL: "kc-workers"}),
    ]
    config = ConfigMap(
        metadata=ObjectMeta(name="kubeadm-config", namespace="kube-system"),
        data={"ClusterConfiguration": "kubernetesVersion: v1.36.3\n"},
    )
    try:
        for node in nodes:
            client.create(node)
        client.create(config)
        yield cluster
    finally:
        for node in nodes:
            with contextlib.suppress(ApiError):
                client.delete(Node, node.metadata.name)
        with contextlib.suppress(ApiError):
            client.delete(ConfigMap, "kubeadm-config", namespace="kube-system")


def test_kubeadm_runbook_lists_every_node_in_order_with_exact_commands(
    kubeadm_cluster: SessionSandbox,
) -> None:
    box = kubeadm_cluster
    kube = connect(box.kubeconfig, None)
    assert is_kubeadm(kube)

    done = run_cli(
        box,
        "-o",
        "json",
        "upgrade",
        "--provider",
        "kubeadm",
        "--target",
        "1.37",
        "--today",
        "2026-11-25",
    )
    assert done.returncode == 0, done.stderr
    book = json.loads(done.stdout)
    order = [(s["type"], n["node"], n["role"]) for s in book["stages"] for n in s["nodes"]]
    assert order[:2] == [
        ("control-plane", "kc-cp-0", "first-control-plane"),
        ("control-plane", "kc-cp-1", "control-plane"),
    ]
    workers = [(node, role) for kind, node, role in order[2:]]
    assert ("kc-w-0", "worker") in workers and ("kc-w-1", "worker") in workers
    assert workers.index(("kc-w-0", "worker")) + 1 == workers.index(("kc-w-1", "worker"))
    first = book["stages"][[s["type"] for s in book["stages"]].index("control-plane")]["nodes"][0]
    runs = [c["run"] for c in first["commands"]]
    assert runs.index("sudo kubeadm upgrade plan") < runs.index(
        "sudo kubeadm upgrade apply v1.37.2"
    )
    assert runs.index("sudo kubeadm upgrade apply v1.37.2") < runs.index(
        "kubectl drain kc-cp-0 --ignore-daemonsets --delete-emptydir-data"
    )
    assert runs[-3] == "kubectl uncordon kc-cp-0"
    worker = next(n for s in book["stages"] for n in s["nodes"] if n["node"] == "kc-w-1")
    assert (worker["from"], worker["to"]) == ("1.35.4", "1.37.2")
    assert [c["run"] for c in worker["commands"]].count("sudo kubeadm upgrade node") == 2
    assert (
        "sudo apt-mark unhold kubeadm && sudo apt-get update && sudo apt-get install -y "
        "kubeadm='1.36.3-1.1' && sudo apt-mark hold kubeadm"
    ) in [c["run"] for c in worker["commands"]]

    markdown = run_cli(
        box, "upgrade", "--provider", "kubeadm", "--target", "1.37", "--today", "2026-11-25"
    )
    assert markdown.returncode == 0, markdown.stderr
    assert markdown.stdout.startswith("# kubeadm runbook: ")
    assert "### 1. kc-cp-0 (first control-plane node, pool control-plane)" in markdown.stdout
    # nothing was executed: the nodes still report their old kubelets
    client = box.client()
    assert client.get(Node, "kc-w-0").status.nodeInfo.kubeletVersion == "v1.35.4"


@dataclass
class FakeGitOpsController:
    """Test double for Argo CD/Flux: when the branch gets a commit, sync the HelmRelease's
    version with the real ``helm upgrade`` (charts from tests/fixtures/charts)."""

    box: SessionSandbox
    repo: Path
    branch: str
    namespace: str
    synced: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def __enter__(self) -> FakeGitOpsController:
        self._seen = self._tip()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _tip(self) -> str:
        done = subprocess.run(
            ["git", "rev-parse", "--verify", "--quiet", f"refs/heads/{self.branch}"],
            cwd=self.repo,
            capture_output=True,
            text=True,
        )
        return done.stdout.strip()

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            tip = self._tip()
            if not tip or tip == self._seen:
                continue
            self._seen = tip
            text = subprocess.run(
                ["git", "show", f"{tip}:flux/demo.yaml"],
                cwd=self.repo,
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            version = yaml.safe_load(text)["spec"]["chart"]["spec"]["version"]
            helm(
                self.box,
                "upgrade",
                "demo",
                str(CHARTS / f"demo-addon-{version}"),
                "-n",
                self.namespace,
                "--reuse-values",
                "--wait",
                "--timeout",
                "60s",
            )
            self.synced.append(version)


def test_gitops_upgrade_commits_the_step_and_waits_for_the_controller(
    cluster: SessionSandbox, namespace: str, tmp_path: Path
) -> None:
    helm(
        cluster,
        "install",
        "demo",
        str(CHARTS / "demo-addon-1.0.0"),
        "-n",
        namespace,
        "--wait",
        "--timeout",
        "60s",
    )
    repo = tmp_path / "gitops"
    (repo / "flux").mkdir(parents=True)
    (repo / "flux" / "demo.yaml").write_text(
        "# the demo add-on, synced by Flux\napiVersion: helm.toolkit.fluxcd.io/v2\n"
        f"kind: HelmRelease\nmetadata:\n  name: demo\n  namespace: {namespace}\nspec:\n"
        '  chart:\n    spec:\n      chart: demo-addon\n      version: "1.0.0"  # pinned\n'
        "      sourceRef: {kind: HelmRepository, name: demo}\n"
    )
    gitconfig = tmp_path / "gitconfig"
    gitconfig.write_text("[user]\n\tname = Ada Ops\n\temail = ada@example.com\n")
    env = {"GIT_CONFIG_GLOBAL": str(gitconfig), "GIT_CONFIG_NOSYSTEM": "1"}
    for args in (["init", "-q", "-b", "main"], ["add", "."], ["commit", "-qm", "demo"]):
        subprocess.run(["git", *args], cwd=repo, check=True, env={**os.environ, **env})
    plan = tmp_path / "plan.json"
    plan.write_text(
        json.dumps(
            {
                "clusters": [
                    {
                        "name": "shared",
                        "status": "ok",
                        "from": "1.36.3",
                        "target": "1.37",
                        "steps": [
                            {
                                "order": 1,
                                "type": "addon",
                                "target": "demo-addon",
                                "from": "1.0.0",
                                "to": "1.1.0",
                                "why": "1.0 stops at 1.36",
                                "without": "x",
                                "hop": 0,
                            }
                        ],
                    }
                ]
            }
        )
    )
    audit = tmp_path / "audit.jsonl"
    branch = "kubecurrent/upgrade-shared-1.37"

    with FakeGitOpsController(cluster, repo, branch, namespace) as controller:
        done = run_cli(
            cluster,
            "upgrade",
            "--yes",
            "--provider",
            "none",
            "--plan",
            str(plan),
            "--catalog-extra",
            str(CATALOG_EXTRA),
            "--gitops-repo",
            str(repo),
            "--gitops-sync-timeout",
            "120",
            "--audit-log",
            str(audit),
            "--today",
            "2026-11-25",
            env=env,
        )
    assert done.returncode == 0, done.stdout + done.stderr
    assert controller.synced == ["1.1.0"]
    log = subprocess.run(
        ["git", "log", "--format=%s", f"main..{branch}"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert log == "demo-addon: 1.0.0 → 1.1.0 (kubecurrent plan step 1)\n"
    shown = subprocess.run(
        ["git", "show", f"{branch}:flux/demo.yaml"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert shown == (repo / "flux" / "demo.yaml").read_text().replace('"1.0.0"', '"1.1.0"')
    releases = json.loads(helm(cluster, "list", "-n", namespace, "-o", "json"))
    assert [r["chart"] for r in releases] == ["demo-addon-1.1.0"]
    actions = [r["action"] for r in read_audit(audit)]
    assert "gitops.commit" in actions and "helm.upgrade" not in actions
    assert actions[-1] == "upgrade.end"
