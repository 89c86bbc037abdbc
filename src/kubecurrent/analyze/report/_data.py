"""A scan's result and its JSON shape (the ``-o json`` contract)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kubecurrent.collect.files import Skipped
from kubecurrent.model.findings import Finding, ScanError, Status


@dataclass
class ScanReport:
    target: str
    findings: list[Finding] = field(default_factory=list)
    errors: list[ScanError] = field(default_factory=list)
    documents: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    """What was read and deliberately not scanned (not a Kubernetes object, a library chart…)."""

    def count(self, status: Status) -> int:
        return sum(1 for f in self.findings if f.status is status)

    def sorted_findings(self) -> list[Finding]:
        return sorted(
            self.findings, key=lambda f: (f.location.file, f.location.line, f.rule, f.object.kind)
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "findings": [_finding(f) for f in self.sorted_findings()],
            "errors": [e.model_dump(exclude_none=True) for e in self.errors],
            "skipped": self.skipped_counts(),
        }

    def skipped_counts(self) -> dict[str, int]:
        """How many of each kind of skip, by reason."""
        counts: dict[str, int] = {}
        for s in self.skipped:
            counts[s.reason.value] = counts.get(s.reason.value, 0) + 1
        return dict(sorted(counts.items()))


def _finding(f: Finding) -> dict[str, Any]:
    data = f.model_dump(mode="json", by_alias=True, exclude_none=True)
    data["object"] = f.object.model_dump(by_alias=True)
    return data
