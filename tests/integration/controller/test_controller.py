"""The controller on a sandbox management cluster: a FleetUpgrade someone applies becomes a
rollout (a member without its Secret fails alone), specs that cannot be carried out are
flagged on the Accepted condition, edits do what docs/controller.md says, deletion removes the
per-cluster records, and `kubecurrent controller` serves health and metrics."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from lightkube import Client
from lightkube.core.exceptions import ApiError
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.coordination_v1 import Lease
from lightkube.resources.core_v1 import Secret
from lightkube.types import PatchType

from kubecurrent.controller import Controller, Coordinator, LeaseSettings
from kubecurrent.kubestate import (
    ClusterUpgrade,
    FleetUpgrade,
    KubeStore,
    MemberCluster,
    install_crds,
)
from kubecurrent.rollout import ClusterState, Request, RolloutState
from tests.integration.conftest import SessionSandbox, wait_for

pytestmark = pytest.mark.integration

MEMBERS = {"dev-1": "dev", "prod-1": "prod", "prod-2": "prod", "prod-3": "prod"}
STRATEGY = {
    "waves": [
        {"name": "canary", "select": {"env": "dev"}, "count": 1},
        {"name": "rest", "approval": True, "concurrency": 2},
    ]
}


@pytest.fixture
def fleet(cluster: SessionSandbox, namespace: str) -> Iterator[Client]:
    client = cluster.client()
    install_crds(client, "kubecurrent-tests")
    for name, env in MEMBERS.items():
        client.create(
            MemberCluster(
                metadata=ObjectMeta(name=name, namespace=namespace, labels={"env": env}),
                spec={"kubeconfigSecretRef": {"name": f"{name}-kc"}},
            )
        )
        if name != "prod-3":  # its Secret is missing
            client.create(
                Secret(
                    metadata=ObjectMeta(name=f"{name}-kc", namespace=namespace),
                    stringData={"kubeconfig": "x"},
                )
            )
    yield client


@pytest.fixture
def replica(fleet: Client, namespace: str) -> Controller:
    coordinator = Coordinator(fleet, "pod-a", LeaseSettings(namespace=namespace, shards=4))
    coordinator.step()  # alone: it leads
    return Controller(
        KubeStore(fleet, namespace, f"k8s://sandbox/{namespace}"), coordinator, "pod-a"
    )


def apply(client: Client, namespace: str, name: str, spec: dict[str, Any]) -> None:
    client.create(FleetUpgrade(metadata=ObjectMeta(name=name, namespace=namespace), spec=spec))


def accepted(client: Client, namespace: str, name: str) -> dict[str, Any]:
    obj = client.get(FleetUpgrade, name, namespace=namespace)
    (cond,) = [c for c in obj["status"]["conditions"] if c["type"] == "Accepted"]
    return dict(cond)


def test_an_applied_fleet_upgrade_becomes_a_rollout(
    fleet: Client, namespace: str, replica: Controller
) -> None:
    apply(fleet, namespace, "to-137", {"target": "1.37", "strategy": STRATEGY})
    replica.reconcile()
    store = replica.store
    assert store.rollout("to-137").state is RolloutState.PENDING
    assert [(w.name, w.approval) for w in store.waves("to-137")] == [
        ("canary", False),
        ("rest", True),
    ]
    states = {c.name: (c.wave, c.state) for c in store.clusters("to-137")}
    assert states == {
        "dev-1": (0, ClusterState.PENDING),
        "prod-1": (1, ClusterState.PENDING),
        "prod-2": (1, ClusterState.PENDING),
        "prod-3": (1, ClusterState.FAILED),
    }
    (lost,) = [c for c in store.clusters("to-137") if c.name == "prod-3"]
    assert "Secret prod-3-kc (key kubeconfig) is not in namespace" in lost.detail
    cond = accepted(fleet, namespace, "to-137")
    assert (cond["status"], cond["reason"]) == ("True", "Recorded")
    assert "prod-3" in cond["message"]
    replica.reconcile()  # a second round records nothing twice
    assert len(store.clusters("to-137")) == 4


def test_a_strategy_that_leaves_clusters_out_is_flagged_not_recorded(
    fleet: Client, namespace: str, replica: Controller
) -> None:
    apply(
        fleet,
        namespace,
        "partial",
        {"target": "1.37", "strategy": {"waves": [{"name": "dev", "select": {"env": "dev"}}]}},
    )
    replica.reconcile()
    cond = accepted(fleet, namespace, "partial")
    assert (cond["status"], cond["reason"]) == ("False", "InvalidStrategy")
    assert "no wave selects these clusters: prod-1, prod-2, prod-3" in cond["message"]
    assert [r.id for r in replica.store.rollouts()] == []


def test_no_matching_member_is_flagged(fleet: Client, namespace: str, replica: Controller) -> None:
    apply(
        fleet,
        namespace,
        "nobody",
        {"target": "1.37", "clusterSelector": {"matchLabels": {"env": "qa"}}},
    )
    replica.reconcile()
    cond = accepted(fleet, namespace, "nobody")
    assert cond["reason"] == "NoClusters" and "env=qa" in cond["message"]


def test_edits_mid_way(fleet: Client, namespace: str, replica: Controller) -> None:
    apply(fleet, namespace, "edit", {"target": "1.37", "strategy": STRATEGY})
    replica.reconcile()

    def patch(change: dict[str, Any]) -> None:
        fleet.patch(
            FleetUpgrade, "edit", {"spec": change}, namespace=namespace, patch_type=PatchType.MERGE
        )
        replica.reconcile()

    patch({"target": "1.38"})
    cond = accepted(fleet, namespace, "edit")
    assert (cond["status"], cond["reason"]) == ("False", "TargetChanged")
    assert replica.store.rollout("edit").target == "1.37"
    patch({"target": "1.37"})
    assert accepted(fleet, namespace, "edit")["status"] == "True"

    waves = [dict(STRATEGY["waves"][0]), {**STRATEGY["waves"][1], "concurrency": 3}]
    patch({"strategy": {"waves": waves}})
    assert replica.store.rollout("edit").strategy.waves[1].concurrency == 3

    patch({"strategy": {"waves": [{"name": "everything"}]}})
    cond = accepted(fleet, namespace, "edit")
    assert cond["reason"] == "StrategyChanged"
    assert [w.name for w in replica.store.rollout("edit").strategy.waves] == ["canary", "rest"]

    patch({"paused": True})
    assert replica.store.rollout("edit").request is Request.PAUSE


def test_deleting_a_fleet_upgrade_deletes_its_cluster_records(
    fleet: Client, namespace: str, replica: Controller
) -> None:
    apply(fleet, namespace, "gone", {"target": "1.37", "strategy": STRATEGY})
    replica.reconcile()
    assert len(list(fleet.list(ClusterUpgrade, namespace=namespace))) == 4
    fleet.delete(FleetUpgrade, "gone", namespace=namespace)
    wait_for(
        lambda: not list(fleet.list(ClusterUpgrade, namespace=namespace)),
        "the garbage collector to delete the ClusterUpgrades",
        timeout=60,
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as reply:  # noqa: S310 - loopback only
            return reply.status, reply.read().decode()
    except OSError:
        return 0, ""


def test_the_command_serves_health_and_metrics_and_hands_over_on_sigterm(
    fleet: Client, cluster: SessionSandbox, namespace: str
) -> None:
    apply(fleet, namespace, "cmd", {"target": "1.37", "strategy": STRATEGY})
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kubecurrent",
            "controller",
            "--kubeconfig",
            str(cluster.kubeconfig),
            "--namespace",
            namespace,
            "--identity",
            "proc-a",
            "--shards",
            "4",
            "--lease-duration",
            "6",
            "--no-drive",
            "--interval",
            "0.5",
            "--listen",
            f"127.0.0.1:{port}",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for(lambda: _get(base + "/readyz")[0] == 200, "the controller to be ready", timeout=60)
        assert _get(base + "/healthz") == (200, "ok\n")
        wait_for(
            lambda: (
                'kubecurrent_clusters{rollout="cmd",state="failed"} 1.0'
                in _get(base + "/metrics")[1]
            ),
            "metrics of the recorded rollout",
            timeout=60,
        )
        metrics = _get(base + "/metrics")[1]
        assert 'kubecurrent_clusters{rollout="cmd",state="pending"} 3.0' in metrics
        assert "kubecurrent_shards_held 4.0" in metrics and "kubecurrent_leader 1.0" in metrics
        assert _get(base + "/nothing")[0] == 0  # 404 raises in urllib: no such page
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode in (0, 130), err
    holders = {
        lease.metadata.name: lease.spec.holderIdentity
        for lease in fleet.list(Lease, namespace=namespace)
    }
    assert "kubecurrent-member-proc-a" not in holders  # a clean stop hands everything over
    assert "proc-a" not in holders.values()
    with pytest.raises(ApiError):
        fleet.get(Lease, "kubecurrent-member-proc-a", namespace=namespace)
