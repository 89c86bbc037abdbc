"""The engine without any cluster: waves, the approval gate, failure budgets, pause and resume,
abort, a crash mid-step (no step done twice) and maintenance windows.

The state store is the real SQLite store on tmp_path; the clusters are ``FakeClusterRun`` test
doubles (a control plane version and one node pool in memory, changed by the step actions), and
time is a ``SteppedClock`` whose ``sleep`` moves ``now`` forward.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from kubecurrent.errors import UsageError
from kubecurrent.execute import (
    Audit,
    Baseline,
    Clock,
    Executor,
    PermanentStepError,
    RetryPolicy,
)
from kubecurrent.model.inventory import ClusterInventory, NodePool
from kubecurrent.model.plan import ClusterPlan, Hold, Step
from kubecurrent.model.recurrence import Recurrence
from kubecurrent.rollout import (
    ClusterRef,
    ClusterState,
    DriveOutcome,
    Engine,
    Entity,
    RolloutState,
    StepState,
    Store,
    Strategy,
    WaveState,
    abort,
    approve,
    create,
    pause,
    prepare_resume,
    snapshot,
)

START = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)


class SimulatedCrash(BaseException):
    """The process dies here (nothing in the engine may catch it)."""


@dataclass
class SteppedClock:
    now_at: dt.datetime = START
    slept: float = 0.0

    def clock(self) -> Clock:
        return Clock(sleep=self.sleep, now=lambda: self.now_at, monotonic=lambda: self.slept)

    def sleep(self, seconds: float) -> None:
        self.slept += seconds
        self.now_at += dt.timedelta(seconds=max(seconds, 1.0))


class PassingGate:
    def baseline(self) -> Baseline:
        return Baseline()

    def wait(self, baseline: Baseline, after: str) -> None:
        pass


@dataclass
class FakeFleet:
    """Test double for the clusters: versions in memory; every action call is logged."""

    control_planes: dict[str, str] = field(default_factory=dict)
    kubelets: dict[str, str] = field(default_factory=dict)
    calls: list[tuple[str, int]] = field(default_factory=list)
    broken: set[str] = field(default_factory=set)
    """Clusters whose control-plane step fails for good."""
    during: Callable[[str, int], None] = lambda _cluster, _step: None
    """Called after a step's action changed the cluster (to pause, abort or crash there)."""
    holds: tuple[Hold, ...] = ()
    """The provider's maintenance windows the plans carry."""

    def __call__(self, ref: ClusterRef) -> FakeClusterRun:
        return FakeClusterRun(ref.name, self)


@dataclass
class FakeClusterRun:
    """Test double of ``ClusterRun``: a 1.36 cluster planned to 1.37 in two steps."""

    name: str
    fleet: FakeFleet

    def recover(self) -> str | None:
        return None

    def inventory(self) -> ClusterInventory:
        cp = self.fleet.control_planes.setdefault(self.name, "1.36.3")
        kubelet = self.fleet.kubelets.setdefault(self.name, "1.36.3")
        pools = (NodePool(name="pool", kubelet=kubelet, nodes=2),)
        return ClusterInventory(name=self.name, control_plane=cp, node_pools=pools)

    def plan(self, inventory: ClusterInventory, target: str) -> ClusterPlan:
        steps = [
            {"order": 1, "type": "control-plane", "target": "control-plane", "to": "1.37.2"},
            {"order": 2, "type": "node-pool", "target": "pool", "to": "1.37.2"},
        ]
        return ClusterPlan(
            name=self.name,
            status="ok",
            from_version="1.36.3",
            target="1.37.2",
            holds=self.fleet.holds,
            steps=tuple(
                Step.read({**s, "from": "1.36.3", "why": "w", "without": "x", "hop": 0})
                for s in steps
            ),
        )

    def findings(self, inventory: ClusterInventory, target: str) -> dict[str, int]:
        return {"removed": 1} if inventory.control_plane.minor < 37 else {}

    def executor(self, plan: ClusterPlan, audit: Audit) -> Executor:
        def control_plane(step: Step, _inv: ClusterInventory) -> str:
            self.fleet.calls.append((self.name, step.order))
            if self.name in self.fleet.broken:
                raise PermanentStepError(f"{self.name}: the API server did not come back")
            self.fleet.control_planes[self.name] = str(step.to)
            self.fleet.during(self.name, step.order)
            return "upgraded"

        def node_pool(step: Step, _inv: ClusterInventory) -> str:
            self.fleet.calls.append((self.name, step.order))
            self.fleet.kubelets[self.name] = str(step.to)
            self.fleet.during(self.name, step.order)
            return "rolled"

        return Executor(
            plan=plan,
            actions={"control-plane": control_plane, "node-pool": node_pool},
            collect=self.inventory,
            gate=PassingGate(),
            audit=audit,
            retry=RetryPolicy(attempts=1),
            clock=Clock(sleep=lambda _d: None),
        )

    def health(self, audit: Audit, baseline: Baseline) -> None:
        pass


