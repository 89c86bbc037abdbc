"""The lead replica probes every member and writes what it found in its MemberCluster's status:
a real member sandbox (the session's, declared through a Secret holding its kubeconfig) is
reachable with its version and provider; a member whose API server is a dead port, and one
whose Secret is missing, say so on their Reachable condition."""

from __future__ import annotations

import socket
import time

import pytest
import yaml
from lightkube import Client
from lightkube.core.exceptions import ApiError
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.core_v1 import Secret

from kubecurrent.controller import Controller, Coordinator, LeaseSettings
from kubecurrent.kubestate import KubeStore, MemberCluster, install_crds
from tests.integration.conftest import SessionSandbox, wait_for

pytestmark = pytest.mark.integration


def _listable(store: KubeStore) -> bool:
    try:
        store.fleet_upgrades()
    except ApiError:  # 429 "storage is (re)initializing" just after the CRD is installed
        return False
    return True


def dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def dead_kubeconfig(port: int) -> str:
    return yaml.safe_dump(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "c", "cluster": {"server": f"https://127.0.0.1:{port}"}}],
            "users": [{"name": "u", "user": {"token": "t"}}],
            "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
            "current-context": "x",
        }
    )


def member(admin: Client, namespace: str, name: str, kubeconfig: str | None) -> None:
    if kubeconfig is not None:
        admin.create(
            Secret(
                metadata=ObjectMeta(name=f"{name}-kc", namespace=namespace),
                stringData={"kubeconfig": kubeconfig},
            )
        )
    admin.create(
        MemberCluster(
            metadata=ObjectMeta(name=name, namespace=namespace),
            spec={"kubeconfigSecretRef": {"name": f"{name}-kc"}, "timeoutSeconds": 5},
        )
    )


def test_members_are_probed_and_their_status_says_what_was_found(
    cluster: SessionSandbox, namespace: str
) -> None:
    admin = cluster.client()
    install_crds(admin, "kubecurrent-tests")
    port = dead_port()
    member(admin, namespace, "eu", cluster.kubeconfig.read_text())
    member(admin, namespace, "gone", dead_kubeconfig(port))
    member(admin, namespace, "lost", None)
    settings = LeaseSettings(namespace=namespace, shards=2, duration=4.0, renew_deadline=3.0)
    store = KubeStore(admin, namespace, f"k8s://sandbox/{namespace}")
    lead = Controller(store, Coordinator(admin, "pod-a", settings), "pod-a", probe_every=0.0)
    lead.coordinator.step()
    assert lead.coordinator.leader
    wait_for(lambda: _listable(store), "the new CRDs to be served", timeout=30)

    lead.reconcile()
    lead.wait_probes(60)

    def status(name: str) -> dict[str, object]:
        found = admin.get(MemberCluster, name, namespace=namespace)
        return dict(found["status"])

    def reachable(name: str) -> dict[str, str]:
        (cond,) = [c for c in status(name)["conditions"] if c["type"] == "Reachable"]  # type: ignore[attr-defined]
        return dict(cond)

    eu = status("eu")
    assert str(eu["version"]).startswith("1.36.")
    assert eu["provider"] == "sandbox"
    assert reachable("eu")["status"] == "True"
    gone, lost = reachable("gone"), reachable("lost")
    assert (gone["status"], gone["reason"]) == ("False", "Unreachable")
    assert f"https://127.0.0.1:{port}" in gone["message"]
    assert "version" not in status("gone")  # never reached: no version is made up
    assert (lost["status"], lost["reason"]) == ("False", "SecretMissing")
    assert "Secret lost-kc (key kubeconfig) is not in namespace" in lost["message"]

    def version_of(name: str) -> str:
        return str(admin.get(MemberCluster, name, namespace=namespace).metadata.resourceVersion)  # type: ignore[union-attr]

    first = reachable("eu")["lastTransitionTime"], status("eu")["lastProbeTime"]
    written = {name: version_of(name) for name in ("eu", "gone", "lost")}
    time.sleep(1.1)
    lead.coordinator.step()  # renew the leader Lease (4 s) before each round
    lead.reconcile()  # probed again, nothing changed: nothing is written
    lead.wait_probes(60)
    assert {name: version_of(name) for name in written} == written
    lead.probe_refresh = 1.0  # the heartbeat is due: written, the transition time stays
    lead.coordinator.step()
    assert lead.coordinator.leader
    lead.reconcile()
    lead.wait_probes(60)
    assert reachable("eu")["lastTransitionTime"] == first[0]
    assert str(status("eu")["lastProbeTime"]) > str(first[1])
    assert version_of("eu") != written["eu"]
    lead.coordinator.stop()
