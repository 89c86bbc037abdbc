"""Deprecated API requests from an audit log (JSON lines of ``audit.k8s.io/v1`` Events).

The API server annotates requests to deprecated APIs with ``k8s.io/deprecated: "true"`` (and
``k8s.io/removed-release``); requests to APIs the catalog knows are counted as well, so logs of
servers with older policies still count. A request is counted once, at its ``ResponseComplete``
(or ``Panic``) stage; memory grows with distinct (API, user agent) pairs, never with the log.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass

DEPRECATED_ANNOTATION = "k8s.io/deprecated"
KindOf = Callable[[str, str, str], str | None]
"""(group, version, resource) -> kind when the catalog lists it as deprecated, else None."""


@dataclass
class AuditUse:
    api_version: str
    kind: str
    resource: str
    user_agent: str
    count: int = 0
    last_seen: str = ""


@dataclass
class AuditSummary:
    uses: dict[tuple[str, str, str], AuditUse]
    lines: int = 0
    unreadable: int = 0


def summarize_audit(lines: Iterable[str], kind_of: KindOf) -> AuditSummary:
    """Requests to deprecated APIs per (apiVersion, resource, user agent)."""
    summary = AuditSummary(uses={})
    for line in lines:
        if not line.strip():
            continue
        summary.lines += 1
        try:
            event = json.loads(line)
        except ValueError:
            summary.unreadable += 1
            continue
        if isinstance(event, dict):
            _count(event, kind_of, summary)
    return summary


def _count(event: dict[str, object], kind_of: KindOf, summary: AuditSummary) -> None:
    if event.get("stage") not in (None, "ResponseComplete", "Panic"):
        return
    ref = event.get("objectRef")
    if not isinstance(ref, dict) or not ref.get("resource") or not ref.get("apiVersion"):
        return
    group, version, resource = (
        str(ref.get("apiGroup") or ""),
        str(ref["apiVersion"]),
        str(ref["resource"]),
    )
    annotations = event.get("annotations")
    flagged = isinstance(annotations, dict) and annotations.get(DEPRECATED_ANNOTATION) == "true"
    kind = kind_of(group, version, resource)
    if kind is None and not flagged:
        return
    api_version = f"{group}/{version}" if group else version
    agent = str(event.get("userAgent") or "(unknown)")
    use = summary.uses.setdefault(
        (api_version, resource, agent), AuditUse(api_version, kind or resource, resource, agent)
    )
    use.count += 1
    stamp = str(event.get("stageTimestamp") or event.get("requestReceivedTimestamp") or "")
    use.last_seen = max(use.last_seen, stamp)
