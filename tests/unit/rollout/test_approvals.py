"""Waves that need several approvers, and a strategy where the starter's approval does not count:
approvals are counted from the audit trail, one per person."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from kubecurrent.errors import UsageError
from kubecurrent.rollout import ClusterRef, Store, approve, create, parse_strategy, snapshot

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

    records = [a for a in store.audit_records(rid) if a["action"] == "wave.approve"]
    assert [(a["user"], a["outcome"], a["wave"]) for a in records] == [
        ("olga", "denied", "prod"),
        ("oscar", "ok", "prod"),
        ("pia", "ok", "prod"),
    ]
    notes = [j["detail"] for j in store.journal(rid) if j["entity"] == "note"]
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
