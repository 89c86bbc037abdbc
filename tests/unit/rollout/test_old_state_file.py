"""A state file written by kubecurrent before the typed store (schema 2, rows as that version
wrote them) opens, reads back as typed records, and its rollout carries on."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

from kubecurrent.rollout import (
    ClusterState,
    Entity,
    RolloutState,
    RunnerSettings,
    StepState,
    Store,
    WaveState,
    approve,
    prepare_resume,
    snapshot,
)

# The tables, rows and JSON exactly as the previous release wrote them.
OLD_FILE = """
CREATE TABLE rollouts(
  id TEXT PRIMARY KEY, target TEXT NOT NULL, fleet TEXT NOT NULL, strategy TEXT NOT NULL,
  state TEXT NOT NULL, request TEXT, created TEXT NOT NULL, updated TEXT NOT NULL,
  actor TEXT NOT NULL, detail TEXT NOT NULL DEFAULT '', runner TEXT NOT NULL DEFAULT '{}');
CREATE TABLE waves(
  rollout TEXT NOT NULL, idx INTEGER NOT NULL, name TEXT NOT NULL, state TEXT NOT NULL,
  approval INTEGER NOT NULL, approved_by TEXT, approved_at TEXT, soak_until TEXT,
  started TEXT, finished TEXT, detail TEXT NOT NULL DEFAULT '', PRIMARY KEY(rollout, idx));
CREATE TABLE clusters(
  rollout TEXT NOT NULL, name TEXT NOT NULL, wave INTEGER NOT NULL, position INTEGER NOT NULL,
  labels TEXT NOT NULL, target TEXT NOT NULL, state TEXT NOT NULL, plan TEXT,
  baseline TEXT, from_version TEXT, final_version TEXT, findings_before TEXT,
  findings_after TEXT, started TEXT, finished TEXT, detail TEXT NOT NULL DEFAULT '',
  PRIMARY KEY(rollout, name));
CREATE TABLE steps(
  rollout TEXT NOT NULL, cluster TEXT NOT NULL, step INTEGER NOT NULL, type TEXT NOT NULL,
  target TEXT NOT NULL, from_version TEXT, to_version TEXT, why TEXT NOT NULL DEFAULT '',
  state TEXT NOT NULL, started TEXT, finished TEXT, detail TEXT NOT NULL DEFAULT '',
  PRIMARY KEY(rollout, cluster, step));
CREATE TABLE journal(
  seq INTEGER PRIMARY KEY AUTOINCREMENT, rollout TEXT NOT NULL, time TEXT NOT NULL,
  actor TEXT NOT NULL, entity TEXT NOT NULL, ref TEXT NOT NULL, from_state TEXT,
  to_state TEXT NOT NULL, detail TEXT NOT NULL DEFAULT '');
CREATE TABLE audit(
  seq INTEGER PRIMARY KEY AUTOINCREMENT, rollout TEXT NOT NULL, record TEXT NOT NULL);
CREATE TABLE leases(
  rollout TEXT PRIMARY KEY, holder TEXT NOT NULL, host TEXT NOT NULL, pid INTEGER NOT NULL,
  pid_started REAL NOT NULL, expires TEXT NOT NULL);
