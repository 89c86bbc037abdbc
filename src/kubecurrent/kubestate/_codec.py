"""Rollout records as the fields of kubecurrent's custom resources, and back (pure, no I/O).

A ``RolloutRecord`` and its ``WaveRecord``\\ s live in one ``FleetUpgrade`` (spec: target and
strategy; status: state, waves, the rollout-level journal and audit trail); each
``ClusterRecord`` with its ``StepRecord``\\ s, journal and audit trail in one ``ClusterUpgrade``.
Text is clipped to the schema's ``maxLength`` and the journal and audit lists keep their newest
entries up to the schema's ``maxItems``, counting what was dropped, so no write can be refused
for its size (``docs/controller.md``, "Staying under etcd's limit").
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from kubecurrent.collect.clouds import ref_from_json
from kubecurrent.execute import Baseline
from kubecurrent.model.plan import ClusterPlan
from kubecurrent.rollout import (
    AuditEntry,
    ClusterRecord,
    ClusterRef,
    ClusterState,
    Entity,
    JournalEntry,
    Request,
    RolloutRecord,
    RolloutState,
    StepRecord,
    StepState,
    Strategy,
    WaveRecord,
    WaveState,
    decode_settings,
    encode_settings,
)

__all__ = [
    "CLUSTER_JOURNAL",
    "ROLLOUT_JOURNAL",
    "ROLLOUT_LABEL",
    "append_bounded",
    "audit_from",
    "audit_json",
    "clip",
    "cluster_from",
    "cluster_name",
    "cluster_spec",
    "cluster_status",
    "journal_from",
    "journal_json",
    "rollout_from",
    "rollout_label",
    "rollout_spec",
    "rollout_status",
    "stamp",
    "step_json",
    "steps_from",
    "strategy_spec",
    "wave_json",
    "waves_from",
]

ROLLOUT_LABEL = "kubecurrent.io/rollout"
ROLLOUT_JOURNAL, ROLLOUT_AUDIT = 60, 30
"""How many journal entries and audit records a FleetUpgrade keeps (its schema's maxItems)."""
CLUSTER_JOURNAL, CLUSTER_AUDIT = 100, 40
"""How many a ClusterUpgrade keeps."""
AUDIT_TEXT = 1024
"""The longest audit record kept (its schema's maxLength)."""
_DNS = re.compile(r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?")
_DURATION_KEYS = frozenset({"soak", "duration", "timeout"})


def stamp(when: dt.datetime | None) -> str | None:
    return None if when is None else when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _time(text: object) -> dt.datetime | None:
    return None if not text else dt.datetime.fromisoformat(str(text))


def clip(text: str | None, limit: int) -> str:
    """``text`` cut to ``limit`` characters (an ellipsis marks the cut)."""
    text = text or ""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _short(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:10]


def rollout_label(rid: str) -> str:
    """The label value naming rollout ``rid`` on its ClusterUpgrades (63 characters at most)."""
    return rid if len(rid) <= 63 else f"{rid[:52]}-{_short(rid)}"


def cluster_name(rid: str, cluster: str) -> str:
    """The ClusterUpgrade's name: ``<rollout>.<cluster>`` when that is a valid object name."""
    name = f"{rid}.{cluster}"
    if len(name) <= 253 and _DNS.fullmatch(name):
        return name
    safe = re.sub(r"[^a-z0-9-]+", "-", cluster.lower()).strip("-")[:40] or "cluster"
    return f"{rid[:190]}.{safe}-{_short(cluster)}"


def append_bounded(status: dict[str, Any], key: str, items: Sequence[Any], limit: int) -> None:
    """Append ``items`` to ``status[key]``, keeping the newest ``limit``, counting the rest in
    ``status[key + "Dropped"]``."""
    kept = [*status.get(key, []), *items]
    dropped = max(len(kept) - limit, 0)
    status[key] = kept[dropped:]
    if dropped:
        status[f"{key}Dropped"] = int(status.get(f"{key}Dropped", 0)) + dropped


# --- the rollout ------------------------------------------------------------------------------


def strategy_spec(strategy: Strategy) -> dict[str, Any]:
    """``strategy`` as a FleetUpgrade's ``spec.strategy`` (durations as ``<seconds>s``)."""

    def durations(value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            return {k: durations(v, k) for k, v in value.items() if v is not None}
        if isinstance(value, list):
            return [durations(v) for v in value]
        if key in _DURATION_KEYS and isinstance(value, int | float):
            return f"{value:g}s"
        return value

    dumped = strategy.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    result: dict[str, Any] = durations(dumped)
    return result


def rollout_spec(record: RolloutRecord) -> dict[str, Any]:
    return {"target": record.target, "strategy": strategy_spec(record.strategy)}


def rollout_status(record: RolloutRecord, waves: Sequence[WaveRecord]) -> dict[str, Any]:
    """The status fields a ``RolloutRecord`` and its waves set (journal and audit aside)."""
    status: dict[str, Any] = {
        "phase": record.state.value,
        "target": record.target,
        "strategy": record.strategy.model_dump_json(by_alias=True, exclude_defaults=True),
        "message": clip(record.detail, 1024),
        "fleet": clip(record.fleet, 1024),
        "actor": clip(record.actor, 128),
        "created": stamp(record.created),
        "updated": stamp(record.updated),
        "runner": encode_settings(record.runner),
        "waves": [wave_json(w) for w in waves],
    }
    if record.request is not None:
        status["request"] = record.request.value
    return status


def wave_json(wave: WaveRecord) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "index": wave.index,
        "name": wave.name,
        "state": wave.state.value,
        "approvalsNeeded": wave.approvals_needed,
        "approvers": list(wave.approvers) or None,
        "approvedAt": stamp(wave.approved_at),
        "soakUntil": stamp(wave.soak_until),
        "started": stamp(wave.started),
        "finished": stamp(wave.finished),
        "detail": clip(wave.detail, 512),
    }
    return {k: v for k, v in fields.items() if v not in (None, "")}


def rollout_from(obj: Mapping[str, Any]) -> RolloutRecord:
    spec, status = obj["spec"], obj.get("status") or {}
    return RolloutRecord(
        id=obj["metadata"]["name"],
        target=status.get("target") or spec["target"],
        fleet=status.get("fleet", ""),
        strategy=Strategy.model_validate_json(status["strategy"])
        if status.get("strategy")
        else Strategy.model_validate(spec.get("strategy") or {}),
        state=RolloutState(status.get("phase", "pending")),
        created=_time(status.get("created")) or _time(obj["metadata"]["creationTimestamp"]),  # type: ignore[arg-type]
        updated=_time(status.get("updated")) or _time(obj["metadata"]["creationTimestamp"]),  # type: ignore[arg-type]
        actor=status.get("actor", ""),
        detail=status.get("message", ""),
        request=Request(status["request"]) if status.get("request") else None,
        runner=decode_settings(status.get("runner")),
    )


def waves_from(obj: Mapping[str, Any]) -> list[WaveRecord]:
    """The waves of a FleetUpgrade. An approval an operator added to ``spec.approvals`` counts as
    given (its time is unknown until the controller records it), under the same rule as any
    other: one per person, and not the starter's when the strategy says so."""
    rid = obj["metadata"]["name"]
    status = obj.get("status") or {}
    starter = status.get("actor", "")
    starter_may = (obj["spec"].get("strategy") or {}).get("starterMayApprove", True)
    if status.get("strategy"):
        starter_may = json.loads(status["strategy"]).get("starterMayApprove", True)
    patched: dict[str, list[str]] = {}
    for a in obj["spec"].get("approvals") or []:
        if starter_may or a["by"] != starter:
            patched.setdefault(a["wave"], []).append(a["by"])
    waves = []
    for w in status.get("waves", []):
        needed = int(w.get("approvalsNeeded", 0))
        approvers = tuple(dict.fromkeys([*w.get("approvers", []), *patched.get(w["name"], [])]))
        opened = w.get("approvedAt") is not None or (needed and len(approvers) >= needed)
        waves.append(
            WaveRecord(
                rollout=rid,
                index=int(w["index"]),
                name=w["name"],
                state=WaveState(w["state"]),
                approvals_needed=needed,
                approvers=approvers,
                approved_by=", ".join(approvers) if opened and approvers else None,
                approved_at=_time(w.get("approvedAt")),
                soak_until=_time(w.get("soakUntil")),
                started=_time(w.get("started")),
                finished=_time(w.get("finished")),
                detail=w.get("detail", ""),
            )
        )
    return sorted(waves, key=lambda w: w.index)


# --- clusters and steps -----------------------------------------------------------------------


def _ref_json(ref: ClusterRef) -> str:
    return json.dumps(
        {
            "kubeconfig": str(ref.kubeconfig) if ref.kubeconfig else None,
            "context": ref.context,
            "labels": ref.labels,
            "timeout": ref.timeout,
            **(ref.cloud.to_json() if ref.cloud else {}),
        },
        sort_keys=True,
    )


def _ref_from(name: str, text: str) -> ClusterRef:
    where = json.loads(text or "{}")
    return ClusterRef(
        name=name,
        kubeconfig=Path(where["kubeconfig"]) if where.get("kubeconfig") else None,
        context=where.get("context"),
        labels=dict(where.get("labels") or {}),
        timeout=float(where.get("timeout") or 120.0),
        cloud=ref_from_json(where),
    )


def cluster_spec(record: ClusterRecord, target: str) -> dict[str, Any]:
    return {
        "fleetUpgrade": record.rollout,
        "cluster": record.name,
        "wave": record.wave,
        "position": record.position,
        "target": target,
        "ref": _ref_json(record.ref),
    }


def cluster_status(record: ClusterRecord) -> dict[str, Any]:
    """The status fields a ``ClusterRecord`` sets (steps, journal and audit aside)."""
    fields: dict[str, Any] = {
        "state": record.state.value,
        "fromVersion": record.from_version,
        "finalVersion": record.final_version,
        "started": stamp(record.started),
        "finished": stamp(record.finished),
        "detail": clip(record.detail, 1024),
        "plan": record.plan.model_dump_json(by_alias=True) if record.plan else None,
        "baseline": _baseline_json(record.baseline),
        "findingsBefore": dict(record.findings_before) if record.findings_before else None,
        "findingsAfter": dict(record.findings_after) if record.findings_after else None,
    }
    return {k: v for k, v in fields.items() if v not in (None, "")}


def _baseline_json(baseline: Baseline | None) -> str | None:
    if baseline is None:
        return None
    return json.dumps(
        {"unavailable": sorted(baseline.unavailable), "crashing": sorted(baseline.crashing)}
    )


def cluster_from(obj: Mapping[str, Any]) -> ClusterRecord:
    spec, status = obj["spec"], obj.get("status") or {}
    baseline = json.loads(status["baseline"]) if status.get("baseline") else None
    return ClusterRecord(
        rollout=spec["fleetUpgrade"],
        ref=_ref_from(spec["cluster"], spec.get("ref", "")),
        wave=int(spec["wave"]),
        position=int(spec.get("position", 0)),
        state=ClusterState(status.get("state", "pending")),
        plan=ClusterPlan.model_validate_json(status["plan"]) if status.get("plan") else None,
        baseline=Baseline(frozenset(baseline["unavailable"]), frozenset(baseline["crashing"]))
        if baseline
        else None,
        from_version=status.get("fromVersion"),
        final_version=status.get("finalVersion"),
        findings_before=status.get("findingsBefore"),
        findings_after=status.get("findingsAfter"),
        started=_time(status.get("started")),
        finished=_time(status.get("finished")),
        detail=status.get("detail", ""),
    )


def step_json(step: StepRecord) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "order": step.order,
        "type": step.type,
        "target": clip(step.target, 128),
        "from": step.from_version,
        "to": step.to_version,
        "why": clip(step.why, 256),
        "state": step.state.value,
        "started": stamp(step.started),
        "finished": stamp(step.finished),
        "detail": clip(step.detail, 512),
    }
    return {k: v for k, v in fields.items() if v not in (None, "")}


def steps_from(obj: Mapping[str, Any]) -> list[StepRecord]:
    rid, cluster = obj["spec"]["fleetUpgrade"], obj["spec"]["cluster"]
    return [
        StepRecord(
            rollout=rid,
            cluster=cluster,
            order=int(s["order"]),
            type=s["type"],
            target=s.get("target", ""),
            state=StepState(s["state"]),
            from_version=s.get("from"),
            to_version=s.get("to"),
            why=s.get("why", ""),
            started=_time(s.get("started")),
            finished=_time(s.get("finished")),
            detail=s.get("detail", ""),
        )
        for s in (obj.get("status") or {}).get("steps", [])
    ]


# --- journal and audit ------------------------------------------------------------------------


def journal_json(entry: JournalEntry) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "seq": entry.seq,
        "time": stamp(entry.time),
        "actor": clip(entry.actor, 128),
        "entity": entry.entity.value,
        "ref": clip(entry.ref, 128),
        "from": entry.from_state,
        "to": entry.to_state,
        "detail": clip(entry.detail, 256),
    }
    return {k: v for k, v in fields.items() if v not in (None, "")}


