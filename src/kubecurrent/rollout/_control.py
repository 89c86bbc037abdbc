"""What people do to rollouts: start one, pause, resume, abort, approve, and look at them.

These only change the store. A running driver notices pause and abort requests between steps;
when no driver runs, the change takes effect at once. ``approve`` and ``resume`` leave the
driving to the caller (the CLI and the dashboard call ``Engine.drive`` afterwards).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from kubecurrent.errors import UsageError
from kubecurrent.rollout._approvals import Approval, ApprovalOutcome
from kubecurrent.rollout._protocol import RolloutStore
from kubecurrent.rollout._records import ClusterRef
from kubecurrent.rollout._settings import RunnerSettings, settings_json
from kubecurrent.rollout._state import (
    UNFINISHED_CLUSTERS,
    AuditAction,
    AuditEntry,
    Change,
    ClusterRecord,
    ClusterState,
    Request,
    RolloutRecord,
    RolloutState,
    RolloutSummary,
    WaveRecord,
    WaveState,
    new_id,
    stamp,
)
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

ACTIVE = (
    RolloutState.PENDING,
    RolloutState.RUNNING,
    RolloutState.WAITING_APPROVAL,
    RolloutState.PAUSED,
    RolloutState.HALTED,
)


def create(
    store: RolloutStore,
    *,
    clusters: Sequence[ClusterRef],
    target: str,
    strategy: Strategy,
    fleet: str,
    actor: str,
    now: dt.datetime,
    runner: RunnerSettings | None = None,
) -> str:
    """A new rollout with its waves and clusters, all pending; returns its id.

    ``runner`` holds how the clusters are upgraded; a resume or approval uses it unless told
    otherwise (``change_runner``).
    """
    if not clusters:
        raise UsageError("the fleet has no clusters", hint="name at least one in the fleet file")
    waves = assign_waves(strategy, [Member(c.name, c.labels) for c in clusters])
    by_name = {c.name: c for c in clusters}
    rid = new_id(now)
    record = RolloutRecord(
        id=rid,
        target=target,
        fleet=fleet,
        strategy=strategy,
        state=RolloutState.PENDING,
        created=now,
        updated=now,
        actor=actor,
        runner=runner,
    )
    wave_records = [
        WaveRecord(rid, idx, wave.name, WaveState.PENDING, wave.approvals_needed)
        for idx, wave in enumerate(strategy.waves)
    ]
    members = [(idx, by_name[name]) for idx, names in enumerate(waves) for name in names]
    cluster_records = [
        ClusterRecord(rid, ref, idx, position, ClusterState.PENDING)
        for position, (idx, ref) in enumerate(members)
    ]
    what = f"created: {len(clusters)} clusters to {target} in {len(waves)} waves"
    store.create(record, wave_records, cluster_records, Change(actor, now, what))
    return rid


def runner_options(store: RolloutStore, rid: str) -> RunnerSettings | None:
    """The settings the rollout's clusters are upgraded with (as recorded by ``create``)."""
    return store.rollout(rid).runner


def change_runner(
    store: RolloutStore, rid: str, settings: RunnerSettings, actor: str, now: dt.datetime
) -> tuple[str, ...]:
    """Put ``settings`` in force for the rollout; the options that changed are journalled and
    audited old → new (all of them when nothing was recorded), and their names returned."""
    old, new = settings_json(runner_options(store, rid)), settings_json(settings)
    missing = object()
    changed = tuple(k for k in sorted(new) if old.get(k, missing) != new[k])
    if not changed:
        return ()
    what = "; ".join(f"{k}: {_show(old.get(k))} → {_show(new[k])}" for k in changed)
    store.set_runner(
        rid,
        settings,
        Change(actor, now, f"runner options changed: {what}"),
        _audit(rid, actor, now, AuditAction.RUNNER, what),
    )
    return changed


def _show(value: Any) -> str:
    return "(none)" if value in (None, [], {}, "") else json.dumps(value)


def driven(store: RolloutStore, rid: str, now: dt.datetime) -> bool:
    """Whether a driver holds an unexpired lease on the rollout."""
    lease = store.lease(rid)
    return lease is not None and lease.expires > now


def pause(store: RolloutStore, rid: str, actor: str, now: dt.datetime) -> str:
    return _request(store, rid, Request.PAUSE, actor, now)


