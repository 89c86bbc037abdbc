"""Driving a rollout: waves in order, clusters in a wave concurrently, every transition stored.

One pass of ``Engine.drive``::

    take the lease (one driver per rollout)
    for each wave not done:
        approval needed and missing?  → waiting-approval; the driver exits (approve, then resume)
        clusters, `concurrency` at a time:
            window closed?            → waiting-window until it opens (blackouts win)
            collect; plan once (kept for resume and for the report); findings before
            the plan's holds (the provider's maintenance windows and exclusions, e.g. a GKE
            maintenance exclusion) closed? → waiting-window, with their source, until they open
            execute the steps not done yet; a pause/abort request stops before the next step
            findings after; done — or failed, and the failure budget decides: go on or halt
        soak (deadline stored, so a restart waits only the rest), then every cluster's gate
    done

The strategy's PromQL checks (``health:``, or the wave's own) wrap each cluster's gates: the
executor's gate before and after every step, and the check after the soak.

Killed at any instant, the next ``drive`` continues from the stored state: steps marked done
are not run again; a step that was running is run again only if the cluster does not already
show its effect (the executor checks the inventory first), and actions are idempotent.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from kubecurrent.errors import KubecurrentError
from kubecurrent.execute import (
    Audit,
    Baseline,
    Clock,
    ExecutionReport,
    Executor,
    PromQLCheck,
    PromQLGate,
    StepProgress,
)
from kubecurrent.model.inventory import ClusterInventory
from kubecurrent.model.plan import ClusterPlan, Step
from kubecurrent.rollout._audit import StoreAudit
from kubecurrent.rollout._events import NO_EVENTS, Event, EventKind, EventSink
from kubecurrent.rollout._lease import Lease
from kubecurrent.rollout._protocol import RolloutStore
from kubecurrent.rollout._records import ClusterRef
from kubecurrent.rollout._settings import RunnerSettings
from kubecurrent.rollout._state import (
    UNFINISHED_CLUSTERS,
    AuditAction,
    Change,
    ClusterRecord,
    ClusterState,
    DriveOutcome,
    Entity,
    Request,
    RolloutRecord,
    RolloutState,
    StepState,
    WaveRecord,
    WaveState,
    stamp,
)
from kubecurrent.rollout._strategy import Wave
from kubecurrent.rollout._windows import Opening, hold_opening, opening, unenforced

__all__ = ["ClusterClaim", "ClusterRun", "Engine", "RunnerFactory"]

EVENTS: dict[tuple[Entity, StrEnum | None, StrEnum], EventKind] = {
    (Entity.ROLLOUT, RolloutState.PENDING, RolloutState.RUNNING): EventKind.STARTED,
    (Entity.WAVE, None, WaveState.WAITING_APPROVAL): EventKind.APPROVAL,
    (Entity.CLUSTER, None, ClusterState.FAILED): EventKind.FAILED,
    (Entity.ROLLOUT, None, RolloutState.HALTED): EventKind.HALTED,
    (Entity.ROLLOUT, None, RolloutState.DONE): EventKind.DONE,
}
"""(entity, from state or None for any, to state) → the event the transition emits (the
entity is part of the key: state enums are strings, a wave's ``done`` equals a rollout's)."""


class ClusterRun(Protocol):
    """One cluster's side of a rollout; the CLI builds it (collect, plan, providers, gates)."""

    def recover(self) -> str | None:
        """Bring back what an interrupted run left half-done (a stopped control plane);
        returns what was done, or None."""
        ...

    def inventory(self) -> ClusterInventory: ...
    def plan(self, inventory: ClusterInventory, target: str) -> ClusterPlan: ...
    def findings(self, inventory: ClusterInventory, target: str) -> dict[str, int]: ...
    def executor(self, plan: ClusterPlan, audit: Audit) -> Executor: ...
    def health(self, audit: Audit, baseline: Baseline) -> None:
        """Raise a ``StepError`` when the cluster is unhealthy (after a soak)."""
        ...


RunnerFactory = Callable[[ClusterRef], ClusterRun]


class ClusterClaim(Protocol):
    """Which clusters this process may run, when several processes share a rollout's clusters
    (controller replicas, each holding some shards). The claim is recorded by whoever
    implements it, so that no cluster is run by two processes at once."""

    def take(self, rid: str, member: ClusterRecord) -> bool:
        """Claim ``member`` for this process; False when it is another's (or already run here)."""
        ...

    def holds(self, rid: str, name: str) -> bool:
        """Whether the claim on ``name`` still stands (asked before every step)."""
        ...

    def drop(self, rid: str, name: str) -> None:
        """This process stopped running ``name`` (done, failed, stopped or handed over)."""
        ...


