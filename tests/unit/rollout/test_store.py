"""The state store: records, requests without a driver, approvals, append-only evidence, lease."""

from __future__ import annotations

import datetime as dt
import sqlite3
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from kubecurrent.errors import UsageError
from kubecurrent.rollout import (
    Change,
    ClusterRef,
    ClusterState,
    Lease,
    LeaseHeld,
    RolloutState,
    RunnerSettings,
    Store,
    Strategy,
    WaveState,
    abort,
    approve,
    change_runner,
    create,
    pause,
    prepare_resume,
    runner_options,
    settings_json,
    snapshot,
    summaries,
)

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
STRATEGY = Strategy.model_validate(
    {"waves": [{"name": "canary", "select": {"env": "dev"}}, {"name": "prod", "approval": True}]}
)
REFS = [
    ClusterRef("dev", labels={"env": "dev"}),
    ClusterRef("prod-1", labels={"env": "prod"}),
    ClusterRef("prod-2", labels={"env": "prod"}),
]


def new(tmp_path: Path) -> tuple[Store, str]:
    store = Store(tmp_path / "state.db")
    rid = create(
        store,
        clusters=REFS,
        target="1.37",
        strategy=STRATEGY,
        fleet="f.yaml",
        actor="ann",
        now=NOW,
    )
    return store, rid


def test_create_records_waves_and_clusters_in_order(tmp_path: Path) -> None:
    store, rid = new(tmp_path)
    snap = snapshot(store, rid)
    assert snap["state"] == "pending" and snap["actor"] == "ann" and snap["target"] == "1.37"
    assert [(w["name"], [c["name"] for c in w["clusters"]]) for w in snap["waves"]] == [
        ("canary", ["dev"]),
        ("prod", ["prod-1", "prod-2"]),
    ]
    assert summaries(store)[0]["clusters"] == {"pending": 3}
    assert store.journal(rid)[0].detail.startswith("created: 3 clusters")


def test_pause_and_abort_without_a_driver_apply_at_once(tmp_path: Path) -> None:
    store, rid = new(tmp_path)
    assert pause(store, rid, "bob", NOW) == "paused"
    assert snapshot(store, rid)["state"] == "paused"
    prepare_resume(store, rid, "bob", NOW)
    assert abort(store, rid, "carol", NOW) == "aborted"
    snap = snapshot(store, rid)
    assert snap["state"] == "aborted"
    assert {c["state"] for w in snap["waves"] for c in w["clusters"]} == {"aborted"}
    with pytest.raises(UsageError, match="aborted; it cannot be resumed"):
        prepare_resume(store, rid, "bob", NOW)
    actions = [a.action for a in store.audit_records(rid)]
    assert actions == ["rollout.pause", "rollout.resume", "rollout.abort"]


def test_approval_names_the_wave_and_the_approver(tmp_path: Path) -> None:
    store, rid = new(tmp_path)
    with pytest.raises(UsageError, match=r"no wave .* is waiting") as err:
        approve(store, rid, None, "dan", NOW)
    assert "--wave (prod)" in (err.value.hint or "")
    with pytest.raises(UsageError, match="needs no approval"):
        approve(store, rid, "canary", "dan", NOW)
    with pytest.raises(UsageError, match="no wave 'nope'"):
        approve(store, rid, "nope", "dan", NOW)
    assert approve(store, rid, "prod", "dan", NOW, "CAB-7").wave == "prod"
    wave = snapshot(store, rid)["waves"][1]
    assert wave["approved_by"] == "dan" and wave["approved_at"] == NOW.isoformat()
    assert any("CAB-7" in j.detail for j in store.journal(rid))


def test_journal_and_audit_are_append_only(tmp_path: Path) -> None:
    store, rid = new(tmp_path)
    pause(store, rid, "bob", NOW)  # one audit record
    db = sqlite3.connect(store.path)
    for sql in ("UPDATE journal SET actor = 'x'", "DELETE FROM journal", "DELETE FROM audit"):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            db.execute(sql)
    db.close()


def test_a_file_that_is_not_a_state_file_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"my precious notes, not SQLite" * 100)
    before = path.read_bytes()
    with pytest.raises(UsageError, match="not a kubecurrent state file"):
        Store(path)
    assert path.read_bytes() == before


def test_unknown_rollout_lists_known_ones(tmp_path: Path) -> None:
    store, rid = new(tmp_path)
    with pytest.raises(UsageError, match="no rollout 'r-nope'") as err:
        store.rollout("r-nope")
    assert rid in (err.value.hint or "")


HOLD = """
import sys, time
from pathlib import Path
from kubecurrent.rollout import Lease, Store
lease = Lease(Store(Path(sys.argv[1])), sys.argv[2])
lease.acquire()
print("held", flush=True)
time.sleep(60)
"""


