"""The rollout state store: one SQLite file holding every rollout, its journal and audit trail.

Tables (``docs/rollout.md`` documents them for people who query the file)::

    rollouts   one row per rollout: target, strategy, runner options, state, pending request
    waves      per rollout and wave: state, approval (who, when), soak deadline
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
import secrets
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kubecurrent.errors import UsageError

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

_TABLES = {"rollout": "rollouts", "wave": "waves", "cluster": "clusters", "step": "steps"}


def _migrate(db: sqlite3.Connection) -> None:
    """Bring a file written by an older kubecurrent up to this schema (only ever adds)."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(rollouts)")}
    if "runner" not in columns:
        try:
            db.execute("ALTER TABLE rollouts ADD COLUMN runner TEXT NOT NULL DEFAULT '{}'")
        except sqlite3.OperationalError as exc:  # another process migrated it just now
            if "duplicate column" not in str(exc):
                raise


_OURS = {*_TABLES.values(), "journal", "audit", "leases", "sqlite_sequence"}


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


def stamp(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).isoformat(timespec="seconds")


def new_id(now: dt.datetime) -> str:
    return f"r-{now.astimezone(dt.UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


APPLICATION_ID = 0x6B637572
"""``PRAGMA application_id`` of a kubecurrent state file ("kcur")."""


class Store:
    """A rollout state file; safe to use from several threads and processes at once.

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
    def tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE: writers queue instead of failing)."""
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def rows(self, sql: str, *args: Any) -> list[dict[str, Any]]:
        with self._connect() as db:
            return [dict(r) for r in db.execute(sql, args).fetchall()]

    def row(self, sql: str, *args: Any) -> dict[str, Any] | None:
        found = self.rows(sql, *args)
        return found[0] if found else None

    # --- changes, each journalled --------------------------------------------------------

    def transition(
        self,
        db: sqlite3.Connection,
        *,
        rollout: str,
        entity: str,
        key: dict[str, Any],
        to: str,
        actor: str,
        when: dt.datetime,
        detail: str = "",
        **fields: Any,
    ) -> str | None:
        """Set ``state`` (and ``fields``) of one row and journal the change; returns the old state.

        A transition to the state the row is already in changes ``fields`` but writes no
        journal entry, so repeating an action after a crash leaves a single record.
        """
        table = _TABLES[entity]
        where = " AND ".join(f"{k} = ?" for k in key)
        found = db.execute(f"SELECT state FROM {table} WHERE {where}", tuple(key.values()))  # noqa: S608
        old = found.fetchone()
        if old is None:
            raise KeyError(f"no {entity} {key}")
        sets = {"state": to, **fields}
        if entity == "rollout":
            sets["updated"] = stamp(when)
        if detail or entity != "step":
            sets.setdefault("detail", detail)
        assignments = ", ".join(f"{k} = ?" for k in sets)
        db.execute(
            f"UPDATE {table} SET {assignments} WHERE {where}",  # noqa: S608
            (*sets.values(), *key.values()),
        )
        if old["state"] != to:
            ref = ":".join(str(v) for k, v in key.items() if k != "rollout") or rollout
            db.execute(
                "INSERT INTO journal(rollout, time, actor, entity, ref, from_state, to_state, "
                "detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (rollout, stamp(when), actor, entity, ref, old["state"], to, detail),
            )
        return str(old["state"])

    def move_all(
        self,
        db: sqlite3.Connection,
        *,
        rollout: str,
        entity: str,
        where: str,
        to: str,
        actor: str,
        when: dt.datetime,
        detail: str = "",
    ) -> None:
        """``transition`` every cluster or wave of ``rollout`` whose row matches ``where``."""
        table, column = {"cluster": ("clusters", "name"), "wave": ("waves", "idx")}[entity]
        found = db.execute(
            f"SELECT {column} FROM {table} WHERE rollout = ? AND {where}",  # noqa: S608
            (rollout,),
        ).fetchall()
        for row in found:
            self.transition(
                db,
                rollout=rollout,
                entity=entity,
                key={"rollout": rollout, column: row[column]},
                to=to,
                actor=actor,
                when=when,
                detail=detail,
            )

    def note(
        self, db: sqlite3.Connection, rollout: str, actor: str, when: dt.datetime, what: str
    ) -> None:
        """A journal entry that is not a state change (an approval, a request, a hold)."""
        db.execute(
            "INSERT INTO journal(rollout, time, actor, entity, ref, from_state, to_state, detail) "
            "VALUES (?, ?, ?, 'note', ?, NULL, 'note', ?)",
            (rollout, stamp(when), actor, rollout, what),
        )

    def audit(self, rollout: str, record: dict[str, Any]) -> None:
        with self.tx() as db:
            db.execute(
                "INSERT INTO audit(rollout, record) VALUES (?, ?)", (rollout, json.dumps(record))
            )

    # --- reading --------------------------------------------------------------------------

    def rollout(self, rollout_id: str) -> dict[str, Any]:
        found = self.row("SELECT * FROM rollouts WHERE id = ?", rollout_id)
        if found is None:
            known = [r["id"] for r in self.rows("SELECT id FROM rollouts ORDER BY created DESC")]
            raise UsageError(
                f"no rollout {rollout_id!r} in {self.path}",
                hint=f"known: {', '.join(known[:5])}"
                if known
                else "start one with `kubecurrent rollout start`",
            )
        return found

    def latest(self) -> str:
        found = self.row("SELECT id FROM rollouts ORDER BY created DESC, id DESC LIMIT 1")
        if found is None:
            raise UsageError(
                f"no rollouts in {self.path}", hint="start one with `kubecurrent rollout start`"
            )
        return str(found["id"])

    def journal(self, rollout_id: str) -> list[dict[str, Any]]:
        return self.rows("SELECT * FROM journal WHERE rollout = ? ORDER BY seq", rollout_id)

    def audit_records(self, rollout_id: str) -> list[dict[str, Any]]:
        found = self.rows("SELECT record FROM audit WHERE rollout = ? ORDER BY seq", rollout_id)
        return [json.loads(r["record"]) for r in found]
