"""One rollout's clusters spread over several engines (as over controller replicas): the engine
with a claim keeps the rollout-level decisions and waits, ``work`` runs the clusters each one
claims, a claim lost mid-cluster hands the cluster over without repeating a step.

The store is the real SQLite store; the clusters are the ``FakeFleet`` test double of
``test_engine``; ``SplitClaim`` is a test double of ``ClusterClaim`` (the controller's is
``ShardClaim``, backed by shard Leases, tested on a sandbox in tests/integration/controller).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from kubecurrent.execute import Clock
from kubecurrent.rollout import (
    Change,
    ClusterRecord,
    ClusterState,
    DriveOutcome,
    Engine,
    Entity,
    StepState,
    StoreConflict,
    WaveState,
)
from tests.unit.rollout.test_engine import START, Rig, rig


@dataclass
class SplitClaim:
    """Test double of ``ClusterClaim``: this process may run the clusters in ``names``; every
    successful take is written to the shared ``ledger`` (cluster → who took it, in order)."""

    who: str
    names: set[str]
    ledger: dict[str, list[str]]
    lost: set[str] = field(default_factory=set)
    """Clusters whose claim this process has lost (its shard went to another)."""
    running: set[str] = field(default_factory=set)

    def take(self, rid: str, member: ClusterRecord) -> bool:
        if member.name not in self.names - self.lost or member.name in self.running:
            return False
        self.running.add(member.name)
        self.ledger.setdefault(member.name, []).append(self.who)
        return True

    def holds(self, rid: str, name: str) -> bool:
        return name in self.running and name not in self.lost

    def drop(self, rid: str, name: str) -> None:
        self.running.discard(name)


def engine(r: Rig, who: str, claim: SplitClaim) -> Engine:
    return Engine(r.store, r.fleet, who, Clock(), poll=0.01, claim=claim)


class Lead(threading.Thread):
    """The lead engine's ``drive`` in a thread, as a controller's lead replica runs it."""

    def __init__(self, lead: Engine, rid: str) -> None:
        super().__init__(daemon=True)
        self.lead, self.rid = lead, rid
        self.outcome: DriveOutcome | None = None

    def run(self) -> None:
        self.outcome = self.lead.drive(self.rid)


def started_lead(r: Rig, ledger: dict[str, list[str]]) -> Lead:
    """A lead engine (it claims no cluster) driving ``r``'s rollout, once it has started the
    first wave."""
    lead = Lead(engine(r, "lead", SplitClaim("lead", set(), ledger)), r.rid)
    lead.start()
    deadline = time.monotonic() + 10
    while r.store.waves(r.rid)[0].state is not WaveState.RUNNING:
        assert time.monotonic() < deadline, "the lead did not start the first wave"
        time.sleep(0.01)
    return lead


def until_done(lead: Lead, *workers: Engine, rid: str) -> None:
    deadline = time.monotonic() + 30
    while lead.is_alive():
        assert time.monotonic() < deadline, "the lead engine did not finish within 30 s"
        for worker in workers:
            worker.work(rid)
        time.sleep(0.01)


def test_each_engine_runs_the_clusters_it_claims_and_the_lead_only_decides(
    tmp_path: Path,
) -> None:
    waves = {
        "waves": [
            {"name": "canary", "select": {"env": "dev"}},
            {"name": "rest", "concurrency": 2},
        ]
    }
    r = rig(tmp_path, waves, {"dev": "dev", "p1": "prod", "p2": "prod", "p3": "prod"})
    ledger: dict[str, list[str]] = {}
    a = SplitClaim("a", {"dev", "p2"}, ledger)
    b = SplitClaim("b", {"p1", "p3"}, ledger)
    lead = Lead(engine(r, "lead", a), r.rid)
    lead.start()
    until_done(lead, engine(r, "a", a), engine(r, "b", b), rid=r.rid)

    assert lead.outcome is DriveOutcome.DONE
    assert set(r.states().values()) == {ClusterState.DONE}
    assert sorted(r.fleet.calls) == sorted(
        (n, s) for n in ("dev", "p1", "p2", "p3") for s in (1, 2)
    )
    assert ledger == {"dev": ["a"], "p1": ["b"], "p2": ["a"], "p3": ["b"]}
    step_actors = {
        e.ref.split(":")[0]: e.actor for e in r.store.journal(r.rid) if e.entity is Entity.STEP
    }
    assert step_actors == {"dev": "a", "p1": "b", "p2": "a", "p3": "b"}
    assert r.fleet.calls[:2] == [("dev", 1), ("dev", 2)]  # the canary wave first


def test_a_claim_lost_mid_cluster_hands_it_over_and_no_step_runs_twice(tmp_path: Path) -> None:
    r = rig(tmp_path, {"waves": [{"name": "all"}]}, {"p1": "prod"})
    ledger: dict[str, list[str]] = {}
    a = SplitClaim("a", {"p1"}, ledger)
    b = SplitClaim("b", {"p1"}, ledger)

    def lose(name: str, step: int) -> None:
        if step == 1:
            a.lost.add(name)  # a's shard went to b while step 1 ran

    r.fleet.during = lose
    lead = started_lead(r, ledger)
    assert engine(r, "a", a).work(r.rid) == 1
    assert r.states() == {"p1": ClusterState.RUNNING}  # left for the next holder
    assert r.store.slots(r.rid, 0) == ["p1"]  # mid-upgrade: it keeps its slot
    assert [s.state for s in r.store.steps(r.rid, "p1")] == [StepState.DONE, StepState.PENDING]

    r.fleet.during = lambda _c, _s: None
    until_done(lead, engine(r, "b", b), rid=r.rid)
    assert lead.outcome is DriveOutcome.DONE
    assert r.fleet.calls == [("p1", 1), ("p1", 2)]
    assert ledger == {"p1": ["a", "b"]}
    assert r.states() == {"p1": ClusterState.DONE}
    assert r.store.slots(r.rid, 0) == []


def test_work_needs_a_claim_and_does_nothing_before_the_rollout_runs(tmp_path: Path) -> None:
    r = rig(tmp_path, {"waves": [{"name": "all"}]}, {"p1": "prod"})
    with pytest.raises(ValueError, match="needs a claim"):
        r.engine().work(r.rid)
    assert engine(r, "a", SplitClaim("a", {"p1"}, {})).work(r.rid) == 0  # still pending
    assert r.fleet.calls == []


def test_a_claim_that_lapses_for_a_moment_leaves_the_cluster_running_not_failed(
    tmp_path: Path,
) -> None:
    r = rig(tmp_path, {"waves": [{"name": "all"}]}, {"p1": "prod"})
    ledger: dict[str, list[str]] = {}
    a = SplitClaim("a", {"p1"}, ledger)
    real_holds = a.holds
    asked: list[str] = []

    def flicker(rid: str, name: str) -> bool:  # lost when asked before step 2, back after
        asked.append(name)
        return len(asked) != 2 and real_holds(rid, name)

    a.holds = flicker  # type: ignore[method-assign]
    lead = Lead(engine(r, "lead", SplitClaim("lead", set(), ledger)), r.rid)
    lead.start()
    until_done(lead, engine(r, "a", a), rid=r.rid)
    assert lead.outcome is DriveOutcome.DONE
    assert r.fleet.calls == [("p1", 1), ("p1", 2)]
    assert ledger == {"p1": ["a", "a"]}  # handed over, then taken again
    assert r.states() == {"p1": ClusterState.DONE}


@dataclass
class Overlap:
    """What the runners saw: the clusters mid-upgrade (between their first and their last step)
    at once, and for each engine an event set once it has decided — one of its clusters is
    inside an upgrade, or its ``work`` call returned."""

    owner: dict[str, str]
    decided: dict[str, threading.Event]
    inside: set[str] = field(default_factory=set)
    most: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def during(self, name: str, step: int) -> None:
        if step == 2:
            with self.lock:
                self.inside.discard(name)
            return
        with self.lock:
            self.inside.add(name)
            self.most = max(self.most, len(self.inside))
        who = self.owner[name]
        self.decided[who].set()
        other = next(w for w in self.decided if w != who)
        # hold this upgrade until the other engine has had its chance to start one too
        assert self.decided[other].wait(10), f"engine {other} did not decide within 10 s"


def test_a_wave_of_concurrency_1_runs_one_cluster_at_a_time_over_two_engines(
    tmp_path: Path,
) -> None:
    """The race: engine a has claimed p1 but not started it (it is not running in the store
    yet) when engine b looks at the wave; b must not start a second cluster of the wave."""
    fleet = {"p1": "prod", "p2": "prod", "p3": "prod", "p4": "prod"}
    r = rig(tmp_path, {"waves": [{"name": "all", "concurrency": 1}]}, fleet)
    ledger: dict[str, list[str]] = {}
    names = {"a": {"p1", "p3"}, "b": {"p2", "p4"}}
    seen = Overlap(
        owner={n: who for who, ns in names.items() for n in ns},
        decided={who: threading.Event() for who in names},
    )
    r.fleet.during = seen.during
    a, b = SplitClaim("a", names["a"], ledger), SplitClaim("b", names["b"], ledger)
    b_looked = threading.Event()
    """Engine b took a cluster, or its ``work`` returned."""

    def work(who: str, claim: SplitClaim) -> None:
        try:
            engine(r, who, claim).work(r.rid)
        finally:
            seen.decided[who].set()
            b_looked.set() if who == "b" else None

    b_thread = threading.Thread(target=work, args=("b", b), daemon=True)
    a_take, b_take = a.take, b.take

    def a_takes_then_b_looks(rid: str, member: ClusterRecord) -> bool:
        took = a_take(rid, member)
        if took and not b_thread.is_alive() and not b_looked.is_set():
            b_thread.start()  # a's claim stands, its cluster has not started: b looks now
            assert b_looked.wait(10), "engine b neither took a cluster nor returned"
        return took

    def b_takes(rid: str, member: ClusterRecord) -> bool:
        took = b_take(rid, member)
        b_looked.set() if took else None
        return took

    a.take, b.take = a_takes_then_b_looks, b_takes  # type: ignore[method-assign]
    lead = started_lead(r, ledger)
    work("a", a)
    b_thread.join(10)
    a.take, b.take = a_take, b_take  # type: ignore[method-assign]
    until_done(lead, engine(r, "a", a), engine(r, "b", b), rid=r.rid)

    assert lead.outcome is DriveOutcome.DONE
    assert set(r.states().values()) == {ClusterState.DONE}
    assert seen.most == 1, f"{seen.most} clusters of a concurrency-1 wave were upgraded at once"
    assert r.store.slots(r.rid, 0) == []  # every slot given back


def test_the_slot_of_a_cluster_whose_replica_died_after_it_finished_is_free_again(
    tmp_path: Path,
) -> None:
    r = rig(tmp_path, {"waves": [{"name": "all"}]}, {"p1": "prod", "p2": "prod"})
    lead = started_lead(r, {})
    # p1 took the wave's only slot and was finished by a replica that died before giving it
    # back (its upgrade is not what this test is about: it is marked done directly)
    assert r.store.take_slot(r.rid, 0, "p1")
    r.store.move_cluster(r.rid, "p1", ClusterState.DONE, Change("dead", START))
    ledger: dict[str, list[str]] = {}
    until_done(lead, engine(r, "b", SplitClaim("b", {"p1", "p2"}, ledger)), rid=r.rid)
    assert lead.outcome is DriveOutcome.DONE
    assert ledger == {"p2": ["b"]} and r.fleet.calls == [("p2", 1), ("p2", 2)]
    assert r.store.slots(r.rid, 0) == []


def test_a_store_failure_while_taking_a_slot_leaves_the_cluster_for_the_next_round(
    tmp_path: Path,
) -> None:
    r = rig(tmp_path, {"waves": [{"name": "all"}]}, {"p1": "prod"})
    lead = started_lead(r, {})
    real = r.store.take_slot

    def conflict_once(rid: str, wave: int, cluster: str, *, running: bool = False) -> bool:
        """Test double of a store whose write keeps losing races, once."""
        r.store.take_slot = real  # type: ignore[method-assign]
        raise StoreConflict("the wave kept changing under 8 writes", hint="run it again")

    r.store.take_slot = conflict_once  # type: ignore[method-assign]
    ledger: dict[str, list[str]] = {}
    a = SplitClaim("a", {"p1"}, ledger)
    with pytest.raises(StoreConflict):
        engine(r, "a", a).work(r.rid)
    assert a.running == set() and r.fleet.calls == []  # not started, not held here
    until_done(lead, engine(r, "a", a), rid=r.rid)
    assert lead.outcome is DriveOutcome.DONE
    assert ledger == {"p1": ["a", "a"]} and r.fleet.calls == [("p1", 1), ("p1", 2)]
