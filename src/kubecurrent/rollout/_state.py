"""What a rollout store holds, as typed records: states are enums, times are aware datetimes.

::

    RolloutRecord   one per rollout: target, strategy, runner settings, state, pending request
      WaveRecord      per wave (by index): state, approvals needed, who approved, soak deadline
      ClusterRecord   per cluster: wave, position, where to reach it, state, plan, findings
        StepRecord      per plan step of a cluster: state, timings, detail
      JournalEntry    append-only: a state change of the rollout, a wave, a cluster or a step,
                      or a note (an approval, a request, a plan recorded)
      AuditEntry      append-only: an action on a cluster or on the rollout (who, what, outcome)
      LeaseRecord     which driver holds the rollout, until when

Every state enum is a ``StrEnum`` whose values are what stores write and people read
(``waiting-approval``), so a record prints the same in a table, a file and a custom resource.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from kubecurrent.execute import Baseline
from kubecurrent.model.plan import ClusterPlan
from kubecurrent.rollout._records import ClusterRef
from kubecurrent.rollout._settings import RunnerSettings
from kubecurrent.rollout._strategy import Strategy

__all__ = [
    "UNFINISHED_CLUSTERS",
    "AuditAction",
    "AuditEntry",
    "Change",
    "ClusterRecord",
    "ClusterState",
    "DriveOutcome",
    "Entity",
    "JournalEntry",
    "JsonValue",
    "LeaseRecord",
    "Request",
    "RolloutRecord",
    "RolloutState",
    "RolloutSummary",
    "StepRecord",
    "StepState",
    "WaveRecord",
    "WaveState",
    "new_id",
    "stamp",
]

JsonValue = str | int | float | bool | None | list["JsonValue"] | dict[str, "JsonValue"]


def stamp(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).isoformat(timespec="seconds")


def new_id(now: dt.datetime) -> str:
    return f"r-{now.astimezone(dt.UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


class RolloutState(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    WAITING_APPROVAL = "waiting-approval"
    """A wave's approval gate is closed; the driver has exited."""
    PAUSED = "paused"
    HALTED = "halted"
    """A wave's failure budget was exceeded; a resume must retry the failed clusters."""
    DONE = "done"
    ABORTED = "aborted"

    @property
    def finished(self) -> bool:
        """Nothing will ever move it again."""
        return self in (RolloutState.DONE, RolloutState.ABORTED)


class WaveState(StrEnum):
    PENDING = "pending"
    WAITING_APPROVAL = "waiting-approval"
    RUNNING = "running"
    SOAKING = "soaking"
    HALTED = "halted"
    DONE = "done"


class ClusterState(StrEnum):
    PENDING = "pending"
    WAITING_WINDOW = "waiting-window"
    """Its maintenance window (or the provider's hold) is closed; it starts when it opens."""
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    ABORTED = "aborted"

    @property
    def finished(self) -> bool:
        """The engine will not start it again in this pass (a retry puts failed ones back)."""
        return self in (ClusterState.DONE, ClusterState.FAILED, ClusterState.ABORTED)


UNFINISHED_CLUSTERS = frozenset(s for s in ClusterState if not s.finished)


