"""API usage evidence: who wrote which apiVersion (managedFields), what last-applied says, and
what Helm release manifests, the API server metric and audit logs show.

``EvidenceCounter`` aggregates by (apiVersion, kind, source, manager, ...) and keeps at most
``MAX_EXAMPLES`` object names per key, so memory depends on distinct writers, not objects.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from kubecurrent.collect.cluster._metadata import ObjectMeta
from kubecurrent.model.findings import EvidenceSource
from kubecurrent.model.inventory import ApiEvidence, ApiUse

MAX_EXAMPLES = 5

_Key = tuple[str, str, str, str | None, str | None, str | None, str | None]


@dataclass
class _Tally:
    count: int = 0
    last_seen: str | None = None
    examples: list[str] = field(default_factory=list)


@dataclass
class EvidenceCounter:
    watched: set[tuple[str, str]]
    """(apiVersion, kind) pairs worth recording: deprecated or removed at some version."""
    tallies: dict[_Key, _Tally] = field(default_factory=dict)

    def record(
        self,
        api_version: str,
        kind: str,
        source: EvidenceSource,
        *,
        obj: str = "",
        manager: str | None = None,
        operation: str | None = None,
        resource: str | None = None,
        release: str | None = None,
        seen: str | None = None,
        count: int = 1,
    ) -> None:
        key = (api_version, kind, source.value, manager, operation, resource, release)
        tally = self.tallies.setdefault(key, _Tally())
        tally.count += count
        if seen and (tally.last_seen is None or seen > tally.last_seen):
            tally.last_seen = seen
        if obj and len(tally.examples) < MAX_EXAMPLES and obj not in tally.examples:
            tally.examples.append(obj)

    def object_metadata(self, kind: str, meta: ObjectMeta) -> None:
        """managedFields and last-applied of one object listed metadata-only."""
        label = f"{meta.namespace}/{meta.name}" if meta.namespace else meta.name
        for entry in meta.managedFields:
            if (entry.apiVersion, kind) in self.watched:
                self.record(
                    entry.apiVersion,
                    kind,
                    EvidenceSource.MANAGED_FIELDS,
                    obj=label,
                    manager=entry.manager or None,
                    operation=entry.operation,
                    seen=entry.time,
                )
        annotations = meta.annotations
        applied = last_applied_version(annotations.last_applied if annotations else None)
        if applied and (applied, kind) in self.watched:
            self.record(applied, kind, EvidenceSource.LAST_APPLIED, obj=label)

    def fresh(self) -> EvidenceCounter:
        """An empty counter watching the same pairs (for a read running beside others)."""
        return EvidenceCounter(self.watched)

    def merge(self, other: EvidenceCounter) -> None:
        """Add ``other``'s tallies as if its objects had been recorded here after ours, so
        counters filled concurrently and merged in a fixed order give the sequential result."""
        for key, theirs in other.tallies.items():
            tally = self.tallies.setdefault(key, _Tally())
            tally.count += theirs.count
            if theirs.last_seen and (tally.last_seen is None or theirs.last_seen > tally.last_seen):
                tally.last_seen = theirs.last_seen
            for obj in theirs.examples:
                if len(tally.examples) < MAX_EXAMPLES and obj not in tally.examples:
                    tally.examples.append(obj)

    def result(self) -> tuple[ApiEvidence, ...]:
        out = [
            ApiEvidence(
                api_version=k[0],
                kind=k[1],
                source=k[2],
                count=t.count,
                manager=k[3],
                operation=k[4],
                resource=k[5],
                release=k[6],
                last_seen=t.last_seen,
                examples=tuple(t.examples),
            )
            for k, t in self.tallies.items()
        ]
        return tuple(sorted(out, key=lambda e: (e.api_version, e.kind, e.source, e.manager or "")))


def last_applied_version(annotation: Any) -> str | None:
    """The apiVersion recorded in a last-applied-configuration annotation (may be stale)."""
    if not isinstance(annotation, str) or not annotation:
        return None
    try:
        data = json.loads(annotation)
    except ValueError:
        return None
    return str(data["apiVersion"]) if isinstance(data, dict) and data.get("apiVersion") else None


def api_usage(evidence: tuple[ApiEvidence, ...]) -> tuple[ApiUse, ...]:
    """Objects per (apiVersion, kind) for the planner: the largest count any source saw."""
    best: dict[tuple[str, str], int] = {}
    for e in evidence:
        if e.source in (
            EvidenceSource.MANAGED_FIELDS,
            EvidenceSource.HELM_RELEASE,
            EvidenceSource.LAST_APPLIED,
        ):
            key = (e.api_version, e.kind)
            best[key] = max(best.get(key, 0), e.count)
    return tuple(ApiUse(api_version=a, kind=k, count=c) for (a, k), c in sorted(best.items()))
