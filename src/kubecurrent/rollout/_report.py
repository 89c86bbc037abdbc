"""The change record of a rollout, as Markdown or a self-contained HTML page.

Sections: summary (who, when, target, outcome), the strategy, waves with approvals and timings,
each cluster's plan with every step's outcome and timing, findings before and after, the
journal and the audit trail. Everything comes from the state store; nothing is re-collected.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from kubecurrent.pages import render
from kubecurrent.rollout._state import AuditEntry, Entity, JournalEntry, stamp

__all__ = ["describe_runner", "render_html", "render_markdown"]


def _took(start: str | None, end: str | None) -> str:
    if not start or not end:
        return ""
    seconds = (dt.datetime.fromisoformat(end) - dt.datetime.fromisoformat(start)).total_seconds()
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def _findings(counts: dict[str, int] | None) -> str:
    if counts is None:
        return "not collected"
    if not counts:
        return "none"
    return ", ".join(f"{n} {sev}" for sev, n in sorted(counts.items()))


def _outcome(snap: dict[str, Any]) -> list[tuple[str, str]]:
    clusters = [c for w in snap["waves"] for c in w["clusters"]]
    done = sum(1 for c in clusters if c["state"] == "done")
    return [
        ("Rollout", snap["id"]),
        ("Target", snap["target"]),
        ("State", snap["state"] + (f" — {snap['detail']}" if snap["detail"] else "")),
        ("Started by", snap["actor"]),
        ("Created", snap["created"]),
        ("Last change", snap["updated"]),
        ("Clusters", f"{done} of {len(clusters)} at the target"),
        ("Fleet file", snap["fleet"]),
        ("Run with", describe_runner(snap.get("runner") or {})),
    ]


_FLAG_NAMES = {"extra": "catalog-extra"}
"""Recorded option names shown as the flag a person types; ``poll`` (a test knob) is not shown."""


def describe_runner(options: dict[str, Any]) -> str:
    """The options the clusters were upgraded with, e.g. ``provider=auto; health-query=…``."""
    shown = []
    for key, value in sorted(options.items(), key=lambda kv: _FLAG_NAMES.get(kv[0], kv[0])):
        if value in (None, "", [], {}) or key == "poll":
            continue
        key = _FLAG_NAMES.get(key, key)
        if isinstance(value, dict):
            value = ", ".join(f"{k}={v}" for k, v in sorted(value.items()))
        elif isinstance(value, list):
            value = " | ".join(str(v) for v in value)
        shown.append(f"{key.replace('_', '-')}={value}")
    return "; ".join(shown) or "defaults"


def _wave_rows(snap: dict[str, Any]) -> list[list[str]]:
    rows = []
    for w in snap["waves"]:
        approval = ""
        if w["approval"]:
            approval = (
                f"approved by {w['approved_by']} at {w['approved_at']}"
                if w["approved_by"]
                else "not approved"
            )
        rows.append(
            [
                w["name"],
                w["state"],
                ", ".join(c["name"] for c in w["clusters"]),
                approval or "not required",
                w["started"] or "",
                _took(w["started"], w["finished"]),
            ]
        )
    return rows


def _cluster_rows(snap: dict[str, Any]) -> list[list[str]]:
    return [
        [
            c["name"],
            w["name"],
            c["state"],
            c["from"] or "",
            c["final"] or "",
            _took(c["started"], c["finished"]),
            _findings(c["findings_before"]),
            _findings(c["findings_after"]),
            c["detail"],
        ]
        for w in snap["waves"]
        for c in w["clusters"]
    ]


def _step_rows(cluster: dict[str, Any]) -> list[list[str]]:
    return [
        [
            str(s["order"]),
            s["type"],
            s["target"],
            s["from"] or "",
            s["to"] or "",
            s["state"],
            _took(s["started"], s["finished"]),
            s["why"],
            s["detail"],
        ]
        for s in cluster["steps"]
    ]


def _audit_rows(audit: Iterable[AuditEntry]) -> list[list[str]]:
    return [
        [
            a.time.isoformat(timespec="seconds"),
            a.user,
            a.cluster or "",
            a.action,
            " ".join(v or "" for v in (a.type, a.target)).strip(),
            f"{a.before or ''} → {a.after}" if a.after else "",
            a.outcome,
            a.detail,
        ]
        for a in audit
    ]


def _journal_rows(journal: Iterable[JournalEntry]) -> list[list[str]]:
    return [
        [
            stamp(j.time),
            j.actor,
            str(j.entity),
            j.ref,
            "" if j.entity is Entity.NOTE else f"{j.from_state or ''} → {j.to_state}",
            j.detail,
        ]
        for j in journal
    ]


STEP_COLUMNS = ["#", "type", "target", "from", "to", "outcome", "took", "why", "detail"]
CLUSTER_COLUMNS = [
    "cluster",
    "wave",
    "state",
    "from",
    "now",
    "took",
    "findings before",
    "findings after",
    "detail",
]
WAVE_COLUMNS = ["wave", "state", "clusters", "approval", "started", "took"]
AUDIT_COLUMNS = ["time", "user", "cluster", "action", "what", "versions", "outcome", "detail"]
JOURNAL_COLUMNS = ["time", "actor", "entity", "ref", "change", "detail"]


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _md_table(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def render_markdown(
    snap: dict[str, Any], journal: Sequence[JournalEntry], audit: Sequence[AuditEntry]
) -> str:
    out = [f"# Change record: rollout {snap['id']} to Kubernetes {snap['target']}", ""]
    out += [f"- **{k}:** {_md_cell(v)}" for k, v in _outcome(snap)]
    out += ["", "## Waves", "", _md_table(WAVE_COLUMNS, _wave_rows(snap))]
    out += ["", "## Clusters", "", _md_table(CLUSTER_COLUMNS, _cluster_rows(snap))]
    for w in snap["waves"]:
        for c in w["clusters"]:
            out += ["", f"### {c['name']}: plan and steps", ""]
            out.append(
                _md_table(STEP_COLUMNS, _step_rows(c)) if c["steps"] else "_No plan recorded._"
            )
    out += ["", "## Audit trail", "", _md_table(AUDIT_COLUMNS, _audit_rows(audit))]
    out += ["", "## Journal", "", _md_table(JOURNAL_COLUMNS, _journal_rows(journal)), ""]
    return "\n".join(out)


def render_html(
    snap: dict[str, Any], journal: Sequence[JournalEntry], audit: Sequence[AuditEntry]
) -> str:
    """The change record as a self-contained page (template ``change_record.html`` of
    ``kubecurrent.pages``; the template escapes every value)."""
    return render(
        "change_record.html",
        title=f"Change record: rollout {snap['id']} to Kubernetes {snap['target']}",
        facts=_outcome(snap),
        wave_columns=WAVE_COLUMNS,
        waves=_wave_rows(snap),
        cluster_columns=CLUSTER_COLUMNS,
        clusters=_cluster_rows(snap),
        step_columns=STEP_COLUMNS,
        plans=[(c["name"], _step_rows(c)) for w in snap["waves"] for c in w["clusters"]],
        audit_columns=AUDIT_COLUMNS,
        audit=_audit_rows(audit),
        journal_columns=JOURNAL_COLUMNS,
        journal=_journal_rows(journal),
    )
