"""The rehearsal as evidence: Markdown and HTML for the change board (the change record's style,
the HTML through the one set of report templates) and JSON for machines. Names and messages
come from the cluster: Markdown cells are made visible (control characters escaped) and
table-safe; the HTML template escapes every value."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from kubecurrent.display import visible_line
from kubecurrent.rehearse._records import Hop, Outcome, Rehearsal

__all__ = ["render_html", "render_json", "render_markdown"]

_OUTCOME_COLUMNS = ["verdict", "check", "object", "API server says", "from"]


@dataclass(frozen=True)
class _Section:
    title: str
    columns: Sequence[str]
    rows: Sequence[Sequence[str]]
    level: int = 2
    lead: str = ""
    """A sentence before the table."""
    state: int = -1
    """The column holding a verdict (styled by it in HTML), or -1."""


def _outcome_rows(outcomes: Sequence[Outcome]) -> list[list[str]]:
    return [[str(o.verdict), str(o.check), str(o.ref), o.message, o.source] for o in outcomes]


def _hop(hop: Hop) -> list[_Section]:
    lead = (
        f"accepted {hop.accepted} · refused {len(hop.refused())} · warned {len(hop.warned())} · "
        f"unreadable {len(hop.unreadable())} · listed back {hop.read_back} · took {hop.seconds} s"
    )
    out = [_Section(hop.version, _OUTCOME_COLUMNS, _outcome_rows(hop.outcomes), lead=lead, state=0)]
    if hop.crd_storage:
        out.append(
            _Section(
                f"{hop.version}: CRDs whose stored versions must be migrated",
                ["CRD", "storedVersions", "storage version", "stale"],
                [
                    [c.crd, ", ".join(c.stored), c.storage, ", ".join(c.stale)]
                    for c in hop.crd_storage
                ],
                level=3,
            )
        )
    return out


def _title(r: Rehearsal) -> str:
    return f"Rehearsal: {r.cluster} from {r.source_version} to Kubernetes {r.target}"


def _facts(r: Rehearsal) -> list[tuple[str, str]]:
    verdict = "rehearsed without a refusal" if r.ok() else "refusals found"
    if r.interrupted:
        verdict += f" — stopped: {r.interrupted}"
    facts = [
        ("outcome", verdict),
        ("start", r.start_note),
        ("hops", ", ".join(h.version for h in r.hops) or "none"),
        ("objects copied", f"{r.objects} (Secrets' data replaced by placeholders)"),
        ("webhooks", str(r.webhooks)),
        ("extra API versions turned on", ", ".join(r.runtime_config) or "none"),
    ]
    if r.manifests:
        facts.append(("manifests", ", ".join(r.manifests)))
    return facts


def _sections(r: Rehearsal) -> list[_Section]:
    out = [
        _Section(
            "Refused when copied (at the starting version)",
            ["object", "API server says"],
            [[str(o.ref), o.message] for o in r.load_refused],
        ),
        _Section(
            "Webhooks and what they gate",
            ["kind", "name", "webhook", "gates", "failure policy", "backend"],
            [
                [g.kind, g.name, g.webhook, ", ".join(g.resources), g.failure_policy, g.backend]
                for g in r.gates
            ],
        ),
    ]
    for hop in r.hops:
        out += _hop(hop)
    out.append(
        _Section(
            "Not copied",
            ["what", "why", "objects"],
            [[n.what, n.reason, str(n.count) if n.count else "all"] for n in r.not_copied],
        )
    )
    out.append(
        _Section("Copied", ["kind", "objects"], [[k, str(v)] for k, v in sorted(r.copied.items())])
    )
    return out


def _cell(text: str) -> str:
    return visible_line(text).replace("|", "\\|").replace("`", "'")


def _md_table(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    if not rows:
        return ["_None._"]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines


def render_markdown(r: Rehearsal) -> str:
    out = [f"# {_cell(_title(r))}", ""]
    out += [f"- **{key}:** {_cell(value)}" for key, value in _facts(r)]
    for s in _sections(r):
        out += ["", f"{'#' * s.level} {_cell(s.title)}", ""]
        if s.lead:
            out += [f"- {s.lead}", ""]
        out += _md_table(s.columns, s.rows)
    return "\n".join(out) + "\n"


def render_html(r: Rehearsal) -> str:
    """A self-contained page from the report templates (the stylesheet inlined)."""
    from kubecurrent.pages import render

    return render("rehearsal.html", title=_title(r), facts=_facts(r), sections=_sections(r))


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: _plain(v) for k, v in dataclasses.asdict(value).items()}
    return value


def render_json(r: Rehearsal) -> str:
    data = _plain(r)
    data["ok"] = r.ok()
    data["objects"] = r.objects
    return json.dumps(data, indent=2, default=str) + "\n"
