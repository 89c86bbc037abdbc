"""What people do to rollouts: start one, pause, resume, abort, approve, and look at them.

These only change the store. A running driver notices pause and abort requests between steps;
when no driver runs, the change takes effect at once. ``approve`` and ``resume`` leave the
driving to the caller (the CLI and the dashboard call ``Engine.drive`` afterwards).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from typing import Any

from kubecurrent.errors import UsageError
from kubecurrent.rollout._approvals import Approval, approvers
from kubecurrent.rollout._records import ClusterRef, cluster_ref, ref_json, strategy_of
from kubecurrent.rollout._store import Store, new_id, stamp
from kubecurrent.rollout._strategy import Member, Strategy, assign_waves

__all__ = [
    "abort",
    "approve",
    "change_runner",
    "create",
    "driven",
    "pause",
    "prepare_resume",
    "runner_options",
    "snapshot",
    "summaries",
]

ACTIVE = ("pending", "running", "waiting-approval", "paused", "halted")
UNFINISHED = "state NOT IN ('done', 'failed', 'aborted')"


def create(
    store: Store,
    *,
    clusters: Sequence[ClusterRef],
    target: str,
    strategy: Strategy,
    fleet: str,
    actor: str,
    now: dt.datetime,
    runner: Mapping[str, Any] | None = None,
) -> str:
    """A new rollout with its waves and clusters, all pending; returns its id.

    ``runner`` holds how the clusters are upgraded (the caller's options, plain JSON data); a
    resume or approval uses them unless told otherwise (``change_runner``).
    """
    if not clusters:
        raise UsageError("the fleet has no clusters", hint="name at least one in the fleet file")
    waves = assign_waves(strategy, [Member(c.name, c.labels) for c in clusters])
    by_name = {c.name: c for c in clusters}
    rid = new_id(now)
    with store.tx() as db:
        db.execute(
            "INSERT INTO rollouts(id, target, fleet, strategy, state, request, created, updated, "
            "actor, detail, runner) VALUES (?, ?, ?, ?, 'pending', NULL, ?, ?, ?, '', ?)",
            (
                rid,
                target,
                fleet,
                strategy.model_dump_json(by_alias=True),
                stamp(now),
                stamp(now),
                actor,
                json.dumps(dict(runner or {}), sort_keys=True),
            ),
        )
        position = 0
        for idx, (wave, names) in enumerate(zip(strategy.waves, waves, strict=True)):
            db.execute(
                "INSERT INTO waves(rollout, idx, name, state, approval) VALUES (?, ?, ?, "
                "'pending', ?)",
                (rid, idx, wave.name, wave.approvals_needed),
            )
            for name in names:
                ref = by_name[name]
                db.execute(
                    "INSERT INTO clusters(rollout, name, wave, position, labels, target, state) "
                    "VALUES (?, ?, ?, ?, ?, ?, 'pending')",
                    (rid, name, idx, position, json.dumps(ref.labels), ref_json(ref)),
                )
                position += 1
        store.note(
            db,
            rid,
            actor,
            now,
            f"created: {len(clusters)} clusters to {target} in {len(waves)} waves",
        )
    return rid


def runner_options(store: Store, rid: str) -> dict[str, Any]:
    """The options the rollout's clusters are upgraded with (as recorded by ``create``)."""
    options = json.loads(store.rollout(rid)["runner"] or "{}")
    return options if isinstance(options, dict) else {}


def change_runner(
    store: Store, rid: str, changes: Mapping[str, Any], actor: str, now: dt.datetime
) -> dict[str, Any]:
    """Record new values for some runner options (journalled and audited, old → new);
    returns the options now in force."""
    options = runner_options(store, rid)
    changed = {k: v for k, v in changes.items() if options.get(k) != v}
    if not changed:
        return options
    what = "; ".join(
        f"{k}: {_show(options.get(k))} → {_show(v)}" for k, v in sorted(changed.items())
    )
    options.update(changed)
    with store.tx() as db:
        db.execute(
            "UPDATE rollouts SET runner = ? WHERE id = ?",
            (json.dumps(options, sort_keys=True), rid),
        )
        store.note(db, rid, actor, now, f"runner options changed: {what}")
        _audit(db, rid, actor, now, "rollout.runner", what)
    return options


def _show(value: Any) -> str:
    return "(none)" if value in (None, [], {}, "") else json.dumps(value)


def driven(store: Store, rid: str, now: dt.datetime) -> bool:
    """Whether a driver holds an unexpired lease on the rollout."""
    row = store.row("SELECT expires FROM leases WHERE rollout = ?", rid)
    return row is not None and dt.datetime.fromisoformat(row["expires"]) > now


def pause(store: Store, rid: str, actor: str, now: dt.datetime) -> str:
    return _request(store, rid, "pause", actor, now)


def abort(store: Store, rid: str, actor: str, now: dt.datetime) -> str:
    return _request(store, rid, "abort", actor, now)


def _request(store: Store, rid: str, what: str, actor: str, now: dt.datetime) -> str:
    row = store.rollout(rid)
    if row["state"] in ("done", "aborted"):
        raise UsageError(f"rollout {rid} is {row['state']}; there is nothing to {what}")
    if what == "pause" and row["state"] == "paused":
        return "paused"
    with store.tx() as db:
        db.execute("UPDATE rollouts SET request = ? WHERE id = ?", (what, rid))
        store.note(db, rid, actor, now, f"{what} requested")
        _audit(db, rid, actor, now, f"rollout.{what}")
    if driven(store, rid, now):
        return f"{what} requested"
    # Nobody drives it: apply now.
    with store.tx() as db:
        if what == "abort":
            store.move_all(
                db,
                rollout=rid,
                entity="cluster",
                where=UNFINISHED,
                to="aborted",
                actor=actor,
                when=now,
            )
        to = "aborted" if what == "abort" else "paused"
        store.transition(
            db,
            rollout=rid,
            entity="rollout",
            key={"id": rid},
            to=to,
            actor=actor,
            when=now,
            detail=f"{to} by {actor}",
        )
        db.execute("UPDATE rollouts SET request = NULL WHERE id = ?", (rid,))
    return to


def prepare_resume(
    store: Store, rid: str, actor: str, now: dt.datetime, retry_failed: bool = False
) -> None:
    """Clear a pause; with ``retry_failed``, put failed clusters back in line after a halt."""
    row = store.rollout(rid)
    if row["state"] == "done":
        return  # resuming a finished rollout is a no-op (a resume after a late kill)
    if row["state"] == "aborted":
        raise UsageError(
            f"rollout {rid} was aborted; it cannot be resumed", hint="start a new rollout"
        )
    if row["state"] == "halted" and not retry_failed:
        raise UsageError(
            f"rollout {rid} halted: {row['detail']}",
            hint="fix the failing clusters, then `kubecurrent rollout resume "
            f"{rid} --retry-failed`, or abort it",
        )
    with store.tx() as db:
        db.execute("UPDATE rollouts SET request = NULL WHERE id = ?", (rid,))
        store.note(
            db, rid, actor, now, "resume" + (" retrying failed clusters" if retry_failed else "")
        )
        _audit(db, rid, actor, now, "rollout.resume")
        if retry_failed:
            for entity, where in (("cluster", "state = 'failed'"), ("wave", "state = 'halted'")):
                store.move_all(
                    db,
                    rollout=rid,
                    entity=entity,
                    where=where,
                    to="pending",
                    actor=actor,
                    when=now,
                    detail="retry after halt",
                )


def approve(
    store: Store, rid: str, wave: str | None, actor: str, now: dt.datetime, note: str = ""
) -> Approval:
    """Record ``actor``'s approval of a wave (the one waiting, when not named); the gate opens
    once as many different people as the wave needs have approved (``_approvals``)."""
    store.rollout(rid)
    waves = store.rows("SELECT * FROM waves WHERE rollout = ? ORDER BY idx", rid)
    if wave is None:
        waiting = [w for w in waves if w["state"] == "waiting-approval"]
        if not waiting:
            gated = [w["name"] for w in waves if w["approval"] and not w["approved_by"]]
            raise UsageError(
                f"no wave of rollout {rid} is waiting for approval",
                hint=f"name one with --wave ({', '.join(gated)})"
                if gated
                else "this rollout has no approval gates left",
            )
        chosen = waiting[0]
    else:
        found = [w for w in waves if w["name"] == wave]
        if not found:
            raise UsageError(
                f"rollout {rid} has no wave {wave!r}",
                hint=f"waves: {', '.join(w['name'] for w in waves)}",
            )
        chosen = found[0]
    name, needed = str(chosen["name"]), int(chosen["approval"])
    if not needed:
        raise UsageError(f"wave {name} of rollout {rid} needs no approval")
    if chosen["approved_by"]:
        return Approval(name, tuple(str(chosen["approved_by"]).split(", ")), needed)
    _refuse_the_starter(store, rid, name, actor, now)
    with store.tx() as db:
        audit = db.execute("SELECT record FROM audit WHERE rollout = ? ORDER BY seq", (rid,))
        so_far = approvers((json.loads(r[0]) for r in audit.fetchall()), name)
        if actor in so_far:
            raise UsageError(
                f"{actor} already approved wave {name} of rollout {rid}; it needs "
                f"{needed - len(so_far)} more approval(s) from someone else",
                hint="ask another operator to approve",
            )
        result = Approval(name, (*so_far, actor), needed)
        if result.complete:
            db.execute(
                "UPDATE waves SET approved_by = ?, approved_at = ? WHERE rollout = ? AND idx = ?",
                (", ".join(result.approvers), stamp(now), rid, chosen["idx"]),
            )
        count = f" ({len(result.approvers)} of {needed})" if needed > 1 else ""
        store.note(
            db, rid, actor, now, f"wave {name} approved{count}" + (f": {note}" if note else "")
        )
        _audit(db, rid, actor, now, "wave.approve", detail=f"wave {name} {note}".strip(), wave=name)
    return result


def _refuse_the_starter(store: Store, rid: str, wave: str, actor: str, now: dt.datetime) -> None:
    """With ``starterMayApprove: false``, the starter's approval is refused (and audited)."""
    row = store.rollout(rid)
    if row["actor"] != actor or strategy_of(row).starter_may_approve:
        return
    why = "the starter's approval does not count (starterMayApprove: false)"
    with store.tx() as db:
        _audit(db, rid, actor, now, "wave.approve", f"wave {wave}: {why}", "denied", wave=wave)
    raise UsageError(
        f"{actor} started rollout {rid}; {why}",
        hint=f"another operator approves wave {wave}",
    )


def _audit(
    db: Any,
    rid: str,
    actor: str,
    now: dt.datetime,
    action: str,
    detail: str = "",
    outcome: str = "ok",
    **fields: str,
) -> None:
    record = {
        "time": stamp(now),
        "user": actor,
        "cluster": None,
        "action": action,
        "rollout": rid,
        "outcome": outcome,
        "detail": detail,
        **fields,
    }
    db.execute("INSERT INTO audit(rollout, record) VALUES (?, ?)", (rid, json.dumps(record)))


def summaries(store: Store) -> list[dict[str, Any]]:
    """Every rollout, newest first, with cluster counts per state."""
    out = []
    for r in store.rows("SELECT * FROM rollouts ORDER BY created DESC, id DESC"):
        counts = store.rows(
            "SELECT state, COUNT(*) AS n FROM clusters WHERE rollout = ? GROUP BY state", r["id"]
        )
        out.append(
            {
                "id": r["id"],
                "target": r["target"],
                "state": r["state"],
                "created": r["created"],
                "updated": r["updated"],
                "actor": r["actor"],
                "detail": r["detail"],
                "clusters": {c["state"]: c["n"] for c in counts},
            }
        )
    return out


def _provider(row: dict[str, Any]) -> str | None:
    """The managed cloud a rollout's cluster is reached through (None: a kubeconfig)."""
    cloud = cluster_ref(row).cloud
    return cloud.provider if cloud is not None else None


def snapshot(store: Store, rid: str) -> dict[str, Any]:
    """The whole rollout as plain data: waves, their clusters, each cluster's steps."""
    r = store.rollout(rid)
    steps: dict[str, list[dict[str, Any]]] = {}
    for s in store.rows("SELECT * FROM steps WHERE rollout = ? ORDER BY cluster, step", rid):
        steps.setdefault(s["cluster"], []).append(
            {
                "order": s["step"],
                "type": s["type"],
                "target": s["target"],
                "from": s["from_version"],
                "to": s["to_version"],
                "why": s["why"],
                "state": s["state"],
                "started": s["started"],
                "finished": s["finished"],
                "detail": s["detail"],
            }
        )
    waves = []
    audit = store.audit_records(rid)
    for w in store.rows("SELECT * FROM waves WHERE rollout = ? ORDER BY idx", rid):
        members = store.rows(
            "SELECT * FROM clusters WHERE rollout = ? AND wave = ? ORDER BY position", rid, w["idx"]
        )
        waves.append(
            {
                "name": w["name"],
                "state": w["state"],
                "approval": bool(w["approval"]),
                "approvals_needed": int(w["approval"]),
                "approvers": list(approvers(audit, w["name"])),
                "approved_by": w["approved_by"],
                "approved_at": w["approved_at"],
                "soak_until": w["soak_until"],
                "started": w["started"],
                "finished": w["finished"],
                "detail": w["detail"],
                "clusters": [
                    {
                        "name": m["name"],
                        "provider": _provider(m),
                        "state": m["state"],
                        "labels": json.loads(m["labels"]),
                        "from": m["from_version"],
                        "final": m["final_version"],
                        "started": m["started"],
                        "finished": m["finished"],
                        "detail": m["detail"],
                        "findings_before": json.loads(m["findings_before"] or "null"),
                        "findings_after": json.loads(m["findings_after"] or "null"),
                        "steps": steps.get(m["name"], []),
                    }
                    for m in members
                ],
            }
        )
    return {
        "id": r["id"],
        "target": r["target"],
        "state": r["state"],
        "request": r["request"],
        "fleet": r["fleet"],
        "created": r["created"],
        "updated": r["updated"],
        "actor": r["actor"],
        "detail": r["detail"],
        "strategy": json.loads(r["strategy"]),
        "runner": json.loads(r["runner"] or "{}"),
        "waves": waves,
    }