def abort(store: RolloutStore, rid: str, actor: str, now: dt.datetime) -> str:
    return _request(store, rid, Request.ABORT, actor, now)


_REQUEST_AUDIT = {Request.PAUSE: AuditAction.PAUSE, Request.ABORT: AuditAction.ABORT}


def _request(store: RolloutStore, rid: str, what: Request, actor: str, now: dt.datetime) -> str:
    rollout = store.rollout(rid)
    if rollout.state.finished:
        raise UsageError(f"rollout {rid} is {rollout.state}; there is nothing to {what}")
    if what is Request.PAUSE and rollout.state is RolloutState.PAUSED:
        return str(RolloutState.PAUSED)
    audit = _audit(rid, actor, now, _REQUEST_AUDIT[what])
    store.request(rid, what, Change(actor, now, f"{what} requested"), audit)
    if driven(store, rid, now):
        return f"{what} requested"
    # Nobody drives it: apply now.
    to = RolloutState.ABORTED if what is Request.ABORT else RolloutState.PAUSED
    if what is Request.ABORT:
        store.move_clusters(
            rid, ClusterState.ABORTED, Change(actor, now), only_from=UNFINISHED_CLUSTERS
        )
    store.move_rollout(rid, to, Change(actor, now, f"{to} by {actor}"), clear_request=True)
    return str(to)


def prepare_resume(
    store: RolloutStore, rid: str, actor: str, now: dt.datetime, retry_failed: bool = False
) -> None:
    """Clear a pause; with ``retry_failed``, put failed clusters back in line after a halt."""
    rollout = store.rollout(rid)
    if rollout.state is RolloutState.DONE:
        return  # resuming a finished rollout is a no-op (a resume after a late kill)
    if rollout.state is RolloutState.ABORTED:
        raise UsageError(
            f"rollout {rid} was aborted; it cannot be resumed", hint="start a new rollout"
        )
    if rollout.state is RolloutState.HALTED and not retry_failed:
        raise UsageError(
            f"rollout {rid} halted: {rollout.detail}",
            hint="fix the failing clusters, then `kubecurrent rollout resume "
            f"{rid} --retry-failed`, or abort it",
        )
    what = "resume" + (" retrying failed clusters" if retry_failed else "")
    store.request(rid, None, Change(actor, now, what), _audit(rid, actor, now, AuditAction.RESUME))
    if retry_failed:
        retry = Change(actor, now, "retry after halt")
        store.move_clusters(
            rid, ClusterState.PENDING, retry, only_from=frozenset({ClusterState.FAILED})
        )
        store.move_waves(rid, WaveState.PENDING, retry, only_from=frozenset({WaveState.HALTED}))


def approve(
    store: RolloutStore, rid: str, wave: str | None, actor: str, now: dt.datetime, note: str = ""
) -> Approval:
    """Record ``actor``'s approval of a wave (the one waiting, when not named); the gate opens
    once as many different people as the wave needs have approved (``RolloutStore.
    record_approval`` counts them atomically). A refused starter or a second approval by the
    same person is a ``UsageError`` saying who else must approve."""
    store.rollout(rid)
    waves = store.waves(rid)
    if wave is None:
        waiting = [w for w in waves if w.state is WaveState.WAITING_APPROVAL]
        if not waiting:
            gated = [w.name for w in waves if w.approval and not w.approved_by]
            raise UsageError(
                f"no wave of rollout {rid} is waiting for approval",
                hint=f"name one with --wave ({', '.join(gated)})"
                if gated
                else "this rollout has no approval gates left",
            )
        chosen = waiting[0]
    else:
        found = [w for w in waves if w.name == wave]
        if not found:
            raise UsageError(
                f"rollout {rid} has no wave {wave!r}",
                hint=f"waves: {', '.join(w.name for w in waves)}",
            )
        chosen = found[0]
    if not chosen.approval:
        raise UsageError(f"wave {chosen.name} of rollout {rid} needs no approval")
    name, needed = chosen.name, chosen.approvals_needed
    count = f" ({len(chosen.approvers) + 1} of {needed})" if needed > 1 else ""
    said = f"wave {name} approved{count}" + (f": {note}" if note else "")
    audit = _audit(rid, actor, now, AuditAction.APPROVE, f"wave {name} {note}".strip(), wave=name)
    result = store.record_approval(rid, chosen.index, Change(actor, now, said), audit)
    if result.outcome is ApprovalOutcome.STARTER_REFUSED:
        raise UsageError(
            f"{actor} started rollout {rid}; the starter's approval does not count "
            "(starterMayApprove: false)",
            hint=f"another operator approves wave {name}",
        )
    if result.outcome is ApprovalOutcome.REPEATED:
        raise UsageError(
            f"{actor} already approved wave {name} of rollout {rid}; it needs "
            f"{needed - len(result.approvers)} more approval(s) from someone else",
            hint="ask another operator to approve",
        )
    return result


