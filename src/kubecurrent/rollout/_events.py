"""What a rollout tells the people around it: typed events and the sink the engine hands them to.

The engine emits an ``Event`` on five transitions — the rollout starts, a wave waits for an
approval, a cluster fails, the rollout halts, the rollout is done — to an ``EventSink``. The sink
must return at once (the engine never waits on a mail server); ``kubecurrent.notify`` delivers
them from a worker thread. ``NO_EVENTS`` drops them (the default).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

__all__ = ["NO_EVENTS", "Event", "EventKind", "EventSink"]


class EventKind(StrEnum):
    """The events a rollout emits; the values are the names used in the strategy's
    ``notify.events`` and in the webhook body's ``event`` field."""

    STARTED = "started"
    APPROVAL = "approval"
    """A wave waits for an approval (the message carries the link to approve it)."""
    FAILED = "failed"
    """A cluster failed (the message carries the reason)."""
    HALTED = "halted"
    DONE = "done"


@dataclass(frozen=True)
class Event:
    """One thing that happened to a rollout, with what a message about it needs."""

    kind: EventKind
    rollout: str
    target: str
    """The Kubernetes version the rollout goes to."""
    starter: str
    """Who started the rollout."""
    time: dt.datetime
    wave: str | None = None
    cluster: str | None = None
    reason: str = ""
    """Why: the failure, the halt, what the approval is for."""
    approvals: int = 0
    """Approvals the wave needs (``approval`` events)."""


class EventSink(Protocol):
    def emit(self, event: Event) -> None:
        """Take ``event`` for delivery; returns at once and never raises."""
        ...


class _NoEvents:
    def emit(self, event: Event) -> None:
        return None


NO_EVENTS: EventSink = _NoEvents()
"""A sink that drops every event."""