class RunnerSource(Protocol):
    """Builds a rollout's per-cluster runners from the runner options recorded with it (a
    process that drives rollouts it did not start, such as the dashboard, needs this)."""

    def record(self) -> RunnerSettings:
        """The settings to record with a rollout started here."""
        ...

    def factory(self, recorded: RunnerSettings | None) -> RunnerFactory:
        """Runners that upgrade clusters with ``recorded`` settings (None: this source's own;
        bad ones raise ``UsageError`` naming the option)."""
        ...


class _StoredBaseline:
    """Wraps a health gate so that the baseline taken on the first run is reused on resume."""

    def __init__(self, gate: Any, load: Callable[[], Baseline | None], save: Any) -> None:
        self.gate, self.load, self.save = gate, load, save

    def baseline(self) -> Baseline:
        found = self.load()
        if found is None:
            found = self.gate.baseline()
            self.save(found)
        return found

    def wait(self, baseline: Baseline, after: str) -> None:
        self.gate.wait(baseline, after)


@dataclass
class Engine:
    store: RolloutStore
    runners: RunnerFactory
    actor: str
    clock: Clock
    """The rollout's clock: windows, soak and holds (the executor keeps real time)."""
    tell: Callable[[str], None] = lambda _msg: None
    poll: float = 1.0
    """Seconds between looks at the store while holding (window, soak)."""
    events: EventSink = NO_EVENTS
    """Told when the rollout starts, a wave waits for approval, a cluster fails, the rollout
    halts or is done (``EVENTS``); it returns at once (``kubecurrent.notify`` delivers)."""
    claim: ClusterClaim | None = None
    """None: ``drive`` runs every cluster itself. Set: the clusters are spread over several
    processes — ``drive`` keeps the rollout-level decisions (waves, budget, soak, approvals) and
    waits for each wave's clusters, which ``work`` runs in every process for those it claims."""
    _lost: set[tuple[str, str]] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # --- top level ------------------------------------------------------------------------

    def drive(self, rollout: str) -> DriveOutcome:
        """Run ``rollout`` until it is done or must stop; returns why it stopped."""
        with Lease(self.store, rollout):
            return self._drive(rollout)

    def _drive(self, rid: str) -> DriveOutcome:
        rollout = self.store.rollout(rid)
        if rollout.state.finished:
            return self._finished(rid)
        if rollout.request is not None:
            return self._honour_request(rid)
        self._rollout(rid, RolloutState.RUNNING, "driving")
        for wave in self.store.waves(rid):
            if wave.state is WaveState.DONE:
                continue
            outcome = self._wave(rid, rollout, wave, rollout.strategy.waves[wave.index])
            if outcome is not None:
                return outcome
        failed = [c.name for c in self.store.clusters(rid) if c.state is ClusterState.FAILED]
        detail = f"done; failed within the budget: {', '.join(failed)}" if failed else ""
        self._rollout(rid, RolloutState.DONE, detail)
        self.tell(f"rollout {rid}: {detail or 'done'}")
        return DriveOutcome.DONE_WITH_FAILURES if failed else DriveOutcome.DONE

    def _finished(self, rid: str) -> DriveOutcome:
        """The outcome of a rollout that finished before this drive."""
        if self.store.rollout(rid).state is RolloutState.ABORTED:
            return DriveOutcome.ABORTED
        failed = any(c.state is ClusterState.FAILED for c in self.store.clusters(rid))
        return DriveOutcome.DONE_WITH_FAILURES if failed else DriveOutcome.DONE

    def _honour_request(self, rid: str) -> DriveOutcome:
        request = self.store.rollout(rid).request
        if request is Request.ABORT:
            self.store.move_clusters(
                rid, ClusterState.ABORTED, self._change(), only_from=UNFINISHED_CLUSTERS
            )
            self._rollout(rid, RolloutState.ABORTED, "aborted as asked", clear_request=True)
            self.tell(f"rollout {rid}: aborted")
            return DriveOutcome.ABORTED
        self._rollout(rid, RolloutState.PAUSED, "paused as asked", clear_request=True)
        self.tell(f"rollout {rid}: paused; `kubecurrent rollout resume {rid}` continues")
        return DriveOutcome.PAUSED

    def _stop_requested(self, rid: str) -> bool:
        return self.store.rollout(rid).request is not None

    # --- waves ----------------------------------------------------------------------------

    def _wave(
        self, rid: str, rollout: RolloutRecord, record: WaveRecord, wave: Wave
    ) -> DriveOutcome | None:
        """Carry out one wave; None when it is done, else why the drive stops."""
        if wave.approval and not record.approved_by:
            self._wave_to(rid, record, WaveState.WAITING_APPROVAL, "needs an approval to start")
            self._rollout(rid, RolloutState.WAITING_APPROVAL, f"wave {wave.name} needs approval")
            self.tell(
                f"rollout {rid}: wave {wave.name} waits for approval: "
                f"`kubecurrent rollout approve {rid} --wave {wave.name}`"
            )
            return DriveOutcome.WAITING_APPROVAL
        if record.state is not WaveState.SOAKING:
            started = record.started or self.clock.now()
            self._wave_to(rid, record, WaveState.RUNNING, "", started=started)
            self.tell(f"rollout {rid}: wave {wave.name} started")
            outcome = self._clusters(rid, rollout, record, wave)
            if outcome is not None:
                return outcome
        return self._soak(rid, record, wave)

    def _failed(self, rid: str, idx: int) -> tuple[list[str], int]:
        members = self.store.clusters(rid, idx)
        return [m.name for m in members if m.state is ClusterState.FAILED], len(members)

    def _clusters(
        self, rid: str, rollout: RolloutRecord, record: WaveRecord, wave: Wave
    ) -> DriveOutcome | None:
        if self.claim is not None:
            self._await_clusters(rid, record, wave)
        else:
            self._run_clusters(rid, rollout, record, wave)
        failed, size = self._failed(rid, record.index)
        if wave.failure_budget.exceeded(len(failed), size):
            return self._halt(rid, record, wave, failed)
        if self._stop_requested(rid):
            return self._honour_request(rid)
        return None

    def _await_clusters(self, rid: str, record: WaveRecord, wave: Wave) -> None:
        """Wait until the wave's clusters, run by ``work`` elsewhere, are finished, the
        failure budget is exceeded, or a pause or abort is asked for."""
        while True:
            members = self.store.clusters(rid, record.index)
            failed = [m for m in members if m.state is ClusterState.FAILED]
            if wave.failure_budget.exceeded(len(failed), len(members)):
                return
            if self._stop_requested(rid) or all(m.state.finished for m in members):
                return
            self.clock.sleep(self.poll)

    def _run_clusters(
        self, rid: str, rollout: RolloutRecord, record: WaveRecord, wave: Wave
    ) -> None:
        running: dict[Future[None], str] = {}
        with ThreadPoolExecutor(max_workers=wave.concurrency) as pool:
            while True:
                members = self.store.clusters(rid, record.index)
                failed = [m.name for m in members if m.state is ClusterState.FAILED]
                halted = wave.failure_budget.exceeded(len(failed), len(members))
                stop = halted or self._stop_requested(rid)
                todo = [
                    m for m in members if not m.state.finished and m.name not in running.values()
                ]
                while not stop and todo and len(running) < wave.concurrency:
                    member = todo.pop(0)
                    future = pool.submit(self._cluster, rid, rollout, member)
                    running[future] = member.name
                if not running:
                    break
                finished, _ = wait(list(running), return_when=FIRST_COMPLETED)
                for future in finished:
                    running.pop(future)
                    future.result()  # _cluster never raises for a cluster's own failure

    def work(self, rid: str) -> int:
        """Run the clusters of ``rid``'s running wave that this process can claim (``claim``),
        within the wave's concurrency counted over every process; returns how many it ran.
        Returns when none is left to claim now: call it again later (the next wave, a replica
        that died). A cluster another process left running is continued from its recorded
        steps (a step left running is checked against the cluster, not repeated)."""
        claim = self.claim
        if claim is None:
            raise ValueError("Engine.work needs a claim; without one, drive runs every cluster")
        rollout = self.store.rollout(rid)
        if rollout.state is not RolloutState.RUNNING or rollout.request is not None:
            return 0
        current = [w for w in self.store.waves(rid) if w.state is WaveState.RUNNING]
        if not current:
            return 0
        record, ran = current[0], 0
        wave = rollout.strategy.waves[record.index]
        running: dict[Future[None], str] = {}
        with ThreadPoolExecutor(max_workers=wave.concurrency) as pool:
            while True:
                members = self.store.clusters(rid, record.index)
                if self._stop_requested(rid):
                    members = []
                todo = [
                    m for m in members if not m.state.finished and m.name not in running.values()
                ]
                active = sum(1 for m in members if m.state in _ACTIVE)
                # clusters left running (a dead replica's) first: taking them over adds none
                todo.sort(key=lambda m: m.state not in _ACTIVE)
                for member in todo:
                    if member.state not in _ACTIVE and active >= wave.concurrency:
                        break
                    if not claim.take(rid, member):
                        continue
                    active += member.state not in _ACTIVE
                    future = pool.submit(self._claimed, claim, rid, rollout, member)
                    running[future] = member.name
                    ran += 1
                if not running:
                    return ran
                finished, _ = wait(list(running), timeout=self.poll, return_when=FIRST_COMPLETED)
                for future in finished:
                    running.pop(future)
                    future.result()

    def _claimed(
        self, claim: ClusterClaim, rid: str, rollout: RolloutRecord, member: ClusterRecord
    ) -> None:
        try:
            self._cluster(rid, rollout, member)
        finally:
            claim.drop(rid, member.name)

    def _halt(self, rid: str, record: WaveRecord, wave: Wave, failed: list[str]) -> DriveOutcome:
        why = (
            f"wave {wave.name}: {len(failed)} cluster(s) failed ({', '.join(failed)}); "
            f"the failure budget says {wave.failure_budget.describe()}"
        )
        self._wave_to(rid, record, WaveState.HALTED, why)
        self._rollout(rid, RolloutState.HALTED, why)
        self.tell(f"rollout {rid}: halted: {why}")
        return DriveOutcome.HALTED

    def _soak(self, rid: str, record: WaveRecord, wave: Wave) -> DriveOutcome | None:
        if wave.soak > dt.timedelta(0):
            current = next(w for w in self.store.waves(rid) if w.index == record.index)
            until = current.soak_until or self.clock.now() + wave.soak
            self._wave_to(
                rid, record, WaveState.SOAKING, f"soaking until {stamp(until)}", soak_until=until
            )
            self.tell(f"rollout {rid}: wave {wave.name} soaks until {stamp(until)}")
            while self.clock.now() < until:
                if self._stop_requested(rid):
                    return self._honour_request(rid)
                left = (until - self.clock.now()).total_seconds()
                self.clock.sleep(max(0.0, min(self.poll, left)))
            unhealthy = self._check_after_soak(rid, record.index)
            failed, size = self._failed(rid, record.index)
            if unhealthy and wave.failure_budget.exceeded(len(failed), size):
                return self._halt(rid, record, wave, failed)
        self._wave_to(rid, record, WaveState.DONE, "", finished=self.clock.now())
        self.tell(f"rollout {rid}: wave {wave.name} done")
        return None

    def _check_after_soak(self, rid: str, idx: int) -> list[str]:
        unhealthy = []
        for member in self.store.clusters(rid, idx):
            if member.state is not ClusterState.DONE:
                continue
            audit = self._audit(rid, member.name)
            checks = self._promql(rid, member)
            try:
                self.runners(member.ref).health(audit, member.baseline or Baseline())
                if checks:
                    PromQLGate(None, checks, audit, self.clock).wait(Baseline(), "the soak")
            except KubecurrentError as exc:
                unhealthy.append(member.name)
                self._cluster_to(
                    rid,
                    member.name,
                    ClusterState.FAILED,
                    f"unhealthy after the soak: {exc.message}",
                )
        return unhealthy

    # --- one cluster ----------------------------------------------------------------------

    def _cluster(self, rid: str, rollout: RolloutRecord, member: ClusterRecord) -> None:
        name = member.name
        if not self._wait_for_window(rid, rollout, member):
            return
        started = member.started or self.clock.now()
        self._cluster_to(rid, name, ClusterState.RUNNING, "", started=started)
        audit = self._audit(rid, name)
        try:
            report = self._execute(rid, rollout, member, audit)
        except KubecurrentError as exc:
            self._cluster_to(rid, name, ClusterState.FAILED, exc.message, finished=self.clock.now())
            self.tell(f"{name}: failed: {exc.message}")
            return
        except Exception as exc:  # a bug must fail this cluster, not the whole rollout
            message = f"unexpected {type(exc).__name__}: {exc}"
            self._cluster_to(rid, name, ClusterState.FAILED, message, finished=self.clock.now())
            self.tell(f"{name}: failed: {message}")
            return
        if report is None:
            return
        if not report.ok and self._handed_over(rid, name):
            self.tell(f"{name}: handed over to another process")
            return
        if report.ok:
            self.tell(f"{name}: done")
            return
        if self._stop_requested(rid):
            self._cluster_to(rid, name, ClusterState.PENDING, f"stopped as asked: {report.error}")
            return
        message = report.error.message if report.error else "failed"
        self._cluster_to(rid, name, ClusterState.FAILED, message, finished=self.clock.now())
        self.tell(f"{name}: failed: {message}")

    def _wait_for_window(self, rid: str, rollout: RolloutRecord, member: ClusterRecord) -> bool:
        labels = {**member.ref.labels, "kubecurrent.dev/cluster": member.name}
        return self._hold(rid, member.name, lambda now: opening(rollout.strategy, labels, now))

    def _wait_for_holds(self, rid: str, name: str, plan: ClusterPlan) -> bool:
        """Wait until the provider's maintenance windows and exclusions (the plan's holds)
        allow the cluster to start; False when stopped or when they never will."""
        if not self._hold(rid, name, lambda now: hold_opening(plan.holds, now)):
            return False
        self._cluster_to(rid, name, ClusterState.RUNNING, unenforced(plan.holds))
        return True

    def _hold(self, rid: str, name: str, gate_at: Callable[[dt.datetime], Opening]) -> bool:
        """Wait until ``gate_at`` opens (the cluster waits in ``waiting-window``); False when
        stopped as asked or when it never opens."""
        while True:
            now = self.clock.now()
            gate = gate_at(now)
            if gate.open:
                return True
            if gate.next_open is None:
                self._cluster_to(rid, name, ClusterState.FAILED, f"{gate.reason}; no opening ahead")
                return False
            self._cluster_to(
                rid,
                name,
                ClusterState.WAITING_WINDOW,
                f"{gate.reason}; opens {stamp(gate.next_open)}",
            )
            if self._stop_requested(rid):
                self._cluster_to(
                    rid, name, ClusterState.PENDING, "stopped while waiting for a window"
                )
                return False
            self.clock.sleep(max(0.0, min(self.poll, (gate.next_open - now).total_seconds())))

    def _execute(
        self, rid: str, rollout: RolloutRecord, member: ClusterRecord, audit: StoreAudit
    ) -> ExecutionReport | None:
        name = member.name
        run = self.runners(member.ref)
        recovered = run.recover()
        if recovered:
            audit.write(AuditAction.RECOVER, detail=recovered)
            self.tell(f"{name}: {recovered}")
        inventory = run.inventory()
        plan = member.plan
        if plan is None:
            plan = run.plan(inventory, rollout.target)
            planned = (
                f"{name}: planned {plan.from_version} → {plan.target} in {len(plan.steps)} steps"
            )
            self.store.record_plan(
                rid, name, plan, run.findings(inventory, rollout.target), self._change(planned)
            )
        if plan.status == "blocked":
            self._cluster_to(rid, name, ClusterState.FAILED, "blocked: " + "; ".join(plan.reasons))
            return None
        if plan.holds and not self._wait_for_holds(rid, name, plan):
            return None
        done = {s.order for s in self.store.steps(rid, name) if s.state is StepState.DONE}
        remaining = tuple(s for s in plan.steps if s.order not in done)
        executor = run.executor(plan.model_copy(update={"steps": remaining}), audit)
        gate = executor.gate
        checks = self._promql(rid, member)
        if checks:
            gate = PromQLGate(gate, checks, audit, executor.clock)
        executor.gate = _StoredBaseline(
            gate,
            lambda: self._baseline(rid, name),
            lambda b: self.store.keep_baseline(rid, name, b),
        )
        executor.confirm = lambda _step: self._confirm(rid, name)
        executor.progress = lambda step, now, detail: self._step(rid, name, step, now, detail)
        report = executor.run()
        if report.ok:
            final = report.final or run.inventory()
            after = run.findings(final, rollout.target)
            self._cluster_to(
                rid,
                name,
                ClusterState.DONE,
                unenforced(plan.holds),
                finished=self.clock.now(),
                final_version=str(final.control_plane).removeprefix("v"),
                findings_after=after,
            )
        return report

    def _step(self, rid: str, cluster: str, step: Step, now: StepProgress, detail: str) -> None:
        """Record a step's progress as the executor reports it."""
        when = self.clock.now()
        to = _STEP_STATE[now]
        started, finished = (when, None) if to is StepState.RUNNING else (None, when)
        change = Change(self.actor, when, detail)
        self.store.move_step(
            rid, cluster, step.order, to, change, started=started, finished=finished
        )

    def _promql(self, rid: str, member: ClusterRecord) -> tuple[PromQLCheck, ...]:
        """The strategy's PromQL checks for the wave of ``member`` (none when not set)."""
        health = self.store.rollout(rid).strategy.health_of(member.wave)
        return (health.check(),) if health is not None else ()

    def _baseline(self, rid: str, name: str) -> Baseline | None:
        found = [c for c in self.store.clusters(rid) if c.name == name]
        return found[0].baseline if found else None

    # --- helpers --------------------------------------------------------------------------

    def _confirm(self, rid: str, name: str) -> bool:
        """Whether ``name``'s next step may start: no pause or abort asked for, and the claim
        on it still stands (when lost, the cluster is left as it is for the next holder)."""
        if self._stop_requested(rid):
            return False
        if self.claim is None or self.claim.holds(rid, name):
            return True
        with self._lock:
            self._lost.add((rid, name))
        return False

    def _handed_over(self, rid: str, name: str) -> bool:
        """Whether ``name`` stopped because its claim was lost (asked once per stop)."""
        with self._lock:
            lost = (rid, name) in self._lost
            self._lost.discard((rid, name))
        return lost

    def _audit(self, rid: str, cluster: str) -> StoreAudit:
        return StoreAudit(self.store, rid, cluster, self.actor, self.clock.now)

    def _change(self, detail: str = "") -> Change:
        return Change(self.actor, self.clock.now(), detail)

    def _rollout(
        self, rid: str, to: RolloutState, detail: str, *, clear_request: bool = False
    ) -> None:
        old = self.store.move_rollout(rid, to, self._change(detail), clear_request=clear_request)
        self._announce(rid, Entity.ROLLOUT, old, to, detail)

    def _announce(
        self,
        rid: str,
        entity: Entity,
        old: StrEnum | None,
        to: StrEnum,
        detail: str,
        *,
        wave: WaveRecord | None = None,
        cluster: str | None = None,
    ) -> None:
        """Emit the event of a transition from ``old`` to ``to`` (``EVENTS``), if it has one
        and the state changed."""
        if old is None or old == to:
            return
        kind = EVENTS.get((entity, old, to)) or EVENTS.get((entity, None, to))
        if kind is None:
            return
        rollout = self.store.rollout(rid)
        self.events.emit(
            Event(
                kind=kind,
                rollout=rid,
                target=rollout.target,
                starter=rollout.actor,
                time=self.clock.now(),
                wave=wave.name if wave else None,
                cluster=cluster,
                reason=detail,
                approvals=wave.approvals_needed if wave else 0,
            )
        )

    def _wave_to(
        self,
        rid: str,
        record: WaveRecord,
        to: WaveState,
        detail: str,
        *,
        started: dt.datetime | None = None,
        finished: dt.datetime | None = None,
        soak_until: dt.datetime | None = None,
    ) -> None:
        old = self.store.move_wave(
            rid,
            record.index,
            to,
            self._change(detail),
            started=started,
            finished=finished,
            soak_until=soak_until,
        )
        self._announce(rid, Entity.WAVE, old, to, detail, wave=record)

    def _cluster_to(
        self,
        rid: str,
        name: str,
        to: ClusterState,
        detail: str,
        *,
        started: dt.datetime | None = None,
        finished: dt.datetime | None = None,
        final_version: str | None = None,
        findings_after: Mapping[str, int] | None = None,
    ) -> None:
        old = self.store.move_cluster(
            rid,
            name,
            to,
            self._change(detail),
            started=started,
            finished=finished,
            final_version=final_version,
            findings_after=findings_after,
        )
        self._announce(rid, Entity.CLUSTER, old, to, detail, cluster=name)


_ACTIVE = frozenset({ClusterState.RUNNING, ClusterState.WAITING_WINDOW})
"""Cluster states that take one of a wave's concurrency slots."""

_STEP_STATE = {
    StepProgress.STARTED: StepState.RUNNING,
    StepProgress.DONE: StepState.DONE,
    StepProgress.SKIPPED: StepState.DONE,
    StepProgress.FAILED: StepState.FAILED,
}