def strategy(text: dict[str, object]) -> Strategy:
    return Strategy.model_validate(text)


@dataclass
class Rig:
    store: Store
    fleet: FakeFleet
    time: SteppedClock
    rid: str = ""

    def engine(self) -> Engine:
        return Engine(self.store, self.fleet, "engine", self.time.clock(), poll=3600.0)

    def states(self) -> dict[str, ClusterState]:
        return {c.name: c.state for c in self.store.clusters(self.rid)}


def rig(tmp_path: Path, plan: dict[str, object], names: dict[str, str]) -> Rig:
    store = Store(tmp_path / "state.db")
    time = SteppedClock()
    refs = [ClusterRef(name, labels={"env": env}) for name, env in names.items()]
    rid = create(
        store,
        clusters=refs,
        target="1.37",
        strategy=strategy(plan),
        fleet="fleet.yaml",
        actor="ann",
        now=time.now_at,
    )
    return Rig(store, FakeFleet(), time, rid)


CANARY_THEN_GATED = {
    "waves": [
        {"name": "canary", "select": {"env": "dev"}},
        {"name": "prod", "approval": True, "concurrency": 2},
    ]
}
FLEET = {"dev": "dev", "prod-1": "prod", "prod-2": "prod"}


def test_waves_run_in_order_and_the_gated_wave_waits_for_its_approval(tmp_path: Path) -> None:
    r = rig(tmp_path, CANARY_THEN_GATED, FLEET)
    assert r.engine().drive(r.rid) is DriveOutcome.WAITING_APPROVAL
    assert r.states() == {
        "dev": ClusterState.DONE,
        "prod-1": ClusterState.PENDING,
        "prod-2": ClusterState.PENDING,
    }
    assert [w.state for w in r.store.waves(r.rid)] == [WaveState.DONE, WaveState.WAITING_APPROVAL]
    assert r.store.rollout(r.rid).state is RolloutState.WAITING_APPROVAL
    assert r.engine().drive(r.rid) is DriveOutcome.WAITING_APPROVAL  # still no approval

    approve(r.store, r.rid, None, "olga", r.time.now_at, "CAB-7")
    prepare_resume(r.store, r.rid, "olga", r.time.now_at)
    assert r.engine().drive(r.rid) is DriveOutcome.DONE
    assert set(r.states().values()) == {ClusterState.DONE}
    assert r.fleet.calls[:2] == [("dev", 1), ("dev", 2)]  # the canary first
    assert sorted(r.fleet.calls[2:]) == [("prod-1", 1), ("prod-1", 2), ("prod-2", 1), ("prod-2", 2)]
    dev = r.store.clusters(r.rid)[0]
    assert (dev.final_version, dev.findings_before, dev.findings_after) == (
        "1.37.2",
        {"removed": 1},
        {},
    )
    assert {s.state for s in r.store.steps(r.rid)} == {StepState.DONE}


