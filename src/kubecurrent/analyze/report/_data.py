"""A scan's result and its JSON shape (the ``-o json`` contract)."""

from __future__ import annotations

from typing import Any

import msgspec

from kubecurrent.collect.files import Skipped
from kubecurrent.model.findings import Finding, ScanError, Status, to_data


class Counts(msgspec.Struct):
    """Inputs of one kind: how many were read (or rendered), skipped on purpose, or failed."""

    done: int = 0
    skipped: int = 0
    failed: int = 0

    def add(self, other: Counts) -> None:
        self.done += other.done
        self.skipped += other.skipped
        self.failed += other.failed

    def to_dict(self, done: str) -> dict[str, int]:
        return {done: self.done, "skipped": self.skipped, "failed": self.failed}


class ScanSummary(msgspec.Struct):
    """What a scan went through. ``files``: manifest files named or found by the walk (skipped:
    held no Kubernetes object; failed: could not be read at all); ``documents``: YAML documents
    in them and in rendered output (read: held an object, each item of a ``List`` counting as
    one; skipped: not a Kubernetes object; failed: could not be parsed); ``charts`` and
    ``overlays``: rendered, skipped (a library chart, a kustomize Component) or failed to
    render; ``excluded``: manifest files and directories a walk passed over because an
    ``--exclude`` pattern matched them (a directory counts once; nothing under it is read)."""

    files: Counts = msgspec.field(default_factory=Counts)
    documents: Counts = msgspec.field(default_factory=Counts)
    charts: Counts = msgspec.field(default_factory=Counts)
    overlays: Counts = msgspec.field(default_factory=Counts)
    excluded_files: int = 0
    excluded_directories: int = 0

    def add(self, other: ScanSummary) -> None:
        for name in ("files", "documents", "charts", "overlays"):
            getattr(self, name).add(getattr(other, name))
        self.excluded_files += other.excluded_files
        self.excluded_directories += other.excluded_directories

    def to_dict(self, objects: int) -> dict[str, Any]:
        return {
            "files": self.files.to_dict("read"),
            "documents": self.documents.to_dict("read"),
            "objects": objects,
            "charts": self.charts.to_dict("rendered"),
            "overlays": self.overlays.to_dict("rendered"),
            "excluded": {"files": self.excluded_files, "directories": self.excluded_directories},
        }


class ScanReport(msgspec.Struct):
    target: str
    findings: list[Finding] = msgspec.field(default_factory=list)
    errors: list[ScanError] = msgspec.field(default_factory=list)
    documents: int = 0
    """Kubernetes objects checked (for a cluster scan: clusters)."""
    skipped: list[Skipped] = msgspec.field(default_factory=list)
    """What was read and deliberately not scanned (not a Kubernetes object, a library chart…)."""
    summary: ScanSummary | None = None
    """What a file scan went through (None for a cluster scan)."""

    def count(self, status: Status) -> int:
        return sum(1 for f in self.findings if f.status is status)

    def sorted_findings(self) -> list[Finding]:
        return sorted(
            self.findings, key=lambda f: (f.location.file, f.location.line, f.rule, f.object.kind)
        )

    def only_removed(self) -> ScanReport:
        """The same report with only the findings whose status is ``removed``."""
        kept = [f for f in self.findings if f.status is Status.REMOVED]
        return msgspec.structs.replace(self, findings=kept)

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "summary": {
                **(self.summary.to_dict(self.documents) if self.summary else {}),
                "removed": self.count(Status.REMOVED),
                "deprecated": self.count(Status.DEPRECATED),
                "errors": len(self.errors),
            },
            "findings": [_finding(f) for f in self.sorted_findings()],
            "errors": [to_data(e) for e in self.errors],
            "skipped": self.skipped_counts(),
        }

    def skipped_counts(self) -> dict[str, int]:
        """How many of each kind of skip, by reason."""
        counts: dict[str, int] = {}
        for s in self.skipped:
            counts[s.reason.value] = counts.get(s.reason.value, 0) + 1
        return dict(sorted(counts.items()))


def _finding(f: Finding) -> dict[str, Any]:
    data: dict[str, Any] = to_data(f)
    data["object"] = to_data(f.object, nones=True)
    return data