def test_a_live_holder_refuses_a_second_driver_and_a_dead_one_is_taken_over(
    tmp_path: Path,
) -> None:
    store, rid = new(tmp_path)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(store.path), rid], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(LeaseHeld, match=f"driven by process {holder.pid}"):
            Lease(store, rid).acquire()
    finally:
        holder.kill()
        holder.wait()
    started = time.monotonic()
    lease = Lease(store, rid)
    lease.acquire()  # the holder is dead: taken over at once, not after the 30 s expiry
    lease.release()
    assert time.monotonic() - started < 5


def test_a_halted_rollout_resumes_only_when_asked_to_retry_the_failed(tmp_path: Path) -> None:
    store, rid = new(tmp_path)
    store.move_cluster(rid, "dev", ClusterState.FAILED, Change("engine", NOW, "unreachable"))
    store.move_wave(rid, 0, WaveState.HALTED, Change("engine", NOW))
    halted = Change("engine", NOW, "wave canary: 1 cluster(s) failed (dev)")
    store.move_rollout(rid, RolloutState.HALTED, halted)
    with pytest.raises(UsageError, match="halted: wave canary") as err:
        prepare_resume(store, rid, "erin", NOW)
    assert "--retry-failed" in (err.value.hint or "")
    prepare_resume(store, rid, "erin", NOW, retry_failed=True)
    snap = snapshot(store, rid)
    assert snap["waves"][0]["state"] == "pending"
    assert snap["waves"][0]["clusters"][0]["state"] == "pending"
    retried = [j for j in store.journal(rid) if j.detail == "retry after halt"]
    assert [(j.entity, j.ref, j.actor) for j in retried] == [
        ("cluster", "dev", "erin"),
        ("wave", "0", "erin"),
    ]


def test_runner_options_are_recorded_and_changes_journalled_old_to_new(tmp_path: Path) -> None:
    store = Store(tmp_path / "state.db")
    options = RunnerSettings(provider="auto", health_query=("up == 1",), helm_timeout=300.0)
    rid = create(
        store,
        clusters=REFS,
        target="1.37",
        strategy=STRATEGY,
        fleet="f.yaml",
        actor="ann",
        now=NOW,
        runner=options,
    )
    assert runner_options(store, rid) == options
    assert snapshot(store, rid)["runner"] == settings_json(options)
    assert snapshot(store, rid)["runner"]["health_query"] == ["up == 1"]
    # Same values: nothing recorded.
    notes_before = len(store.journal(rid))
    assert change_runner(store, rid, options, "bob", NOW) == ()
    assert len(store.journal(rid)) == notes_before
    changed = change_runner(store, rid, replace(options, helm_timeout=600.0), "bob", NOW)
    assert changed == ("helm_timeout",)
    assert runner_options(store, rid) == replace(options, helm_timeout=600.0)
    journal = store.journal(rid)
    assert len(journal) == notes_before + 1
    assert journal[-1].actor == "bob"
    assert journal[-1].detail == "runner options changed: helm_timeout: 300.0 → 600.0"
    audit = store.audit_records(rid)[-1]
    assert (audit.user, audit.action) == ("bob", "rollout.runner")


def test_a_state_file_of_schema_1_is_migrated_keeping_its_rollouts(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    store, rid = new(tmp_path)
    # Make an old file: the same rows, without the runner column, schema version 1.
    db = sqlite3.connect(store.path)
    db.execute("ATTACH DATABASE ? AS old", (str(path),))
    db.executescript(
        """
        CREATE TABLE old.rollouts AS SELECT id, target, fleet, strategy, state, request,
          created, updated, actor, detail FROM rollouts;
        CREATE TABLE old.waves AS SELECT * FROM waves;
        CREATE TABLE old.clusters AS SELECT * FROM clusters;
        CREATE TABLE old.steps AS SELECT * FROM steps;
        PRAGMA old.user_version = 1;
        DETACH DATABASE old;
        """
    )
    db.close()
    migrated = Store(path)
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == 2
    snap = snapshot(migrated, rid)
    assert snap["target"] == "1.37" and snap["runner"] == {}
    assert [c["name"] for w in snap["waves"] for c in w["clusters"]] == ["dev", "prod-1", "prod-2"]
    assert runner_options(migrated, rid) is None
    # Nothing was recorded: every option is recorded now, each journalled (none) → value.
    changed = change_runner(migrated, rid, RunnerSettings(provider="sandbox"), "bob", NOW)
    assert "provider" in changed and "helm_timeout" in changed
    assert runner_options(migrated, rid) == RunnerSettings(provider="sandbox")