def test_failures_within_the_budget_finish_the_rollout_and_beyond_it_halt(
    tmp_path: Path,
) -> None:
    plan = {"waves": [{"name": "all", "failureBudget": {"clusters": 1}}]}
    r = rig(tmp_path, plan, {"a": "prod", "b": "prod", "c": "prod"})
    r.fleet.broken = {"b"}
    assert r.engine().drive(r.rid) is DriveOutcome.DONE_WITH_FAILURES
    assert r.states() == {"a": ClusterState.DONE, "b": ClusterState.FAILED, "c": ClusterState.DONE}
    assert r.store.rollout(r.rid).detail == "done; failed within the budget: b"
    failed = r.store.steps(r.rid, "b")
    assert [s.state for s in failed] == [StepState.FAILED, StepState.PENDING]
    assert "did not come back" in failed[0].detail

    r2 = rig(tmp_path / "two", plan, {"a": "prod", "b": "prod", "c": "prod"})
    r2.fleet.broken = {"a", "b"}
    assert r2.engine().drive(r2.rid) is DriveOutcome.HALTED
    assert r2.states()["c"] is ClusterState.PENDING  # never started once the budget was spent
    assert ("c", 1) not in r2.fleet.calls
    assert "2 cluster(s) failed (a, b)" in r2.store.rollout(r2.rid).detail
    with pytest.raises(UsageError, match="halted"):
        prepare_resume(r2.store, r2.rid, "olga", r2.time.now_at)
    r2.fleet.broken = set()
    prepare_resume(r2.store, r2.rid, "olga", r2.time.now_at, retry_failed=True)
    assert r2.engine().drive(r2.rid) is DriveOutcome.DONE
    assert r2.fleet.calls.count(("a", 1)) == 2  # the failed step ran again, as asked
    assert r2.fleet.calls.count(("c", 1)) == 1


def test_a_pause_stops_before_the_next_step_and_a_resume_does_not_repeat_one(
    tmp_path: Path,
) -> None:
    r = rig(tmp_path, {"waves": [{"name": "all"}]}, {"a": "prod", "b": "prod"})

    def pause_after_first_step(cluster: str, step: int) -> None:
        if (cluster, step) == ("a", 1):
            assert pause(r.store, r.rid, "bob", r.time.now_at) == "pause requested"

    r.fleet.during = pause_after_first_step
    assert r.engine().drive(r.rid) is DriveOutcome.PAUSED
    assert r.fleet.calls == [("a", 1)]
    assert r.states() == {"a": ClusterState.PENDING, "b": ClusterState.PENDING}
    assert r.store.rollout(r.rid).request is None

    r.fleet.during = lambda _c, _s: None
    prepare_resume(r.store, r.rid, "bob", r.time.now_at)
    assert r.engine().drive(r.rid) is DriveOutcome.DONE
    assert r.fleet.calls == [("a", 1), ("a", 2), ("b", 1), ("b", 2)]


def test_an_abort_stops_the_rollout_and_aborts_the_clusters_not_finished(tmp_path: Path) -> None:
    r = rig(tmp_path, {"waves": [{"name": "all"}]}, {"a": "prod", "b": "prod"})

    def abort_in_first_cluster(cluster: str, step: int) -> None:
        if (cluster, step) == ("a", 2):
            assert abort(r.store, r.rid, "carol", r.time.now_at) == "abort requested"

    r.fleet.during = abort_in_first_cluster
    assert r.engine().drive(r.rid) is DriveOutcome.ABORTED
    assert r.states() == {"a": ClusterState.DONE, "b": ClusterState.ABORTED}
    assert r.engine().drive(r.rid) is DriveOutcome.ABORTED  # finished: nothing runs again
    assert ("b", 1) not in r.fleet.calls


def test_after_a_crash_in_the_middle_of_a_step_no_step_is_done_twice(tmp_path: Path) -> None:
    r = rig(tmp_path, {"waves": [{"name": "all", "concurrency": 2}]}, {"a": "prod", "b": "dev"})

    def crash(cluster: str, step: int) -> None:
        if (cluster, step) == ("a", 2):  # the pool rolled; its completion is not recorded yet
            raise SimulatedCrash

    r.fleet.during = crash
    with pytest.raises(SimulatedCrash):
        r.engine().drive(r.rid)
    assert r.store.rollout(r.rid).state is RolloutState.RUNNING
    assert [s.state for s in r.store.steps(r.rid, "a")] == [StepState.DONE, StepState.RUNNING]

    r.fleet.during = lambda _c, _s: None
    assert r.engine().drive(r.rid) is DriveOutcome.DONE  # a fresh driver, as after a restart
    assert sorted(r.fleet.calls) == [("a", 1), ("a", 2), ("b", 1), ("b", 2)]
    done = [
        j.ref
        for j in r.store.journal(r.rid)
        if j.entity is Entity.STEP and j.to_state == StepState.DONE
    ]
    assert sorted(done) == ["a:1", "a:2", "b:1", "b:2"]
    skipped = r.store.steps(r.rid, "a")[1]
    assert skipped.detail == "already done (found by the inventory)"


