"""An event as plain JSON and back: how a queued delivery is kept in the audit trail, so that
another process can send what a dead one had queued (``Dispatcher.resume``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from kubecurrent.notify._secrets import Redactor
from kubecurrent.rollout import Event, EventKind, JsonValue

__all__ = ["event_from_json", "event_json"]

REASON = 300
"""Characters of the reason kept (an audit record stays under the store's size limits)."""


def event_json(event: Event, redactor: Redactor) -> dict[str, JsonValue]:
    return {
        "kind": event.kind.value,
        "target": event.target,
        "starter": event.starter,
        "time": event.time.isoformat(),
        "wave": event.wave,
        "cluster": event.cluster,
        "reason": redactor.redact(event.reason)[:REASON],
        "approvals": event.approvals,
    }


def event_from_json(rollout: str, data: Mapping[str, JsonValue]) -> Event | None:
    """The event ``event_json`` wrote, or None when the record is not one (clipped, foreign)."""
    try:
        approvals = data.get("approvals", 0)
        return Event(
            kind=EventKind(str(data["kind"])),
            rollout=rollout,
            target=str(data["target"]),
            starter=str(data["starter"]),
            time=dt.datetime.fromisoformat(str(data["time"])),
            wave=None if data.get("wave") is None else str(data["wave"]),
            cluster=None if data.get("cluster") is None else str(data["cluster"]),
            reason=str(data.get("reason") or ""),
            approvals=approvals if isinstance(approvals, int) else 0,
        )
    except (KeyError, ValueError):
        return None