PRAGMA application_id = 1801680242;
PRAGMA user_version = 2;
"""
RID = "r-20261125-120000-abcd"
T = "2026-11-25T12:00:00+00:00"
STRATEGY = {"waves": [{"name": "canary"}, {"name": "prod", "approval": True}]}


def old_file(path: Path) -> None:
    db = sqlite3.connect(path)
    db.executescript(OLD_FILE)
    db.execute(
        "INSERT INTO rollouts VALUES (?, '1.37', 'fleet.yaml', ?, 'waiting-approval', NULL, ?, ?,"
        " 'ann', 'wave prod needs approval', ?)",
        (RID, json.dumps(STRATEGY), T, T, json.dumps({"provider": "auto", "helm_timeout": 300.0})),
    )
    db.execute(
        "INSERT INTO waves VALUES (?, 0, 'canary', 'done', 0, NULL, NULL, NULL, ?, ?, '')",
        (RID, T, T),
    )
    db.execute(
        "INSERT INTO waves VALUES (?, 1, 'prod', 'waiting-approval', 1, NULL, NULL, NULL, NULL,"
        " NULL, 'needs an approval to start')",
        (RID,),
    )
    where = {"kubeconfig": "/home/ann/.kube/config", "context": "dev", "timeout": 120.0}
    db.execute(
        "INSERT INTO clusters VALUES (?, 'dev', 0, 0, '{\"env\": \"dev\"}', ?, 'done', NULL,"
        " '{\"unavailable\": [\"ns/web\"], \"crashing\": []}', '1.36.3', '1.37.2',"
        " '{\"removed\": 2}', '{}', ?, ?, '')",
        (RID, json.dumps(where), T, T),
    )
    gke = {"kubeconfig": None, "context": None, "timeout": 60.0}
    gke |= {"gke": {"project": "shop", "location": "europe-west1", "name": "prod"}}
    db.execute(
        "INSERT INTO clusters(rollout, name, wave, position, labels, target, state) "
        "VALUES (?, 'prod', 1, 1, '{\"env\": \"prod\"}', ?, 'pending')",
        (RID, json.dumps(gke)),
    )
    db.execute(
        "INSERT INTO steps VALUES (?, 'dev', 1, 'control-plane', 'control-plane', '1.36.3',"
        " '1.37.2', 'one minor', 'done', ?, ?, 'upgraded')",
        (RID, T, T),
    )
    db.execute(
        "INSERT INTO journal(rollout, time, actor, entity, ref, from_state, to_state, detail) "
        "VALUES (?, ?, 'ann', 'note', ?, NULL, 'note', 'created: 2 clusters to 1.37 in 2 waves')",
        (RID, T, RID),
    )
    db.execute(
        "INSERT INTO journal(rollout, time, actor, entity, ref, from_state, to_state, detail) "
        "VALUES (?, ?, 'ann', 'step', 'dev:1', 'running', 'done', 'upgraded')",
        (RID, T),
    )
    records = [
        {"time": T, "user": "ann", "cluster": None, "action": "rollout.pause", "rollout": RID,
         "outcome": "ok", "detail": ""},
        {"time": T, "user": "ann", "cluster": "dev", "action": "step.done", "step": 1,
         "type": "control-plane", "target": "control-plane", "before": "1.36.3",
         "after": "1.37.2", "outcome": "ok", "detail": "upgraded", "rollout": RID},
        {"time": T, "user": "ann", "cluster": "dev", "action": "rehearsal", "before": "1.36.3",
         "after": "1.37", "outcome": "ok", "detail": "no refusals", "sha256": "ab" * 32,
         "hops": ["1.37"], "rollout": RID},
    ]  # fmt: skip
    for record in records:
        db.execute("INSERT INTO audit(rollout, record) VALUES (?, ?)", (RID, json.dumps(record)))
    db.commit()
    db.close()


def test_a_state_file_of_the_previous_release_reads_back_as_typed_records(
    tmp_path: Path,
) -> None:
    path = tmp_path / "rollouts.db"
    old_file(path)
    store = Store(path, create=False)
    rollout = store.rollout(RID)
    assert rollout.state is RolloutState.WAITING_APPROVAL and rollout.request is None
    assert rollout.runner == RunnerSettings(provider="auto", helm_timeout=300.0)
    assert [w.name for w in rollout.strategy.waves] == ["canary", "prod"]
    assert [(w.state, w.approval) for w in store.waves(RID)] == [
        (WaveState.DONE, False),
        (WaveState.WAITING_APPROVAL, True),
    ]
    dev, prod = store.clusters(RID)
    assert dev.state is ClusterState.DONE and dev.ref.context == "dev"
    assert dev.baseline is not None and dev.baseline.unavailable == frozenset({"ns/web"})
    assert dev.findings_before == {"removed": 2} and dev.findings_after == {}
    assert prod.ref.cloud is not None and prod.ref.cloud.provider == "gke"
    assert prod.ref.timeout == 60.0 and prod.findings_before is None
    (step,) = store.steps(RID)
    assert (step.order, step.state, step.to_version) == (1, StepState.DONE, "1.37.2")
    assert [j.entity for j in store.journal(RID)] == [Entity.NOTE, Entity.STEP]
    pause, done, rehearsal = store.audit_records(RID)
    assert pause.cluster is None and pause.action == "rollout.pause"
    assert (done.step, done.type, done.after) == (1, "control-plane", "1.37.2")
    assert rehearsal.extra == {"sha256": "ab" * 32, "hops": ["1.37"]}
    assert snapshot(store, RID)["waves"][0]["clusters"][0]["findings_before"] == {"removed": 2}


def test_the_rollout_of_an_old_state_file_carries_on(tmp_path: Path) -> None:
    path = tmp_path / "rollouts.db"
    old_file(path)
    store = Store(path, create=False)
    now = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)
    assert approve(store, RID, None, "olga", now).describe() == "wave prod approved by olga"
    prepare_resume(store, RID, "olga", now)
    wave = store.waves(RID)[1]
    assert wave.approved_by == "olga" and wave.approved_at == now
    audit = store.audit_records(RID)
    assert [a.action for a in audit][-2:] == ["wave.approve", "rollout.resume"]
    # The old rows are still there, unchanged, next to the new ones.
    raw = sqlite3.connect(path).execute("SELECT record FROM audit ORDER BY seq").fetchall()
    assert json.loads(raw[0][0])["action"] == "rollout.pause" and len(raw) == 5