class StepState(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Request(StrEnum):
    """What a person asked of a rollout that its driver has not honoured yet."""

    PAUSE = "pause"
    ABORT = "abort"


class Entity(StrEnum):
    """What a journal entry is about."""

    ROLLOUT = "rollout"
    WAVE = "wave"
    CLUSTER = "cluster"
    STEP = "step"
    NOTE = "note"
    """Not a state change: an approval, a request, a plan recorded."""


class AuditAction(StrEnum):
    """The audit actions the rollout layer writes itself (the executor writes its own, such as
    ``step.done`` or ``node.cordon``; ``AuditEntry.action`` holds either)."""

    PAUSE = "rollout.pause"
    ABORT = "rollout.abort"
    RESUME = "rollout.resume"
    RUNNER = "rollout.runner"
    APPROVE = "wave.approve"
    RECOVER = "cluster.recover"
    REHEARSAL = "rehearsal"


class DriveOutcome(StrEnum):
    """Why ``Engine.drive`` returned (the CLI maps each to one exit code)."""

    DONE = "done"
    """Every cluster is at the target."""
    DONE_WITH_FAILURES = "done-with-failures"
    """Finished, but some clusters failed within their wave's failure budget."""
    WAITING_APPROVAL = "waiting-approval"
    PAUSED = "paused"
    HALTED = "halted"
    ABORTED = "aborted"


@dataclass(frozen=True, slots=True)
class Change:
    """Who makes a change, when, and why (what the journal records with it)."""

    actor: str
    when: dt.datetime
    detail: str = ""


@dataclass(frozen=True, slots=True)
class RolloutRecord:
    id: str
    target: str
    fleet: str
    """The fleet file (or the dashboard's description of where the clusters came from)."""
    strategy: Strategy
    state: RolloutState
    created: dt.datetime
    updated: dt.datetime
    actor: str
    """Who started it."""
    detail: str = ""
    request: Request | None = None
    runner: RunnerSettings | None = None
    """How its clusters are upgraded (None: nothing recorded; the driving process's own)."""


@dataclass(frozen=True, slots=True)
class WaveRecord:
    rollout: str
    index: int
    name: str
    state: WaveState
    approvals_needed: int
    """How many different people must approve before it starts (0: no approval gate)."""
    approvers: tuple[str, ...] = ()
    """The different people whose approval counts so far, first approval first."""
    approved_by: str | None = None
    """Set when the gate opened: the approvers, joined by ``, ``."""
    approved_at: dt.datetime | None = None
    soak_until: dt.datetime | None = None
    started: dt.datetime | None = None
    finished: dt.datetime | None = None
    detail: str = ""

    def __post_init__(self) -> None:
        # A bool is an int to the type checker: the field was a bool before approvals by
        # several people, and a caller still passing one would write a wrong schema value.
        if isinstance(self.approvals_needed, bool):
            raise TypeError("WaveRecord.approvals_needed is a number of people, not a bool")

    @property
    def approval(self) -> bool:
        """Whether anybody must approve before it starts."""
        return self.approvals_needed > 0


@dataclass(frozen=True, slots=True)
class ClusterRecord:
    rollout: str
    ref: ClusterRef
    """Where the cluster is reached, and its labels (``ref.name`` is its name in the rollout)."""
    wave: int
    position: int
    """Order in the rollout (waves in order, clusters by name within a wave)."""
    state: ClusterState
    plan: ClusterPlan | None = None
    """Planned once, kept for resume and for the report."""
    baseline: Baseline | None = None
    """What was already unhealthy before the first step (reused on resume)."""
    from_version: str | None = None
    final_version: str | None = None
    findings_before: Mapping[str, int] | None = None
    """Findings per severity before the upgrade (None: not collected yet)."""
    findings_after: Mapping[str, int] | None = None
    started: dt.datetime | None = None
    finished: dt.datetime | None = None
    detail: str = ""

    @property
    def name(self) -> str:
        return self.ref.name


@dataclass(frozen=True, slots=True)
class StepRecord:
    rollout: str
    cluster: str
    order: int
    type: str
    target: str
    state: StepState
    from_version: str | None = None
    to_version: str | None = None
    why: str = ""
    started: dt.datetime | None = None
    finished: dt.datetime | None = None
    detail: str = ""


@dataclass(frozen=True, slots=True)
class JournalEntry:
    seq: int
    """Order within the store (increasing; gaps allowed)."""
    rollout: str
    time: dt.datetime
    actor: str
    entity: Entity
    ref: str
    """Which one: the rollout id, a wave index, a cluster name, ``cluster:step``."""
    from_state: str | None
    to_state: str
    """The new state (``note`` for a note)."""
    detail: str = ""

    def to_json(self) -> dict[str, JsonValue]:
        """The entry as ``rollout history -o json`` prints it (the journal's columns)."""
        return {
            "seq": self.seq,
            "rollout": self.rollout,
            "time": stamp(self.time),
            "actor": self.actor,
            "entity": str(self.entity),
            "ref": self.ref,
            "from_state": self.from_state,
            "to_state": self.to_state,
            "detail": self.detail,
        }


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One audit record: the executor's (``kubecurrent.execute.audit_record``) or the rollout
    layer's own; ``extra`` holds further fields (an update id, a rehearsal's evidence hash)."""

    time: dt.datetime
    user: str
    action: str
    rollout: str
    cluster: str | None = None
    step: int | None = None
    type: str | None = None
    target: str | None = None
    before: str | None = None
    after: str | None = None
    outcome: str = "ok"
    detail: str = ""
    extra: Mapping[str, JsonValue] = field(default_factory=dict)

    def to_json(self) -> dict[str, JsonValue]:
        """The record as the audit trail stores and shows it (the executor's field order)."""
        record: dict[str, JsonValue] = {
            "time": self.time.isoformat(timespec="seconds"),
            "user": self.user,
            "cluster": self.cluster,
            "action": self.action,
        }
        if self.step is not None:
            record |= {"step": self.step, "type": self.type, "target": self.target}
        elif self.target is not None:  # what a rollout-level action was about (a channel)
            record["target"] = self.target
        record |= {"before": self.before, "after": self.after}
        record |= {"outcome": self.outcome, "detail": self.detail, **self.extra}
        return record | {"rollout": self.rollout}

    @classmethod
    def from_json(cls, data: Mapping[str, JsonValue]) -> AuditEntry:
        """An audit record read back (``to_json``'s output, or an executor's record)."""

        def text(key: str) -> str | None:
            value = data.get(key)
            return None if value is None else str(value)

        step = data.get("step")
        return cls(
            time=dt.datetime.fromisoformat(str(data["time"])),
            user=str(data.get("user", "")),
            action=str(data.get("action", "")),
            rollout=str(data.get("rollout", "")),
            cluster=text("cluster"),
            step=int(step) if isinstance(step, int | str) else None,
            type=text("type"),
            target=text("target"),
            before=text("before"),
            after=text("after"),
            outcome=str(data.get("outcome", "ok")),
            detail=str(data.get("detail") or ""),
            extra={k: v for k, v in data.items() if k not in _AUDIT_FIELDS},
        )


_AUDIT_FIELDS = frozenset(
    {"time", "user", "cluster", "action", "rollout", "step", "type", "target", "before", "after"}
    | {"outcome", "detail"}
)


@dataclass(frozen=True, slots=True)
class LeaseRecord:
    """Which driver holds a rollout; ``holder`` is unique per driver (``host:pid`` for a
    process, a pod name for a controller replica)."""

    rollout: str
    holder: str
    host: str
    pid: int
    pid_started: float
    """The holder process's start time (with the pid, tells a dead holder on this host)."""
    expires: dt.datetime


@dataclass(frozen=True, slots=True)
class RolloutSummary:
    """A line of the rollout list: the rollout and how many clusters are in each state."""

    rollout: RolloutRecord
    clusters: Mapping[ClusterState, int]
