"""Two controller replicas drive a FleetUpgrade with the rollout engine: the lead one runs the
canary and stops at the approval gate; an operator patches the approval; the leader dies in the
middle of a step; the other replica takes the lead within the lease duration and finishes —
every step exactly once. The clusters are the engine tests' ``FakeFleet`` test double (steps
complete at once, in memory), handed to the replicas by ``FakeRunners``, a test double of the
``RunnerSource`` the real controller builds from the members' kubeconfig Secrets."""

from __future__ import annotations

import stat
import time
from typing import Any

import pytest
from lightkube import Client
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.core_v1 import Secret
from lightkube.types import PatchType

from kubecurrent.controller import Controller, Coordinator, LeaseSettings, SecretRunners
from kubecurrent.errors import UsageError
from kubecurrent.kubestate import FleetUpgrade, KubeStore, MemberCluster, install_crds
from kubecurrent.rollout import (
    ClusterRef,
    ClusterState,
    RolloutState,
    RunnerFactory,
    RunnerSettings,
    WaveState,
)
from tests.integration.conftest import SessionSandbox, wait_for
from tests.unit.rollout.test_engine import FakeFleet, SimulatedCrash

pytestmark = pytest.mark.integration

MEMBERS = {"dev-1": "dev", "prod-1": "prod", "prod-2": "prod", "prod-3": "prod"}


class FakeRunners:
    """Test double of ``RunnerSource``: every rollout's clusters are ``fleet``'s in-memory ones."""

    def __init__(self, fleet: FakeFleet) -> None:
        self.fleet = fleet

    def record(self) -> RunnerSettings:
        return RunnerSettings()

    def factory(self, recorded: RunnerSettings | None) -> RunnerFactory:
        return self.fleet


def replica(client: Client, namespace: str, name: str, fleet: FakeFleet) -> Controller:
    settings = LeaseSettings(
        namespace=namespace, shards=4, duration=4.0, renew_deadline=3.0, renew_every=0.5
    )
    store = KubeStore(client, namespace, f"k8s://sandbox/{namespace}", mirror=True)  # as the CLI
    coordinator = Coordinator(client, name, settings)
    # the lead replica runs whole rollouts here; test_replicas spreads them over replicas
    return Controller(store, coordinator, name, runners=FakeRunners(fleet), spread=False)


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")  # the crash
def test_two_replicas_carry_a_fleet_upgrade_through_a_gate_and_a_dead_leader(
    cluster: SessionSandbox, namespace: str
) -> None:
    admin = cluster.client()
    install_crds(admin, "kubecurrent-tests")
    for name, env in MEMBERS.items():
        admin.create(
            Secret(
                metadata=ObjectMeta(name=f"{name}-kc", namespace=namespace),
                stringData={"kubeconfig": "x"},
            )
        )
        admin.create(
            MemberCluster(
                metadata=ObjectMeta(name=name, namespace=namespace, labels={"env": env}),
                spec={"kubeconfigSecretRef": {"name": f"{name}-kc"}},
            )
        )
    admin.create(
        FleetUpgrade(
            metadata=ObjectMeta(name="to-137", namespace=namespace),
            spec={
                "target": "1.37",
                "strategy": {
                    "waves": [
                        {"name": "canary", "select": {"env": "dev"}, "count": 1},
                        {"name": "rest", "approval": True, "concurrency": 1},
                    ]
                },
            },
        )
    )
    fleet = FakeFleet()
    a = replica(cluster.client(), namespace, "pod-a", fleet)
    b = replica(cluster.client(), namespace, "pod-b", fleet)
    a.coordinator.step()
    b.coordinator.step()
    assert a.coordinator.leader and not b.coordinator.leader
    a.coordinator.start()  # a renews from now on, as a live pod does
    b.coordinator.start()

    a.reconcile()  # records the rollout and drives the canary to the gate
    a.wait_drivers(120)
    store = a.store
    assert store.rollout("to-137").state is RolloutState.WAITING_APPROVAL
    assert fleet.calls == [("dev-1", 1), ("dev-1", 2)]
    b.reconcile()  # not the leader: does nothing
    assert store.rollout("to-137").state is RolloutState.WAITING_APPROVAL

    admin.patch(
        FleetUpgrade,
        "to-137",
        [{"op": "add", "path": "/spec/approvals", "value": [{"wave": "rest", "by": "olga"}]}],
        namespace=namespace,
        patch_type=PatchType.JSON,
    )

    def die(name: str, step: int) -> None:
        if (name, step) == ("prod-2", 1):  # the control plane moved; not recorded yet
            raise SimulatedCrash

    fleet.during = die
    a.reconcile()
    a.wait_drivers(120)
    a.coordinator.stop(release=False)  # the pod is gone: nothing renewed, nothing released
    died = time.monotonic()
    assert {c.name: c.state for c in store.clusters("to-137")}["prod-2"] is ClusterState.RUNNING

    fleet.during = lambda _c, _s: None
    try:
        wait_for(lambda: b.coordinator.leader, "replica b to take the lead", timeout=30)
        took = time.monotonic() - died
        print(f"leadership taken over after {took:.1f}s (lease 4s)")
        assert took < 4.0 + 2 * 0.5 + 2.0
        b.reconcile()
        b.wait_drivers(120)
    finally:
        b.coordinator.stop()
    assert store.rollout("to-137").state is RolloutState.DONE
    assert [w.state for w in store.waves("to-137")] == [WaveState.DONE, WaveState.DONE]
    assert sorted(fleet.calls) == sorted((n, s) for n in MEMBERS for s in (1, 2))  # each once
    assert store.steps("to-137", "prod-2")[0].detail == "already done (found by the inventory)"


class RecordingRunners(FakeRunners):
    """``FakeRunners`` that also keeps the refs it was asked to build runners for."""

    def __init__(self) -> None:
        super().__init__(FakeFleet())
        self.refs: list[ClusterRef] = []

    def factory(self, recorded: RunnerSettings | None) -> RunnerFactory:
        def make(ref: ClusterRef) -> Any:
            self.refs.append(ref)
            return self.fleet(ref)

        return make


def test_a_member_is_reached_through_the_kubeconfig_in_its_secret(
    cluster: SessionSandbox, namespace: str
) -> None:
    admin = cluster.client()
    install_crds(admin, "kubecurrent-tests")
    admin.create(
        Secret(
            metadata=ObjectMeta(name="eu-kc", namespace=namespace),
            stringData={"config": "apiVersion: v1\n"},
        )
    )
    for name, secret in (("eu", "eu-kc"), ("lost", "lost-kc")):
        admin.create(
            MemberCluster(
                metadata=ObjectMeta(name=name, namespace=namespace),
                spec={
                    "kubeconfigSecretRef": {"name": secret, "key": "config"},
                    "context": f"{name}-ctx",
                },
            )
        )
    inner = RecordingRunners()
    runners = SecretRunners(KubeStore(admin, namespace, "k8s://sandbox"), inner)
    runners.factory({})(ClusterRef("eu"))
    (ref,) = inner.refs
    assert ref.kubeconfig is not None and ref.kubeconfig.read_text() == "apiVersion: v1\n"
    assert stat.S_IMODE(ref.kubeconfig.stat().st_mode) == 0o600
    assert ref.context == "eu-ctx"
    with pytest.raises(UsageError) as caught:
        runners.factory({})(ClusterRef("lost"))
    assert "Secret lost-kc (key config) is not in namespace" in caught.value.message
