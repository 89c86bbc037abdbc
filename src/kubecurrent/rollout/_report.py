"""The change record of a rollout, as Markdown or a self-contained HTML page.

Sections: summary (who, when, target, outcome), the strategy, waves with approvals and timings,
each cluster's plan with every step's outcome and timing, findings before and after, the
journal and the audit trail. Everything comes from the state store; nothing is re-collected.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterable, Sequence
from typing import Any

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


def _audit_rows(audit: Iterable[dict[str, Any]]) -> list[list[str]]:
    return [
        [
            str(a.get("time", "")),
            str(a.get("user", "")),
            str(a.get("cluster") or ""),
            str(a.get("action", "")),
            " ".join(str(a.get(k) or "") for k in ("type", "target")).strip(),
            f"{a.get('before') or ''} → {a.get('after') or ''}" if a.get("after") else "",
            str(a.get("outcome", "")),
            str(a.get("detail", "")),
        ]
        for a in audit
    ]


def _journal_rows(journal: Iterable[dict[str, Any]]) -> list[list[str]]:
    return [
        [
            j["time"],
            j["actor"],
            j["entity"],
            j["ref"],
            "" if j["entity"] == "note" else f"{j['from_state'] or ''} → {j['to_state']}",
            j["detail"],
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
    snap: dict[str, Any], journal: list[dict[str, Any]], audit: list[dict[str, Any]]
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


def _html_table(columns: Sequence[str], rows: Sequence[Sequence[str]], state_col: int = -1) -> str:
    head = "".join(f"<th scope='col'>{html.escape(c)}</th>" for c in columns)
    body = []
    for row in rows:
        cells = []
        for i, cell in enumerate(row):
            cls = f" class='s-{html.escape(cell)}'" if i == state_col else ""
            cells.append(f"<td{cls}>{html.escape(cell)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


_STYLE = """
body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1200px;color:#1b1f24;
padding:0 1rem}h1{font-size:1.5rem}h2{margin-top:2rem;border-bottom:1px solid #d0d7de}
table{border-collapse:collapse;width:100%;margin:.5rem 0;font-size:13px}
th,td{border:1px solid #d0d7de;padding:4px 6px;text-align:left;vertical-align:top}
th{background:#f6f8fa}dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px}
dt{font-weight:600}.s-done{background:#dafbe1}.s-failed,.s-halted,.s-aborted{background:#ffebe9}
.s-running,.s-soaking{background:#ddf4ff}.s-waiting-approval,.s-waiting-window,.s-paused
{background:#fff8c5}
"""


def render_html(
    snap: dict[str, Any], journal: list[dict[str, Any]], audit: list[dict[str, Any]]
) -> str:
    title = f"Change record: rollout {snap['id']} to Kubernetes {snap['target']}"
    facts = "".join(
        f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in _outcome(snap)
    )
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width,initial-scale=1'>",
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1><dl>{facts}</dl>",
        "<h2>Waves</h2>",
        _html_table(WAVE_COLUMNS, _wave_rows(snap), state_col=1),
        "<h2>Clusters</h2>",
        _html_table(CLUSTER_COLUMNS, _cluster_rows(snap), state_col=2),
    ]
    for w in snap["waves"]:
        for c in w["clusters"]:
            parts.append(f"<h3>{html.escape(c['name'])}: plan and steps</h3>")
            parts.append(
                _html_table(STEP_COLUMNS, _step_rows(c), state_col=5)
                if c["steps"]
                else "<p>No plan recorded.</p>"
            )
    parts += [
        "<h2>Audit trail</h2>",
        _html_table(AUDIT_COLUMNS, _audit_rows(audit), state_col=6),
        "<h2>Journal</h2>",
        _html_table(JOURNAL_COLUMNS, _journal_rows(journal)),
        "</body></html>\n",
    ]
    return "".join(parts)
