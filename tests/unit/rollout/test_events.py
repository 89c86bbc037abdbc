"""The engine tells its sink when a rollout starts, a wave waits for approval, a cluster fails,
the rollout halts or is done — once per transition, with what a message needs. The clusters are
in-memory test doubles (``DoubleRun``); the store is a real SQLite file."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from kubecurrent.errors import ClusterError
from kubecurrent.execute import Audit, Baseline, Clock, Executor, RetryPolicy
from kubecurrent.model.inventory import ClusterInventory
from kubecurrent.model.plan import ClusterPlan
from kubecurrent.rollout import (
    ClusterRef,
    DriveOutcome,
    Engine,
    Event,
    EventKind,
    Store,
    approve,
    create,
    parse_strategy,
    prepare_resume,
)

NOW = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)


class PassingGate:
    def baseline(self) -> Baseline:
        return Baseline()

    def wait(self, baseline: Baseline, after: str) -> None:
        pass


@dataclass
class DoubleRun:
    """Test double: a cluster already at the target (nothing to do), or one that cannot be
    reached when its name starts with ``down``."""

    ref: ClusterRef

    def recover(self) -> str | None:
        return None

    def inventory(self) -> ClusterInventory:
        if self.ref.name.startswith("down"):
            raise ClusterError(f"{self.ref.name}: connection refused")
        return ClusterInventory(name=self.ref.name, control_plane="1.36.3")

    def plan(self, inventory: ClusterInventory, target: str) -> ClusterPlan:
        return ClusterPlan(name=self.ref.name, status="ok", from_version="1.36.3", target=target)

    def findings(self, inventory: ClusterInventory, target: str) -> dict[str, int]:
        return {}

    def executor(self, plan: ClusterPlan, audit: Audit) -> Executor:
        return Executor(
            plan=plan,
            actions={},
            collect=self.inventory,
            gate=PassingGate(),
            audit=audit,
            retry=RetryPolicy(attempts=1),
            clock=Clock(sleep=lambda _d: None),
        )

    def health(self, audit: Audit, baseline: Baseline) -> None:
        pass


@dataclass
class Recorded:
    events: list[Event] = field(default_factory=list)

    def emit(self, event: Event) -> None:
        self.events.append(event)


def _engine(store: Store, sink: Recorded, actor: str = "olga") -> Engine:
    return Engine(store, DoubleRun, actor, Clock(sleep=lambda _d: None), poll=0.01, events=sink)


def _start(store: Store, names: list[str], strategy: str) -> str:
    refs = [ClusterRef(n, labels={"tier": "a" if i == 0 else "b"}) for i, n in enumerate(names)]
    return create(
        store,
        clusters=refs,
        target="1.36.3",
        strategy=parse_strategy(strategy, "s.yaml"),
        fleet="f",
        actor="olga",
        now=NOW,
    )


def test_start_approval_failure_and_halt_are_each_told_once(tmp_path: Path) -> None:
    store, sink = Store(tmp_path / "r.db"), Recorded()
    rid = _start(
        store,
        ["up-1", "down-2"],
        "waves: [{name: one, select: {tier: a}}, {name: two, approvals: 2}]",
    )
    assert _engine(store, sink).drive(rid) is DriveOutcome.WAITING_APPROVAL
    assert [(e.kind, e.wave, e.approvals) for e in sink.events] == [
        (EventKind.STARTED, None, 0),
        (EventKind.APPROVAL, "two", 2),
    ]
    assert sink.events[0].starter == "olga" and sink.events[0].target == "1.36.3"

    approve(store, rid, "two", "oscar", NOW)
    prepare_resume(store, rid, "oscar", NOW)
    assert _engine(store, sink, "oscar").drive(rid) is DriveOutcome.WAITING_APPROVAL
    assert len(sink.events) == 2, "a wave still waiting is not announced again"

    approve(store, rid, "two", "pia", NOW)
    prepare_resume(store, rid, "pia", NOW)
    assert _engine(store, sink, "pia").drive(rid) is DriveOutcome.HALTED
    later = sink.events[2:]
    assert [(e.kind, e.cluster) for e in later] == [
        (EventKind.FAILED, "down-2"),
        (EventKind.HALTED, None),
    ]
    assert "connection refused" in later[0].reason
    assert "1 cluster(s) failed (down-2)" in later[1].reason


def test_a_rollout_that_finishes_tells_done(tmp_path: Path) -> None:
    store, sink = Store(tmp_path / "r.db"), Recorded()
    rid = _start(store, ["up-1", "up-2"], "waves: [{name: all}]")
    assert _engine(store, sink).drive(rid) is DriveOutcome.DONE
    assert [e.kind for e in sink.events] == [EventKind.STARTED, EventKind.DONE]
    assert all(e.rollout == rid for e in sink.events)
