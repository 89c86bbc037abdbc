"""A scan's findings as rows of plain text: the table, ``-o wide`` and ``-o csv`` (RFC 4180).

Nothing is shortened here: the apiVersion, kind, name and the whole location (file and line)
are always in the row; the terminal may wrap a cell, never cut it. File paths in tables are
shown relative to the scan root; CSV keeps them as the JSON report has them, for scripts.
"""

from __future__ import annotations

import io
import os
from collections import Counter
from pathlib import Path

from kubecurrent.analyze.report._data import Counts, ScanReport
from kubecurrent.model.findings import Finding, Severity, Status

TABLE_COLUMNS = ("status", "rule", "object", "location", "replacement")
WIDE_COLUMNS = (*TABLE_COLUMNS, "deprecated in", "removed in", "source", "fix")
CSV_COLUMNS = (
    "status",
    "severity",
    "category",
    "rule",
    "apiVersion",
    "kind",
    "namespace",
    "name",
    "file",
    "line",
    "cluster",
    "renderedFrom",
    "replacement",
    "deprecatedIn",
    "removedIn",
    "message",
    "remediation",
)


def status_word(f: Finding) -> str:
    """``removed``/``deprecated`` where the category has a lifecycle; the severity otherwise."""
    return f.status.value if f.category.has_status else f.severity.value


def object_text(f: Finding) -> str:
    """The object as written (apiVersion, kind, namespace/name) for API findings; otherwise the
    kind of finding and what it is about (an object's kind and name, or just a name, e.g. a CVE
    id, a node pool, an add-on)."""
    o = f.object
    if f.category.has_status and o.api_version:
        return f"{o.api_version} {o.label}"
    return f"{f.category.label}: {o.label if o.api_version else o.name or o.label}"


def location_text(f: Finding, root: Path | None = None) -> str:
    """``file:line`` relative to ``root`` (when under it), or ``cluster NAME`` for live findings."""
    loc = f.location
    if loc.cluster is not None:
        seen = f" ({loc.rendered_from})" if loc.rendered_from else ""
        return f"cluster {loc.cluster}{seen}"
    return f"{display_path(loc.file, root)}:{loc.line}"


def display_path(file: str, root: Path | None) -> str:
    """``file`` relative to ``root`` when it lies under it; as given otherwise."""
    if root is None or file == "-":
        return file
    try:
        rel = absolute(file).relative_to(root)
    except ValueError:
        return file
    return str(rel) if str(rel) != "." else Path(file).name


def absolute(path: str) -> Path:
    """``path`` made absolute and normalised, without resolving symbolic links."""
    return Path(os.path.normpath(Path(path).absolute()))


def table_rows(report: ScanReport, wide: bool, root: Path | None) -> list[list[str]]:
    """One row per finding, in report order, with the columns of ``TABLE_COLUMNS`` (or wide)."""
    rows = []
    for f in report.sorted_findings():
        row = [
            status_word(f),
            f.rule,
            object_text(f),
            location_text(f, root),
            f.replacement or "-",
        ]
        if wide:
            row += [f.deprecated_in or "-", f.removed_in or "-", f.source.value, f.remediation]
        rows.append(row)
    return rows


def to_csv(report: ScanReport, headers: bool = True) -> str:
    """Every finding as one RFC 4180 record (CRLF line ends, fields quoted when needed)."""
    out = io.StringIO()
    import csv  # only -o csv needs it

    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    if headers:
        writer.writerow(CSV_COLUMNS)
    for f in report.sorted_findings():
        o, loc = f.object, f.location
        writer.writerow(
            [
                f.status.value,
                f.severity.value,
                f.category.value,
                f.rule,
                o.api_version,
                o.kind,
                o.namespace,
                o.name,
                "" if loc.cluster else loc.file,
                "" if loc.cluster else loc.line,
                loc.cluster or "",
                loc.rendered_from or "",
                f.replacement or "",
                f.deprecated_in or "",
                f.removed_in or "",
                f.message,
                f.remediation,
            ]
        )
    return out.getvalue()


def summary_line(report: ScanReport) -> str:
    """One line: what was gone through, and what was found."""
    return f"target {report.target}: {gone_through(report)} | {found(report)}"


def found(report: ScanReport) -> str:
    """API findings by status, the others (CVEs, drain blockers…) by severity, and errors."""
    statuses = [f.status for f in report.findings if f.category.has_status]
    others = Counter(f.severity for f in report.findings if not f.category.has_status)
    parts = [
        f"{statuses.count(Status.REMOVED)} removed",
        f"{statuses.count(Status.DEPRECATED)} deprecated",
    ]
    parts += [f"{others[s]} {s.value}" for s in Severity if others[s]]
    return ", ".join([*parts, f"{len(report.errors)} unreadable"])


def gone_through(report: ScanReport) -> str:
    """What the scan read: clusters, or files, documents, objects, charts and overlays."""
    s = report.summary
    if s is None:
        return f"clusters {report.documents}"
    parts = [
        _counted("files", s.files, "read"),
        _counted("documents", s.documents, "read"),
        f"objects {report.documents}",
    ]
    for noun, counts in (("charts", s.charts), ("overlays", s.overlays)):
        if counts.done or counts.skipped or counts.failed:
            parts.append(_counted(noun, counts, "rendered"))
    if s.excluded_files or s.excluded_directories:
        parts.append(f"excluded {s.excluded_files} files, {s.excluded_directories} directories")
    return "; ".join(parts)


def _counted(noun: str, c: Counts, done: str) -> str:
    extra = [f"{n} {word}" for n, word in ((c.skipped, "skipped"), (c.failed, "failed")) if n]
    return f"{noun} {', '.join([f'{c.done} {done}', *extra])}"