def test_a_closed_window_holds_the_cluster_until_it_opens(tmp_path: Path) -> None:
    plan = {
        "waves": [{"name": "all"}],
        "windows": [{"name": "nights", "start": "22:00", "duration": "4h"}],
    }
    r = rig(tmp_path, plan, {"a": "prod"})
    assert r.engine().drive(r.rid) is DriveOutcome.DONE
    opens = dt.datetime(2026, 11, 25, 22, 0, tzinfo=dt.UTC)
    cluster = r.store.clusters(r.rid)[0]
    assert cluster.started is not None and opens <= cluster.started < opens + dt.timedelta(hours=1)
    held = [j for j in r.store.journal(r.rid) if j.to_state == ClusterState.WAITING_WINDOW]
    assert len(held) == 1 and "outside" in held[0].detail and "nights" in held[0].detail


def test_a_window_that_never_opens_fails_the_cluster_with_the_reason(tmp_path: Path) -> None:
    plan = {
        "waves": [{"name": "all"}],
        "windows": [{"name": "mornings", "start": "10:00", "duration": "1h"}],
        "blackouts": [{"from": "2026-01-01", "to": "2029-01-01", "reason": "freeze"}],
    }
    r = rig(tmp_path, plan, {"a": "prod"})
    assert r.engine().drive(r.rid) is DriveOutcome.HALTED
    cluster = r.store.clusters(r.rid)[0]
    assert cluster.state is ClusterState.FAILED
    assert "freeze" in cluster.detail and "no opening ahead" in cluster.detail
    assert r.fleet.calls == []


def test_a_monthly_provider_window_holds_the_cluster_and_an_unenforced_one_is_shown(
    tmp_path: Path,
) -> None:
    india = dt.timezone(dt.timedelta(hours=5, minutes=30))
    opens_local = dt.datetime(2026, 1, 1, 22, 0, tzinfo=india)
    last_sunday = Hold(
        kind="window",
        source='AKS planned maintenance "aksManagedAutoUpgradeSchedule" of a',
        start=opens_local,
        end=opens_local + dt.timedelta(hours=6),
        recurrence=Recurrence.parse("FREQ=MONTHLY;BYDAY=-1SU"),
    )
    count = Hold(
        kind="refused",
        source="GKE maintenance window (FREQ=DAILY;COUNT=3)",
        start=START,
        end=START,
        note="COUNT is not enforced by kubecurrent",
    )
    r = rig(tmp_path, {"waves": [{"name": "all"}]}, {"a": "prod"})
    r.fleet.holds = (last_sunday, count)
    assert r.engine().drive(r.rid) is DriveOutcome.DONE
    opens = dt.datetime(2026, 11, 29, 16, 30, tzinfo=dt.UTC)  # Sunday 22:00 +05:30
    moves = [j for j in r.store.journal(r.rid) if j.entity is Entity.CLUSTER]
    held = [j for j in moves if j.to_state == ClusterState.WAITING_WINDOW]
    assert held and "opens 2026-11-29T16:30" in held[0].detail
    went = next(j for j in moves if j.from_state == ClusterState.WAITING_WINDOW)
    assert went.to_state == ClusterState.RUNNING
    assert opens <= went.time < opens + dt.timedelta(hours=1)
    shown = "window not enforced: GKE maintenance window (FREQ=DAILY;COUNT=3) (COUNT is not "
    assert snapshot(r.store, r.rid)["waves"][0]["clusters"][0]["detail"].startswith(shown)
