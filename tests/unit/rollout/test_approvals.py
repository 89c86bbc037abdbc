"""Waves that need several approvers, and a strategy where the starter's approval does not count:
approvals are counted from the audit trail, one per person, atomically (``record_approval``)."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest

from kubecurrent.errors import UsageError
from kubecurrent.rollout import (
    Approval,
    ApprovalOutcome,
    AuditAction,
    AuditEntry,
    Change,
    ClusterRef,
    Entity,
    Store,
    approve,
    create,
    judge,
    parse_strategy,
    snapshot,
)

NOW = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)
TWO = """
waves:
- {name: canary, select: {env: dev}}
- {name: prod, approvals: 2}
starterMayApprove: false
"""


def _rollout(store: Store, text: str) -> str:
    return create(
        store,
        clusters=[ClusterRef("a", labels={"env": "dev"}), ClusterRef("b", labels={"env": "prod"})],
        target="1.37",
        strategy=parse_strategy(text, "s.yaml"),
        fleet="f",
        actor="olga",
        now=NOW,
    )


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "r.db")


def _prod(store: Store, rid: str) -> dict[str, object]:
    wave: dict[str, object] = snapshot(store, rid)["waves"][1]
    return wave


def test_the_starters_approval_does_not_count_and_two_others_open_the_gate(store: Store) -> None:
    rid = _rollout(store, TWO)
    with pytest.raises(UsageError) as refused:
        approve(store, rid, "prod", "olga", NOW)
    assert refused.value.message == (
        f"olga started rollout {rid}; the starter's approval does not count "
        "(starterMayApprove: false)"
    )
    assert _prod(store, rid)["approvers"] == []

    first = approve(store, rid, "prod", "oscar", NOW, "CAB-1")
    assert (first.approvers, first.needed, first.complete) == (("oscar",), 2, False)
    assert (
        first.describe() == "wave prod: 1 of 2 approvals (oscar); it needs 1 more from someone else"
    )
    assert _prod(store, rid)["approved_by"] is None
    with pytest.raises(UsageError, match="oscar already approved wave prod"):
        approve(store, rid, "prod", "oscar", NOW)

    second = approve(store, rid, "prod", "pia", NOW)
    assert second.complete and second.describe() == "wave prod approved by oscar, pia"
    prod = _prod(store, rid)
    assert (prod["approved_by"], prod["approvers"], prod["approvals_needed"]) == (
        "oscar, pia",
        ["oscar", "pia"],
        2,
    )
    assert approve(store, rid, "prod", "zoe", NOW).approvers == ("oscar", "pia")

    records = [a for a in store.audit_records(rid) if a.action == AuditAction.APPROVE]
    assert [(a.user, a.outcome, a.extra["wave"]) for a in records] == [
        ("olga", "denied", "prod"),
        ("oscar", "ok", "prod"),
        ("pia", "ok", "prod"),
    ]
    notes = [j.detail for j in store.journal(rid) if j.entity is Entity.NOTE]
    assert "wave prod approved (1 of 2): CAB-1" in notes and "wave prod approved (2 of 2)" in notes


def test_by_default_the_starter_may_approve_a_single_gate(store: Store) -> None:
    rid = _rollout(
        store, "waves: [{name: canary, select: {env: dev}}, {name: prod, approval: true}]"
    )
    done = approve(store, rid, "prod", "olga", NOW)
    assert done.complete and done.describe() == "wave prod approved by olga"
    assert _prod(store, rid)["approved_by"] == "olga"


def test_the_starter_counts_towards_two_when_allowed(store: Store) -> None:
    rid = _rollout(store, TWO.replace("starterMayApprove: false", ""))
    assert not approve(store, rid, "prod", "olga", NOW).complete
    assert approve(store, rid, "prod", "oscar", NOW).approvers == ("olga", "oscar")


def test_the_rule_judges_a_wave_as_it_stands(store: Store) -> None:
    rid = _rollout(store, TWO)
    rollout, prod = store.rollout(rid), store.waves(rid)[1]
    assert (prod.approvals_needed, prod.approvers) == (2, ())
    assert judge(rollout, prod, "olga") is ApprovalOutcome.STARTER_REFUSED
    assert judge(rollout, prod, "oscar") is ApprovalOutcome.COUNTED
    approve(store, rid, "prod", "oscar", NOW)
    prod = store.waves(rid)[1]
    assert prod.approvers == ("oscar",) and prod.approved_by is None
    assert judge(rollout, prod, "oscar") is ApprovalOutcome.REPEATED
    assert judge(rollout, prod, "pia") is ApprovalOutcome.OPENED
    approve(store, rid, "prod", "pia", NOW)
    assert judge(rollout, store.waves(rid)[1], "zoe") is ApprovalOutcome.ALREADY_OPEN


def test_approvals_at_the_same_moment_open_the_gate_once(tmp_path: Path) -> None:
    """Eight people approve a two-person wave at once, each through its own store object (its
    own SQLite connections, as separate processes would): exactly two count, one opens."""
    path = tmp_path / "r.db"
    rid = _rollout(Store(path), TWO)
    start = threading.Barrier(8)
    results: list[Approval] = []

    def one(who: str) -> None:
        store = Store(path)
        audit = AuditEntry(
            time=NOW, user=who, action=AuditAction.APPROVE, rollout=rid, extra={"wave": "prod"}
        )
        start.wait()
        results.append(store.record_approval(rid, 1, Change(who, NOW, "approved"), audit))

    threads = [threading.Thread(target=one, args=(f"op{i}",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    outcomes = sorted(str(r.outcome) for r in results)
    assert outcomes == ["already-open"] * 6 + ["counted", "opened"]
    opened = next(r for r in results if r.outcome is ApprovalOutcome.OPENED)
    prod = Store(path).waves(rid)[1]
    assert prod.approvers == opened.approvers and len(set(prod.approvers)) == 2
    assert prod.approved_by == ", ".join(opened.approvers)
    counted = [a for a in Store(path).audit_records(rid) if a.action == AuditAction.APPROVE]
    assert [a.user for a in counted] == list(opened.approvers)
