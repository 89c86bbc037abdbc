"""The rehearsal as evidence: Markdown for the change board (the change record's style) and
JSON for machines. Names and messages come from the cluster: every cell is made visible
(control characters escaped) and table-safe."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from typing import Any

from kubecurrent.display import visible_line
from kubecurrent.rehearse._records import Hop, Outcome, Rehearsal

__all__ = ["render_json", "render_markdown"]


def _cell(text: str) -> str:
    return visible_line(text).replace("|", "\\|").replace("`", "'")


def _table(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    if not rows:
        return ["_None._"]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines


def _outcome_rows(outcomes: Sequence[Outcome]) -> list[list[str]]:
    return [[str(o.verdict), str(o.check), str(o.ref), o.message, o.source] for o in outcomes]


def _hop_lines(hop: Hop) -> list[str]:
    out = [
        "",
        f"## {hop.version}",
        "",
        f"- **accepted:** {hop.accepted} · **refused:** {len(hop.refused())} · "
        f"**warned:** {len(hop.warned())} · **unreadable:** {len(hop.unreadable())} · "
        f"**objects listed back:** {hop.read_back} · **took:** {hop.seconds} s",
        "",
    ]
    out += _table(
        ["verdict", "check", "object", "API server says", "from"], _outcome_rows(hop.outcomes)
    )
    if hop.crd_storage:
        out += ["", "CRDs whose stored versions must be migrated before those versions go:", ""]
        out += _table(
            ["CRD", "storedVersions", "storage version", "stale"],
            [[c.crd, ", ".join(c.stored), c.storage, ", ".join(c.stale)] for c in hop.crd_storage],
        )
    return out


def render_markdown(r: Rehearsal) -> str:
    verdict = "rehearsed without a refusal" if r.ok() else "refusals found"
    out = [
        f"# Rehearsal: {_cell(r.cluster)} from {r.source_version} to Kubernetes {r.target}",
        "",
        f"- **outcome:** {verdict}"
        + (f" — stopped: {_cell(r.interrupted)}" if r.interrupted else ""),
        f"- **start:** {_cell(r.start_note)}",
        f"- **hops:** {', '.join(h.version for h in r.hops) or 'none'}",
        f"- **objects copied:** {r.objects} (Secrets' data replaced by placeholders)",
        f"- **webhooks:** {r.webhooks}",
        f"- **extra API versions turned on:** {', '.join(r.runtime_config) or 'none'}",
    ]
    if r.manifests:
        out.append(f"- **manifests:** {_cell(', '.join(r.manifests))}")
    out += ["", "## Refused when copied (at the starting version)", ""]
    out += _table(["object", "API server says"], [[str(o.ref), o.message] for o in r.load_refused])
    out += ["", "## Webhooks and what they gate", ""]
    out += _table(
        ["kind", "name", "webhook", "gates", "failure policy", "backend"],
        [
            [g.kind, g.name, g.webhook, ", ".join(g.resources), g.failure_policy, g.backend]
            for g in r.gates
        ],
    )
    for hop in r.hops:
        out += _hop_lines(hop)
    out += ["", "## Not copied", ""]
    out += _table(
        ["what", "why", "objects"],
        [[n.what, n.reason, str(n.count) if n.count else "all"] for n in r.not_copied],
    )
    out += ["", "## Copied", ""]
    out += _table(["kind", "objects"], [[k, str(v)] for k, v in sorted(r.copied.items())])
    return "\n".join(out) + "\n"


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: _plain(v) for k, v in dataclasses.asdict(value).items()}
    return value


def render_json(r: Rehearsal) -> str:
    data = _plain(r)
    data["ok"] = r.ok()
    data["objects"] = r.objects
    return json.dumps(data, indent=2, default=str) + "\n"