def _audit(
    rid: str, actor: str, now: dt.datetime, action: AuditAction, detail: str = "", **extra: str
) -> AuditEntry:
    return AuditEntry(time=now, user=actor, action=action, rollout=rid, detail=detail, extra=extra)


def summary_list(store: RolloutStore) -> list[RolloutSummary]:
    """Every rollout, newest first, with how many clusters are in each state."""
    out = []
    for rollout in store.rollouts():
        counts: dict[ClusterState, int] = {}
        for c in store.clusters(rollout.id):
            counts[c.state] = counts.get(c.state, 0) + 1
        out.append(RolloutSummary(rollout, counts))
    return out


def summaries(store: RolloutStore) -> list[dict[str, Any]]:
    """Every rollout, newest first, with cluster counts per state (plain data for output)."""
    return [
        {
            "id": s.rollout.id,
            "target": s.rollout.target,
            "state": str(s.rollout.state),
            "created": stamp(s.rollout.created),
            "updated": stamp(s.rollout.updated),
            "actor": s.rollout.actor,
            "detail": s.rollout.detail,
            "clusters": {str(k): v for k, v in s.clusters.items()},
        }
        for s in summary_list(store)
    ]


def _when(value: dt.datetime | None) -> str | None:
    return stamp(value) if value is not None else None


def _cluster_data(c: ClusterRecord, steps: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "name": c.name,
        "provider": c.ref.cloud.provider if c.ref.cloud is not None else None,
        "state": str(c.state),
        "labels": dict(c.ref.labels),
        "from": c.from_version,
        "final": c.final_version,
        "started": _when(c.started),
        "finished": _when(c.finished),
        "detail": c.detail,
        "findings_before": dict(c.findings_before) if c.findings_before is not None else None,
        "findings_after": dict(c.findings_after) if c.findings_after is not None else None,
        "steps": steps,
    }


def snapshot(store: RolloutStore, rid: str) -> dict[str, Any]:
    """The whole rollout as plain data (for JSON output and pages): waves, their clusters,
    each cluster's steps."""
    r = store.rollout(rid)
    steps: dict[str, list[dict[str, Any]]] = {}
    for s in store.steps(rid):
        steps.setdefault(s.cluster, []).append(
            {
                "order": s.order,
                "type": s.type,
                "target": s.target,
                "from": s.from_version,
                "to": s.to_version,
                "why": s.why,
                "state": str(s.state),
                "started": _when(s.started),
                "finished": _when(s.finished),
                "detail": s.detail,
            }
        )
    clusters = store.clusters(rid)
    waves = [
        {
            "name": w.name,
            "state": str(w.state),
            "approval": w.approval,
            "approvals_needed": w.approvals_needed,
            "approvers": list(w.approvers),
            "approved_by": w.approved_by,
            "approved_at": _when(w.approved_at),
            "soak_until": _when(w.soak_until),
            "started": _when(w.started),
            "finished": _when(w.finished),
            "detail": w.detail,
            "clusters": [
                _cluster_data(c, steps.get(c.name, [])) for c in clusters if c.wave == w.index
            ],
        }
        for w in store.waves(rid)
    ]
    return {
        "id": r.id,
        "target": r.target,
        "state": str(r.state),
        "request": str(r.request) if r.request else None,
        "fleet": r.fleet,
        "created": stamp(r.created),
        "updated": stamp(r.updated),
        "actor": r.actor,
        "detail": r.detail,
        "strategy": r.strategy.model_dump(mode="json", by_alias=True),
        "runner": settings_json(r.runner),
        "waves": waves,
    }
