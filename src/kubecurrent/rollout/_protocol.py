"""The one interface to rollout state: every read and transition the engine, CLI, dashboard and
controller need, over typed records (``kubecurrent.rollout._state``).

Two homes implement it: a SQLite file (``SqliteStore``, the embedded default) and custom
resources in a management cluster. Whatever the home:

- every method is **atomic**: a process killed at any instant leaves either all of a call's
  changes or none of them (``move_clusters`` and ``move_waves`` are atomic per cluster or wave,
  not for the set);
- a ``move_*`` call is a compare-and-set: with ``only_from``, it changes the record only when its
  state is one of those, and returns None otherwise (a Kubernetes home reads the object, checks,
  and writes with its ``resourceVersion``, retrying on a conflict);
- a move to the state a record already has changes the given fields but journals nothing, so an
  action repeated after a crash leaves one journal entry;
- every state change appends a ``JournalEntry`` (``Change`` says who, when and why); the journal
  and the audit trail are append-only;
- an unknown rollout raises ``UsageError`` naming the known ones; a write that keeps losing
  optimistic-concurrency races raises ``StoreConflict``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

from kubecurrent.errors import KubecurrentError
from kubecurrent.execute import Baseline
from kubecurrent.model.plan import ClusterPlan
from kubecurrent.rollout._approvals import Approval
from kubecurrent.rollout._settings import RunnerSettings
from kubecurrent.rollout._state import (
    AuditEntry,
    Change,
    ClusterRecord,
    ClusterState,
    JournalEntry,
    LeaseRecord,
    Request,
    RolloutRecord,
    RolloutState,
    StepRecord,
    StepState,
    WaveRecord,
    WaveState,
)

__all__ = ["RolloutStore", "StoreConflict"]


class StoreConflict(KubecurrentError):
    """A write lost every optimistic-concurrency retry (another writer kept changing the same
    record); the caller may run the action again."""


class RolloutStore(Protocol):
    """Where rollouts live (see the module docstring for the guarantees of every call)."""

    @property
    def where(self) -> str:
        """The store as a person names it in messages (a file path, ``k8s://context/ns``)."""
        ...

    # --- reading ---------------------------------------------------------------------------

    def rollout(self, rid: str) -> RolloutRecord:
        """The rollout ``rid``; an unknown id raises ``UsageError`` naming known ones."""
        ...

    def rollouts(self) -> list[RolloutRecord]:
        """Every rollout, newest first."""
        ...

    def latest(self) -> str:
        """The id of the newest rollout (``UsageError`` when there is none)."""
        ...

    def waves(self, rid: str) -> list[WaveRecord]:
        """The rollout's waves in order."""
        ...

    def clusters(self, rid: str, wave: int | None = None) -> list[ClusterRecord]:
        """The rollout's clusters (of one wave when given) by position."""
        ...

    def steps(self, rid: str, cluster: str | None = None) -> list[StepRecord]:
        """The recorded plan steps (of one cluster when given), by cluster then order."""
        ...

    def journal(self, rid: str) -> list[JournalEntry]:
        """The rollout's journal, oldest first."""
        ...

    def audit_records(self, rid: str) -> list[AuditEntry]:
        """The rollout's audit trail, oldest first."""
        ...

    def lease(self, rid: str) -> LeaseRecord | None:
        """Who holds the rollout's driver lease (possibly expired), if anybody."""
        ...

    # --- creating and recording ------------------------------------------------------------

    def create(
        self,
        rollout: RolloutRecord,
        waves: Sequence[WaveRecord],
        clusters: Sequence[ClusterRecord],
        change: Change,
    ) -> None:
        """Record a new rollout with its waves and clusters, and ``change`` as a journal note."""
        ...

    def record_plan(
        self,
        rid: str,
        cluster: str,
        plan: ClusterPlan,
        findings_before: Mapping[str, int],
        change: Change,
    ) -> None:
        """Keep a cluster's plan, its from-version and findings, a pending ``StepRecord`` for
        each step not recorded yet (recorded ones keep their state), and ``change`` as a note."""
        ...

    def keep_baseline(self, rid: str, cluster: str, baseline: Baseline) -> None:
        """Keep what was unhealthy on the cluster before its first step (reused on resume)."""
        ...

    def set_runner(
        self, rid: str, settings: RunnerSettings, change: Change, audit: AuditEntry
    ) -> None:
        """Record new runner settings, with ``change`` as a note and ``audit``."""
        ...

    def note(self, rid: str, change: Change) -> None:
        """A journal entry that is not a state change (``change.detail`` says what)."""
        ...

    def audit(self, entry: AuditEntry) -> None:
        """Append an audit record to ``entry.rollout``'s trail."""
        ...

    # --- requests and approvals ------------------------------------------------------------

    def request(
        self, rid: str, request: Request | None, change: Change, audit: AuditEntry | None = None
    ) -> None:
        """Set (or clear, with None) the rollout's pending request; ``change`` becomes a note
        when it has a detail; ``audit`` is appended."""
        ...

    def record_approval(self, rid: str, wave: int, change: Change, audit: AuditEntry) -> Approval:
        """Count ``change.actor``'s approval of wave number ``wave`` — **atomically**: read the
        wave (its ``approvers``), decide with ``judge(rollout, wave, change.actor)`` and write,
        as one compare-and-set on the wave, so two approvals at once can neither both take the
        last place nor count one person twice (a Kubernetes home appends to the wave's approvers
        and writes with the read ``resourceVersion``, judging again after a conflict).

        By outcome: ``COUNTED`` — the actor is appended to the wave's approvers, ``change``
        journaled as a note and ``audit`` appended; ``OPENED`` — the same, and ``approved_by``
        (the approvers joined by ``, ``) and ``approved_at`` (``change.when``) set, which opens
        the gate; ``STARTER_REFUSED`` — only ``refusal(audit, wave name)`` is appended;
        ``REPEATED``, ``ALREADY_OPEN`` — nothing is written. ``audit`` is the caller's
        ``wave.approve`` record with the wave's name in ``extra["wave"]``. Returns the gate as
        it stands after the call."""
        ...

    # --- transitions -----------------------------------------------------------------------

    def move_rollout(
        self,
        rid: str,
        to: RolloutState,
        change: Change,
        *,
        only_from: frozenset[RolloutState] | None = None,
        clear_request: bool = False,
    ) -> RolloutState | None:
        """Move the rollout to ``to`` (its detail becomes ``change.detail``; with
        ``clear_request`` its pending request is cleared in the same write); returns the state
        it had, or None when ``only_from`` excluded it."""
        ...

    def move_wave(
        self,
        rid: str,
        wave: int,
        to: WaveState,
        change: Change,
        *,
        only_from: frozenset[WaveState] | None = None,
        started: dt.datetime | None = None,
        finished: dt.datetime | None = None,
        soak_until: dt.datetime | None = None,
    ) -> WaveState | None:
        """Move wave number ``wave``; the times given are set, the others kept."""
        ...

    def move_waves(
        self, rid: str, to: WaveState, change: Change, *, only_from: frozenset[WaveState]
    ) -> list[int]:
        """Move every wave whose state is in ``only_from``; returns the indexes moved."""
        ...

    def move_cluster(
        self,
        rid: str,
        cluster: str,
        to: ClusterState,
        change: Change,
        *,
        only_from: frozenset[ClusterState] | None = None,
        started: dt.datetime | None = None,
        finished: dt.datetime | None = None,
        final_version: str | None = None,
        findings_after: Mapping[str, int] | None = None,
    ) -> ClusterState | None:
        """Move one cluster; the fields given are set, the others kept."""
        ...

    def move_clusters(
        self, rid: str, to: ClusterState, change: Change, *, only_from: frozenset[ClusterState]
    ) -> list[str]:
        """Move every cluster whose state is in ``only_from``; returns the names moved."""
        ...

    def move_step(
        self,
        rid: str,
        cluster: str,
        order: int,
        to: StepState,
        change: Change,
        *,
        audit: AuditEntry | None = None,
        started: dt.datetime | None = None,
        finished: dt.datetime | None = None,
    ) -> StepState | None:
        """Move one recorded step, appending ``audit`` in the same write; an empty
        ``change.detail`` keeps the step's detail."""
        ...

    # --- the driver lease ------------------------------------------------------------------

    def take_lease(
        self, lease: LeaseRecord, now: dt.datetime, dead: Callable[[LeaseRecord], bool]
    ) -> LeaseRecord | None:
        """Hold ``lease.rollout`` as ``lease`` when nobody holds it, the holder is
        ``lease.holder`` already, its lease expired before ``now``, or ``dead(holder)`` says the
        holder is gone; returns None when taken, else the live holder's lease (nothing written).
        """
        ...

    def renew_lease(self, rid: str, holder: str, expires: dt.datetime) -> bool:
        """Extend ``holder``'s lease; False when ``holder`` no longer holds it."""
        ...

    def release_lease(self, rid: str, holder: str) -> None:
        """Give the lease up (nothing when ``holder`` does not hold it)."""
        ...
