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
    ClusterRecord,
    ClusterState,
    DriveOutcome,
    Engine,
    Entity,
    StepState,
    WaveState,
)
from tests.unit.rollout.test_engine import Rig, rig


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
    lead = Lead(engine(r, "lead", SplitClaim("lead", set(), ledger)), r.rid)
    lead.start()
    deadline = time.monotonic() + 10
    while r.store.waves(r.rid)[0].state is not WaveState.RUNNING:  # the lead started it
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert engine(r, "a", a).work(r.rid) == 1
    assert r.states() == {"p1": ClusterState.RUNNING}  # left for the next holder
    assert [s.state for s in r.store.steps(r.rid, "p1")] == [StepState.DONE, StepState.PENDING]

    r.fleet.during = lambda _c, _s: None
    until_done(lead, engine(r, "b", b), rid=r.rid)
    assert lead.outcome is DriveOutcome.DONE
    assert r.fleet.calls == [("p1", 1), ("p1", 2)]
    assert ledger == {"p1": ["a", "b"]}
    assert r.states() == {"p1": ClusterState.DONE}


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