def journal_from(rid: str, obj: Mapping[str, Any]) -> list[JournalEntry]:
    return [
        JournalEntry(
            seq=int(j["seq"]),
            rollout=rid,
            time=_time(j["time"]),  # type: ignore[arg-type]
            actor=j.get("actor", ""),
            entity=Entity(j["entity"]),
            ref=j.get("ref", ""),
            from_state=j.get("from"),
            to_state=j["to"],
            detail=j.get("detail", ""),
        )
        for j in (obj.get("status") or {}).get("journal", [])
    ]


def audit_json(entry: AuditEntry) -> str:
    """One audit record as the JSON text kept in a status list (at most ``AUDIT_TEXT``
    characters: a long detail is clipped, and a record still too long keeps its core fields)."""
    record = entry.to_json()
    text = json.dumps(record)
    if len(text) > AUDIT_TEXT:
        detail = str(record.get("detail") or "")
        record["detail"] = clip(detail, max(len(detail) - (len(text) - AUDIT_TEXT) - 8, 16))
        text = json.dumps(record)
    if len(text) > AUDIT_TEXT:
        core = {k: record.get(k) for k in ("time", "user", "cluster", "action", "rollout")}
        text = json.dumps(core | {"outcome": record.get("outcome"), "detail": "(clipped)"})
    return text


def audit_from(text: str) -> AuditEntry:
    return AuditEntry.from_json(json.loads(text))
