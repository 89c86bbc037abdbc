"""The rollout engine, unchanged, on custom resources: the engine's own scenarios (waves and an
approval gate, a crash in the middle of a step) run against ``KubeStore`` on a sandbox API
server instead of the SQLite file. The clusters are the engine tests' ``FakeFleet`` test
double (versions in memory); the approval is an operator's patch of ``spec.approvals``; the
second driver is a fresh store and engine, as a replica taking over would be."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from lightkube.types import PatchType

from kubecurrent.kubestate import FleetUpgrade, KubeStore, install_crds
from kubecurrent.rollout import (
    ClusterRef,
    ClusterState,
    DriveOutcome,
    Engine,
    Entity,
    RolloutState,
    StepState,
    WaveState,
    create,
    prepare_resume,
)
from tests.integration.conftest import SessionSandbox
from tests.unit.rollout.test_engine import (
    CANARY_THEN_GATED,
    FLEET,
    FakeFleet,
    SimulatedCrash,
    SteppedClock,
    strategy,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def kube(cluster: SessionSandbox, namespace: str) -> Iterator[KubeStore]:
    install_crds(cluster.client(), "kubecurrent-tests")
    yield KubeStore(cluster.client(), namespace, f"k8s://sandbox/{namespace}")


def start(
    store: KubeStore, time: SteppedClock, plan: dict[str, object], names: dict[str, str]
) -> str:
    refs = [ClusterRef(name, labels={"env": env}) for name, env in names.items()]
    return create(
        store,
        clusters=refs,
        target="1.37",
        strategy=strategy(plan),
        fleet="fleet.yaml",
        actor="ann",
        now=time.now_at,
    )


def test_waves_and_an_approval_patched_into_the_spec(
    kube: KubeStore, cluster: SessionSandbox, namespace: str
) -> None:
    time, fleet = SteppedClock(), FakeFleet()
    rid = start(kube, time, CANARY_THEN_GATED, FLEET)
    engine = Engine(kube, fleet, "replica-a", time.clock(), poll=3600.0)
    assert engine.drive(rid) is DriveOutcome.WAITING_APPROVAL
    assert {c.name: c.state for c in kube.clusters(rid)} == {
        "dev": ClusterState.DONE,
        "prod-1": ClusterState.PENDING,
        "prod-2": ClusterState.PENDING,
    }
    assert [w.state for w in kube.waves(rid)] == [WaveState.DONE, WaveState.WAITING_APPROVAL]

    cluster.client().patch(  # what `kubectl patch fu … --type json` sends
        FleetUpgrade,
        rid,
        [{"op": "add", "path": "/spec/approvals", "value": [{"wave": "prod", "by": "olga"}]}],
        namespace=namespace,
        patch_type=PatchType.JSON,
    )
    prepare_resume(kube, rid, "olga", time.now_at)
    assert engine.drive(rid) is DriveOutcome.DONE
    assert kube.rollout(rid).state is RolloutState.DONE
    assert sorted(fleet.calls) == [
        ("dev", 1),
        ("dev", 2),
        ("prod-1", 1),
        ("prod-1", 2),
        ("prod-2", 1),
        ("prod-2", 2),
    ]  # every step exactly once
    assert {s.state for s in kube.steps(rid)} == {StepState.DONE}
    assert kube.clusters(rid)[0].final_version == "1.37.2"


def test_after_a_crash_mid_step_another_driver_does_no_step_twice(
    kube: KubeStore, cluster: SessionSandbox, namespace: str
) -> None:
    time, fleet = SteppedClock(), FakeFleet()
    rid = start(
        kube, time, {"waves": [{"name": "all", "concurrency": 2}]}, {"a": "prod", "b": "dev"}
    )

    def crash(name: str, step: int) -> None:
        if (name, step) == ("a", 2):  # the pool rolled; its completion is not recorded yet
            raise SimulatedCrash

    fleet.during = crash
    with pytest.raises(SimulatedCrash):
        Engine(kube, fleet, "replica-a", time.clock(), poll=3600.0).drive(rid)
    assert [s.state for s in kube.steps(rid, "a")] == [StepState.DONE, StepState.RUNNING]

    fleet.during = lambda _c, _s: None
    other = KubeStore(cluster.client(), namespace, kube.where)  # another replica's store
    assert (
        Engine(other, fleet, "replica-b", time.clock(), poll=3600.0).drive(rid) is DriveOutcome.DONE
    )
    assert sorted(fleet.calls) == [("a", 1), ("a", 2), ("b", 1), ("b", 2)]
    done = sorted(
        j.ref
        for j in other.journal(rid)
        if j.entity is Entity.STEP and j.to_state == StepState.DONE
    )
    assert done == ["a:1", "a:2", "b:1", "b:2"]
    assert other.steps(rid, "a")[1].detail == "already done (found by the inventory)"
