"""The rollout state store: one SQLite file holding every rollout, its journal and audit trail.

Tables (``docs/rollout.md`` documents them for people who query the file)::

    rollouts   one row per rollout: target, strategy, runner options, state, pending request
    waves      per rollout and wave: state, approvals needed, who approved and when, soak deadline
    clusters   per rollout and cluster: wave, where to reach it, state, plan, findings
    steps      per rollout, cluster and plan step: state, timings, detail
    journal    append-only: every state change of a rollout, wave, cluster or step
    audit      append-only: every action on a cluster (who, what, when, before/after)
    leases     which process drives a rollout, until when

``journal`` and ``audit`` refuse UPDATE and DELETE (triggers), so the evidence a change board
files cannot be edited through kubecurrent. Every change is one transaction in WAL mode with
``synchronous=FULL``: a process killed at any instant leaves the last committed state.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Any

from kubecurrent.errors import UsageError
from kubecurrent.execute import Baseline
from kubecurrent.model.plan import ClusterPlan
from kubecurrent.rollout._approvals import Approval, ApprovalOutcome, approvers_in, judge, refusal
from kubecurrent.rollout._protocol import RolloutStore
from kubecurrent.rollout._records import ref_from, ref_where
from kubecurrent.rollout._settings import RunnerSettings, decode_settings, encode_settings
from kubecurrent.rollout._state import (
    AuditEntry,
    Change,
    ClusterRecord,
    ClusterState,
    Entity,
    JournalEntry,
    LeaseRecord,
    Request,
    RolloutRecord,
    RolloutState,
    StepRecord,
    StepState,
    WaveRecord,
    WaveState,
    stamp,
)
from kubecurrent.rollout._strategy import Strategy

__all__ = ["SCHEMA_VERSION", "StateFileError", "Store", "default_state_path"]

SCHEMA_VERSION = 2  # 2: rollouts.runner (how the clusters are upgraded)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS rollouts(
  id TEXT PRIMARY KEY, target TEXT NOT NULL, fleet TEXT NOT NULL, strategy TEXT NOT NULL,
  state TEXT NOT NULL, request TEXT, created TEXT NOT NULL, updated TEXT NOT NULL,
  actor TEXT NOT NULL, detail TEXT NOT NULL DEFAULT '', runner TEXT NOT NULL DEFAULT '{}');
CREATE TABLE IF NOT EXISTS waves(
  rollout TEXT NOT NULL, idx INTEGER NOT NULL, name TEXT NOT NULL, state TEXT NOT NULL,
  approval INTEGER NOT NULL, approved_by TEXT, approved_at TEXT, soak_until TEXT,
  started TEXT, finished TEXT, detail TEXT NOT NULL DEFAULT '',
  PRIMARY KEY(rollout, idx));
CREATE TABLE IF NOT EXISTS clusters(
  rollout TEXT NOT NULL, name TEXT NOT NULL, wave INTEGER NOT NULL, position INTEGER NOT NULL,
  labels TEXT NOT NULL, target TEXT NOT NULL, state TEXT NOT NULL, plan TEXT,
  baseline TEXT, from_version TEXT, final_version TEXT, findings_before TEXT,
  findings_after TEXT, started TEXT, finished TEXT, detail TEXT NOT NULL DEFAULT '',
  PRIMARY KEY(rollout, name));
CREATE TABLE IF NOT EXISTS steps(
  rollout TEXT NOT NULL, cluster TEXT NOT NULL, step INTEGER NOT NULL, type TEXT NOT NULL,
  target TEXT NOT NULL, from_version TEXT, to_version TEXT, why TEXT NOT NULL DEFAULT '',
  state TEXT NOT NULL, started TEXT, finished TEXT, detail TEXT NOT NULL DEFAULT '',
  PRIMARY KEY(rollout, cluster, step));
CREATE TABLE IF NOT EXISTS journal(
  seq INTEGER PRIMARY KEY AUTOINCREMENT, rollout TEXT NOT NULL, time TEXT NOT NULL,
  actor TEXT NOT NULL, entity TEXT NOT NULL, ref TEXT NOT NULL, from_state TEXT,
  to_state TEXT NOT NULL, detail TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS audit(
  seq INTEGER PRIMARY KEY AUTOINCREMENT, rollout TEXT NOT NULL, record TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS leases(
  rollout TEXT PRIMARY KEY, holder TEXT NOT NULL, host TEXT NOT NULL, pid INTEGER NOT NULL,
  pid_started REAL NOT NULL, expires TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS journal_by_rollout ON journal(rollout, seq);
CREATE INDEX IF NOT EXISTS audit_by_rollout ON audit(rollout, seq);
CREATE TRIGGER IF NOT EXISTS journal_no_update BEFORE UPDATE ON journal
  BEGIN SELECT RAISE(ABORT, 'the rollout journal is append-only'); END;
CREATE TRIGGER IF NOT EXISTS journal_no_delete BEFORE DELETE ON journal
  BEGIN SELECT RAISE(ABORT, 'the rollout journal is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
  BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
  BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
"""


