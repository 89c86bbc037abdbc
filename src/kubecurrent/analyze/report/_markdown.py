"""Markdown for pull-request comments: a summary line and a table of findings."""

from __future__ import annotations

from kubecurrent.analyze.report._data import ScanReport
from kubecurrent.analyze.report._rows import gone_through, location_text, object_text, status_word
from kubecurrent.model.findings import Status


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(report: ScanReport) -> str:
    removed, deprecated = report.count(Status.REMOVED), report.count(Status.DEPRECATED)
    lines = [
        f"### kubecurrent: readiness for Kubernetes {report.target}",
        "",
        f"**{removed}** removed, **{deprecated}** deprecated, **{len(report.errors)}** "
        "unreadable input(s).",
        "",
    ]
    if report.summary is not None:
        lines += [f"Scanned: {gone_through(report)}.", ""]
    if report.findings:
        lines += [
            "| Status | Rule | Object | Location | Replacement | Fix |",
            "|---|---|---|---|---|---|",
        ]
        for f in report.sorted_findings():
            lines.append(
                "| "
                + " | ".join(
                    _cell(x)
                    for x in (
                        status_word(f),
                        f"`{f.rule}`",
                        object_text(f),
                        f"`{location_text(f)}`",
                        f.replacement or "-",
                        f.remediation,
                    )
                )
                + " |"
            )
    if report.errors:
        lines += ["", "<details><summary>Inputs that could not be read</summary>", ""]
        lines += [f"- `{e.file}:{e.line or 1}`: {_cell(e.message)}" for e in report.errors]
        lines += ["", "</details>"]
    return "\n".join(lines) + "\n"
