"""Waiting for a managed cloud's long-running operation, the same way for every cloud.

EKS updates, GKE operations and AKS provisioning states are each read by their provider and
turned into a ``Reading``; ``await_operation`` polls until the operation succeeds, fails or runs
out of time, audits the end (``<cloud>.…-done`` with the cloud's own id) and raises a step error
that names the operation and what to do next. The operation itself goes on in the cloud when we
stop waiting: resuming waits for it instead of starting another.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum

from kubecurrent.execute._audit import Audit
from kubecurrent.execute._clock import Clock
from kubecurrent.execute._errors import PermanentStepError

__all__ = ["Operation", "Phase", "Reading", "await_operation"]


class Phase(Enum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True)
class Reading:
    """One poll of an operation: its phase, the cloud's own word for its state, why it failed."""

    phase: Phase
    state: str
    error: str = ""


@dataclass(frozen=True)
class Operation:
    """An operation being waited for, named for audit records and error messages."""

    label: str
    """Names it in errors: ``EKS update 5f2e… (control plane of prod to 1.33)``."""
    what: str
    """What it changes, in audit details: ``control plane of prod to 1.33``."""
    done_action: str
    """The audit action of its end: ``eks.update-done``."""
    cloud: str
    """The cloud's name in hints: ``EKS``."""
    ids: Mapping[str, str] = field(default_factory=dict)
    """The cloud's id of the operation, recorded with the audit record (``update=…``)."""
    where_to_look: str = ""
    """Where the reason of a failure is when the cloud's reading does not carry it."""


def await_operation(
    read: Callable[[], Reading],
    op: Operation,
    *,
    audit: Audit,
    clock: Clock,
    timeout: float,
    poll: float,
) -> Reading:
    """Poll ``read`` until the operation ends; its successful reading, or a step error."""
    deadline = clock.deadline(timeout)
    while True:
        reading = read()
        if reading.phase is Phase.SUCCEEDED:
            audit.write(
                op.done_action, outcome="ok", detail=f"{op.what}: {reading.state}", **op.ids
            )
            return reading
        if reading.phase is Phase.FAILED:
            error = reading.error or reading.state
            audit.write(op.done_action, outcome="failed", detail=f"{op.what}: {error}", **op.ids)
            raise PermanentStepError(
                f"{op.label} {error}",
                hint=f"{op.where_to_look or f'fix the cause {op.cloud} names'}, then "
                "`kubecurrent rollout resume` (or run the upgrade again): nothing further runs "
                "on this cluster until then",
            )
        if clock.left(deadline) <= 0:
            raise PermanentStepError(
                f"{op.label} still {reading.state} after {timeout:.0f}s",
                hint=f"it goes on in {op.cloud}; resuming waits for it instead of starting another",
            )
        clock.sleep(poll)