def _migrate(db: sqlite3.Connection) -> None:
    """Bring a file written by an older kubecurrent up to this schema (only ever adds)."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(rollouts)")}
    if "runner" not in columns:
        try:
            db.execute("ALTER TABLE rollouts ADD COLUMN runner TEXT NOT NULL DEFAULT '{}'")
        except sqlite3.OperationalError as exc:  # another process migrated it just now
            if "duplicate column" not in str(exc):
                raise


_OURS = {"rollouts", "waves", "clusters", "steps", "journal", "audit", "leases", "sqlite_sequence"}


def _check_owner(path: Path) -> None:
    """Refuse a non-empty SQLite file that kubecurrent did not create (read-only look)."""
    if path.stat().st_size == 0:
        return
    db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30.0)
    try:
        app = db.execute("PRAGMA application_id").fetchone()[0]
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        db.close()
    if app == APPLICATION_ID or (app == 0 and (not tables or "rollouts" in tables)):
        foreign = tables - _OURS
        if not foreign:
            return
    else:
        foreign = tables
    held = ", ".join(sorted(foreign)) or "none of kubecurrent's tables"
    raise UsageError(
        f"{path}: not a kubecurrent state file (it holds: {held}); it was left untouched",
        hint="point --state at a new file or at one kubecurrent created",
    )


class StateFileError(UsageError):
    """The state file cannot be used right now (read-only, locked, damaged)."""


def _state_error(path: Path, exc: sqlite3.OperationalError) -> StateFileError:
    said = str(exc)
    if "readonly" in said or "read-only" in said:
        hint = "kubecurrent needs to write it: check its permissions (and its directory's)"
    elif "locked" in said or "busy" in said:
        hint = "another kubecurrent is writing it for too long; wait and run again"
    elif "unable to open" in said:
        hint = "check that the directory exists and is writable"
    else:
        hint = "check the file, or point --state at another one"
    return StateFileError(f"state file {path}: {said}", hint=hint)


def default_state_path() -> Path:
    return Path.home() / ".local" / "state" / "kubecurrent" / "rollouts.db"


APPLICATION_ID = 0x6B637572
"""``PRAGMA application_id`` of a kubecurrent state file ("kcur")."""


def _time(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None


def _stamp_or_none(when: dt.datetime | None) -> str | None:
    return stamp(when) if when is not None else None


def _counts(text: str | None) -> dict[str, int] | None:
    return json.loads(text) if text else None


def _rollout(row: sqlite3.Row) -> RolloutRecord:
    return RolloutRecord(
        id=row["id"],
        target=row["target"],
        fleet=row["fleet"],
        strategy=Strategy.model_validate_json(row["strategy"]),
        state=RolloutState(row["state"]),
        created=dt.datetime.fromisoformat(row["created"]),
        updated=dt.datetime.fromisoformat(row["updated"]),
        actor=row["actor"],
        detail=row["detail"],
        request=Request(row["request"]) if row["request"] else None,
        runner=decode_settings(row["runner"]),
    )


def _wave(row: sqlite3.Row, audit: Sequence[AuditEntry]) -> WaveRecord:
    """A wave row; its approvers are counted from the rollout's ``audit`` trail (a file from
    before approvals were counted per person names the one approver in ``approved_by``)."""
    approved_by = row["approved_by"]
    approvers = approvers_in(audit, row["name"])
    if not approvers and approved_by:
        approvers = tuple(approved_by.split(", "))
    return WaveRecord(
        rollout=row["rollout"],
        index=row["idx"],
        name=row["name"],
        state=WaveState(row["state"]),
        approvals_needed=int(row["approval"]),
        approvers=approvers,
        approved_by=approved_by,
        approved_at=_time(row["approved_at"]),
        soak_until=_time(row["soak_until"]),
        started=_time(row["started"]),
        finished=_time(row["finished"]),
        detail=row["detail"],
    )


def _baseline(text: str | None) -> Baseline | None:
    if not text:
        return None
    data = json.loads(text)
    return Baseline(frozenset(data["unavailable"]), frozenset(data["crashing"]))


def _cluster(row: sqlite3.Row) -> ClusterRecord:
    return ClusterRecord(
        rollout=row["rollout"],
        ref=ref_from(row["name"], json.loads(row["labels"]), json.loads(row["target"])),
        wave=row["wave"],
        position=row["position"],
        state=ClusterState(row["state"]),
        plan=ClusterPlan.model_validate_json(row["plan"]) if row["plan"] else None,
        baseline=_baseline(row["baseline"]),
        from_version=row["from_version"],
        final_version=row["final_version"],
        findings_before=_counts(row["findings_before"]),
        findings_after=_counts(row["findings_after"]),
        started=_time(row["started"]),
        finished=_time(row["finished"]),
        detail=row["detail"],
    )


def _step(row: sqlite3.Row) -> StepRecord:
    return StepRecord(
        rollout=row["rollout"],
        cluster=row["cluster"],
        order=row["step"],
        type=row["type"],
        target=row["target"],
        state=StepState(row["state"]),
        from_version=row["from_version"],
        to_version=row["to_version"],
        why=row["why"],
        started=_time(row["started"]),
        finished=_time(row["finished"]),
        detail=row["detail"],
    )


def _entry(row: sqlite3.Row) -> JournalEntry:
    return JournalEntry(
        seq=row["seq"],
        rollout=row["rollout"],
        time=dt.datetime.fromisoformat(row["time"]),
        actor=row["actor"],
        entity=Entity(row["entity"]),
        ref=row["ref"],
        from_state=row["from_state"],
        to_state=row["to_state"],
        detail=row["detail"],
    )


def _lease(row: sqlite3.Row) -> LeaseRecord:
    return LeaseRecord(
        rollout=row["rollout"],
        holder=row["holder"],
        host=row["host"],
        pid=row["pid"],
        pid_started=row["pid_started"],
        expires=dt.datetime.fromisoformat(row["expires"]),
    )


_KEYS = {
    Entity.ROLLOUT: ("rollouts", ("id",)),
    Entity.WAVE: ("waves", ("rollout", "idx")),
    Entity.CLUSTER: ("clusters", ("rollout", "name")),
    Entity.STEP: ("steps", ("rollout", "cluster", "step")),
}


class Store:
    """A rollout state file (the SQLite ``RolloutStore``); safe to use from several threads and
    processes at once.

    ``create``: make the file (and its directory) when it does not exist; commands that only
    read or continue a rollout pass False, so a mistyped ``--state`` is an error, not a new empty
    file. A file kubecurrent did not create (another application's SQLite database) is refused
    before anything is written to it.
    """

    def __init__(self, path: Path, *, create: bool = True) -> None:
        self.path = path
        if not create and not path.exists():
            raise UsageError(
                f"{path}: no rollout state file here",
                hint="check --state (or KUBECURRENT_STATE); `kubecurrent rollout start` creates one",
            )
        try:
            if path.exists():
                _check_owner(path)
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
            with self._connect() as db:
                version = db.execute("PRAGMA user_version").fetchone()[0]
                if version > SCHEMA_VERSION:
                    raise UsageError(
                        f"{path}: written by a newer kubecurrent (schema {version})",
                        hint="upgrade kubecurrent, or point --state at another file",
                    )
                if version < SCHEMA_VERSION:  # readers of a current file never take a write lock
                    db.executescript(_SCHEMA)
                    _migrate(db)
                    db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except sqlite3.OperationalError as exc:
            raise _state_error(path, exc) from None
        except sqlite3.DatabaseError as exc:
            raise UsageError(
                f"{path}: not a kubecurrent state file ({exc})",
                hint="point --state at another file; this one is left untouched",
            ) from None
        except OSError as exc:
            raise UsageError(f"{path}: cannot open: {exc}", hint="check --state") from None

    @property
    def where(self) -> str:
        return str(self.path)

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        except sqlite3.OperationalError as exc:
            raise _state_error(self.path, exc) from None
        try:
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.execute("PRAGMA foreign_keys=ON")
            yield db
        except sqlite3.OperationalError as exc:
            raise _state_error(self.path, exc) from None
        finally:
            db.close()

    @contextlib.contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE: writers queue instead of failing)."""
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def _rows(self, sql: str, *args: object) -> list[sqlite3.Row]:
        with self._connect() as db:
            return list(db.execute(sql, args).fetchall())

    # --- reading ---------------------------------------------------------------------------

    def rollout(self, rid: str) -> RolloutRecord:
        found = self._rows("SELECT * FROM rollouts WHERE id = ?", rid)
        if not found:
            known = [r["id"] for r in self._rows("SELECT id FROM rollouts ORDER BY created DESC")]
            raise UsageError(
                f"no rollout {rid!r} in {self.path}",
                hint=f"known: {', '.join(known[:5])}"
                if known
                else "start one with `kubecurrent rollout start`",
            )
        return _rollout(found[0])

    def rollouts(self) -> list[RolloutRecord]:
        return [
            _rollout(r) for r in self._rows("SELECT * FROM rollouts ORDER BY created DESC, id DESC")
        ]

    def latest(self) -> str:
        found = self._rows("SELECT id FROM rollouts ORDER BY created DESC, id DESC LIMIT 1")
        if not found:
            raise UsageError(
                f"no rollouts in {self.path}", hint="start one with `kubecurrent rollout start`"
            )
        return str(found[0]["id"])

    def waves(self, rid: str) -> list[WaveRecord]:
        with self._connect() as db:
            return _waves(db, rid)

    def clusters(self, rid: str, wave: int | None = None) -> list[ClusterRecord]:
        if wave is None:
            found = self._rows("SELECT * FROM clusters WHERE rollout = ? ORDER BY position", rid)
        else:
            found = self._rows(
                "SELECT * FROM clusters WHERE rollout = ? AND wave = ? ORDER BY position", rid, wave
            )
        return [_cluster(r) for r in found]

    def steps(self, rid: str, cluster: str | None = None) -> list[StepRecord]:
        if cluster is None:
            found = self._rows("SELECT * FROM steps WHERE rollout = ? ORDER BY cluster, step", rid)
        else:
            found = self._rows(
                "SELECT * FROM steps WHERE rollout = ? AND cluster = ? ORDER BY step", rid, cluster
            )
        return [_step(r) for r in found]

    def journal(self, rid: str) -> list[JournalEntry]:
        return [
            _entry(r)
            for r in self._rows("SELECT * FROM journal WHERE rollout = ? ORDER BY seq", rid)
        ]

    def audit_records(self, rid: str) -> list[AuditEntry]:
        with self._connect() as db:
            return _audit_records(db, rid)

    def lease(self, rid: str) -> LeaseRecord | None:
        found = self._rows("SELECT * FROM leases WHERE rollout = ?", rid)
        return _lease(found[0]) if found else None

    # --- creating and recording ------------------------------------------------------------

    def create(
        self,
        rollout: RolloutRecord,
        waves: Sequence[WaveRecord],
        clusters: Sequence[ClusterRecord],
        change: Change,
    ) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO rollouts(id, target, fleet, strategy, state, request, created, "
                "updated, actor, detail, runner) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    rollout.id,
                    rollout.target,
                    rollout.fleet,
                    rollout.strategy.model_dump_json(by_alias=True),
                    rollout.state,
                    rollout.request,
                    stamp(rollout.created),
                    stamp(rollout.updated),
                    rollout.actor,
                    rollout.detail,
                    encode_settings(rollout.runner),
                ),
            )
            for w in waves:
                db.execute(
                    "INSERT INTO waves(rollout, idx, name, state, approval) VALUES (?, ?, ?, ?, ?)",
                    (rollout.id, w.index, w.name, w.state, w.approvals_needed),
                )
            for c in clusters:
                db.execute(
                    "INSERT INTO clusters(rollout, name, wave, position, labels, target, state) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        rollout.id,
                        c.name,
                        c.wave,
                        c.position,
                        json.dumps(c.ref.labels),
                        json.dumps(ref_where(c.ref)),
                        c.state,
                    ),
                )
            _note(db, rollout.id, change)

    def record_plan(
        self,
        rid: str,
        cluster: str,
        plan: ClusterPlan,
        findings_before: Mapping[str, int],
        change: Change,
    ) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE clusters SET plan = ?, from_version = ?, findings_before = ? "
                "WHERE rollout = ? AND name = ?",
                (
                    plan.model_dump_json(by_alias=True),
                    plan.from_version,
                    json.dumps(dict(findings_before)),
                    rid,
                    cluster,
                ),
            )
            for step in plan.steps:
                db.execute(
                    "INSERT OR IGNORE INTO steps(rollout, cluster, step, type, target, "
                    "from_version, to_version, why, state) VALUES (?,?,?,?,?,?,?,?,?)",
                    (
                        rid,
                        cluster,
                        step.order,
                        step.type,
                        step.target,
                        step.from_,
                        step.to,
                        step.why,
                        StepState.PENDING,
                    ),
                )
            _note(db, rid, change)

    def keep_baseline(self, rid: str, cluster: str, baseline: Baseline) -> None:
        data = {"unavailable": sorted(baseline.unavailable), "crashing": sorted(baseline.crashing)}
        with self._tx() as db:
            db.execute(
                "UPDATE clusters SET baseline = ? WHERE rollout = ? AND name = ?",
                (json.dumps(data), rid, cluster),
            )

    def set_runner(
        self, rid: str, settings: RunnerSettings, change: Change, audit: AuditEntry
    ) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE rollouts SET runner = ? WHERE id = ?",
                (encode_settings(settings), rid),
            )
            _note(db, rid, change)
            _audit(db, audit)

    def note(self, rid: str, change: Change) -> None:
        with self._tx() as db:
            _note(db, rid, change)

    def audit(self, entry: AuditEntry) -> None:
        with self._tx() as db:
            _audit(db, entry)

    # --- requests and approvals ------------------------------------------------------------

    def request(
        self, rid: str, request: Request | None, change: Change, audit: AuditEntry | None = None
    ) -> None:
        with self._tx() as db:
            db.execute("UPDATE rollouts SET request = ? WHERE id = ?", (request, rid))
            if change.detail:
                _note(db, rid, change)
            if audit is not None:
                _audit(db, audit)

    def record_approval(self, rid: str, wave: int, change: Change, audit: AuditEntry) -> Approval:
        # BEGIN IMMEDIATE holds the write lock from the first read: approvals queue, so the
        # approvers read here are the ones the decision is written against.
        with self._tx() as db:
            found = db.execute("SELECT * FROM rollouts WHERE id = ?", (rid,)).fetchone()
            current = next((w for w in _waves(db, rid) if w.index == wave), None)
            if found is None or current is None:
                raise KeyError(f"no wave {wave} in rollout {rid}")
            outcome = judge(_rollout(found), current, change.actor)
            approvers = current.approvers
            if outcome is ApprovalOutcome.STARTER_REFUSED:
                _audit(db, refusal(audit, current.name))
            elif outcome.recorded:
                approvers = (*approvers, change.actor)
                _note(db, rid, change)
                _audit(db, audit)
            if outcome is ApprovalOutcome.OPENED:
                db.execute(
                    "UPDATE waves SET approved_by = ?, approved_at = ? WHERE rollout = ? AND idx = ?",
                    (", ".join(approvers), stamp(change.when), rid, wave),
                )
        return Approval(current.name, approvers, current.approvals_needed, outcome)

    # --- transitions -----------------------------------------------------------------------

    def move_rollout(
        self,
        rid: str,
        to: RolloutState,
        change: Change,
        *,
        only_from: frozenset[RolloutState] | None = None,
        clear_request: bool = False,
    ) -> RolloutState | None:
        fields: dict[str, object] = {"updated": stamp(change.when), "detail": change.detail}
        if clear_request:
            fields["request"] = None
        with self._tx() as db:
            old = _move(db, Entity.ROLLOUT, (rid,), rid, to, change, only_from, fields)
        return RolloutState(old) if old is not None else None

    def move_wave(
        self,
        rid: str,
        wave: int,
        to: WaveState,
        change: Change,
        *,
        only_from: frozenset[WaveState] | None = None,
        started: dt.datetime | None = None,
        finished: dt.datetime | None = None,
        soak_until: dt.datetime | None = None,
    ) -> WaveState | None:
        fields = _given(
            detail=change.detail, started=started, finished=finished, soak_until=soak_until
        )
        with self._tx() as db:
            old = _move(db, Entity.WAVE, (rid, wave), rid, to, change, only_from, fields)
        return WaveState(old) if old is not None else None

    def move_waves(
        self, rid: str, to: WaveState, change: Change, *, only_from: frozenset[WaveState]
    ) -> list[int]:
        moved = []
        with self._tx() as db:
            found = db.execute("SELECT idx FROM waves WHERE rollout = ? ORDER BY idx", (rid,))
            for (idx,) in found.fetchall():
                fields = _given(detail=change.detail)
                if _move(db, Entity.WAVE, (rid, idx), rid, to, change, only_from, fields):
                    moved.append(int(idx))
        return moved

    def move_cluster(
        self,
        rid: str,
        cluster: str,
        to: ClusterState,
        change: Change,
        *,
        only_from: frozenset[ClusterState] | None = None,
        started: dt.datetime | None = None,
        finished: dt.datetime | None = None,
        final_version: str | None = None,
        findings_after: Mapping[str, int] | None = None,
    ) -> ClusterState | None:
        fields = _given(
            detail=change.detail,
            started=started,
            finished=finished,
            final_version=final_version,
            findings_after=findings_after,
        )
        with self._tx() as db:
            old = _move(db, Entity.CLUSTER, (rid, cluster), rid, to, change, only_from, fields)
        return ClusterState(old) if old is not None else None

    def move_clusters(
        self, rid: str, to: ClusterState, change: Change, *, only_from: frozenset[ClusterState]
    ) -> list[str]:
        moved = []
        with self._tx() as db:
            found = db.execute(
                "SELECT name FROM clusters WHERE rollout = ? ORDER BY position", (rid,)
            )
            for (name,) in found.fetchall():
                fields = _given(detail=change.detail)
                if _move(db, Entity.CLUSTER, (rid, name), rid, to, change, only_from, fields):
                    moved.append(str(name))
        return moved

    def move_step(
        self,
        rid: str,
        cluster: str,
        order: int,
        to: StepState,
        change: Change,
        *,
        audit: AuditEntry | None = None,
        started: dt.datetime | None = None,
        finished: dt.datetime | None = None,
    ) -> StepState | None:
        fields = _given(detail=change.detail or None, started=started, finished=finished)
        with self._tx() as db:
            if audit is not None:
                _audit(db, audit)
            old = _move(db, Entity.STEP, (rid, cluster, order), rid, to, change, None, fields)
        return StepState(old) if old is not None else None

    # --- the driver lease ------------------------------------------------------------------

    def take_lease(
        self, lease: LeaseRecord, now: dt.datetime, dead: Callable[[LeaseRecord], bool]
    ) -> LeaseRecord | None:
        with self._tx() as db:
            row = db.execute("SELECT * FROM leases WHERE rollout = ?", (lease.rollout,)).fetchone()
            if row is not None:
                held = _lease(row)
                if held.holder != lease.holder and held.expires > now and not dead(held):
                    return held
            db.execute(
                "INSERT OR REPLACE INTO leases(rollout, holder, host, pid, pid_started, expires) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    lease.rollout,
                    lease.holder,
                    lease.host,
                    lease.pid,
                    lease.pid_started,
                    stamp(lease.expires),
                ),
            )
        return None

    def renew_lease(self, rid: str, holder: str, expires: dt.datetime) -> bool:
        with self._tx() as db:
            done = db.execute(
                "UPDATE leases SET expires = ? WHERE rollout = ? AND holder = ?",
                (stamp(expires), rid, holder),
            )
            return done.rowcount > 0

    def release_lease(self, rid: str, holder: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM leases WHERE rollout = ? AND holder = ?", (rid, holder))


def _audit_records(db: sqlite3.Connection, rid: str) -> list[AuditEntry]:
    found = db.execute("SELECT record FROM audit WHERE rollout = ? ORDER BY seq", (rid,))
    return [AuditEntry.from_json(json.loads(r["record"])) for r in found.fetchall()]


def _waves(db: sqlite3.Connection, rid: str) -> list[WaveRecord]:
    audit = _audit_records(db, rid)
    found = db.execute("SELECT * FROM waves WHERE rollout = ? ORDER BY idx", (rid,))
    return [_wave(r, audit) for r in found.fetchall()]


def _given(**fields: object) -> dict[str, object]:
    """The fields to set: those given (None means keep); times and counts as stored."""
    out: dict[str, object] = {}
    for key, value in fields.items():
        if value is None:
            continue
        if isinstance(value, dt.datetime):
            value = stamp(value)
        elif isinstance(value, Mapping):
            value = json.dumps(dict(value))
        out[key] = value
    return out


def _move(
    db: sqlite3.Connection,
    entity: Entity,
    key: tuple[object, ...],
    rid: str,
    to: StrEnum,
    change: Change,
    only_from: frozenset[Any] | None,
    fields: dict[str, object],
) -> str | None:
    """Set ``state`` (and ``fields``) of one row and journal the change; returns the old state
    (None, changing nothing, when it is not in ``only_from``)."""
    table, columns = _KEYS[entity]
    where = " AND ".join(f"{c} = ?" for c in columns)
    old = db.execute(f"SELECT state FROM {table} WHERE {where}", key).fetchone()  # noqa: S608
    if old is None:
        raise KeyError(f"no {entity} {key} in rollout {rid}")
    if only_from is not None and old["state"] not in only_from:
        return None
    sets = {"state": str(to), **fields}
    assignments = ", ".join(f"{k} = ?" for k in sets)
    db.execute(f"UPDATE {table} SET {assignments} WHERE {where}", (*sets.values(), *key))  # noqa: S608
    if old["state"] != to:
        ref = ":".join(str(v) for v in key[1:]) or rid
        db.execute(
            "INSERT INTO journal(rollout, time, actor, entity, ref, from_state, to_state, "
            "detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                rid,
                stamp(change.when),
                change.actor,
                entity,
                ref,
                old["state"],
                str(to),
                change.detail,
            ),
        )
    return str(old["state"])


def _note(db: sqlite3.Connection, rid: str, change: Change) -> None:
    db.execute(
        "INSERT INTO journal(rollout, time, actor, entity, ref, from_state, to_state, detail) "
        "VALUES (?, ?, ?, ?, ?, NULL, ?, ?)",
        (rid, stamp(change.when), change.actor, Entity.NOTE, rid, Entity.NOTE, change.detail),
    )


def _audit(db: sqlite3.Connection, entry: AuditEntry) -> None:
    db.execute(
        "INSERT INTO audit(rollout, record) VALUES (?, ?)",
        (entry.rollout, json.dumps(entry.to_json(), default=str)),
    )


def _conforms(store: Store) -> RolloutStore:
    """mypy checks here that ``Store`` is a ``RolloutStore``."""
    return store
