"""The executor loop: one cluster's plan, step by step, verified, gated and audited.

For every step, in plan order::

    already done in the inventory?  → skipped (so a stopped upgrade resumes by running again)
    confirm (``--step-by-step``)     → a "no" stops before the step, nothing half-done
    act, retrying retryable errors   → RetryPolicy; a permanent error stops the upgrade
    collect the inventory again      → the step's effect must show, else it stops
    health gate                      → nodes, control plane, workloads, crash loops

Before the first step it refuses plans with steps it cannot execute (migration, replace,
remove) and clusters that fail the health gate, so it never stops half-way for those reasons.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal, Protocol

from kubecurrent.errors import ClusterError
from kubecurrent.execute._audit import Audit
from kubecurrent.execute._clock import Clock
from kubecurrent.execute._errors import (
    PermanentStepError,
    RetryableStepError,
    RetryPolicy,
    StepError,
)
from kubecurrent.execute._health import Baseline
from kubecurrent.execute._verify import already_done, effect_missing, unsupported
from kubecurrent.model.aks import AksCluster
from kubecurrent.model.inventory import ClusterInventory
from kubecurrent.model.managed import EksCluster
from kubecurrent.model.plan import ClusterPlan, Step

__all__ = ["ExecutionReport", "Executor", "Gate", "StepAction", "StepProgress", "StepResult"]

StepAction = Callable[[Step, ClusterInventory], str]
"""Carries out one step on the cluster the inventory describes; returns what it did."""
Outcome = Literal["done", "skipped", "failed", "not-run"]


class Gate(Protocol):
    def baseline(self) -> Baseline: ...
    def wait(self, baseline: Baseline, after: str) -> None: ...


@dataclass(frozen=True)
class StepResult:
    step: Step
    outcome: Outcome
    detail: str = ""
    seconds: float = 0.0


@dataclass
class ExecutionReport:
    cluster: str
    target: str
    results: list[StepResult] = field(default_factory=list)
    final: ClusterInventory | None = None
    error: StepError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def observed(step: Step, inv: ClusterInventory) -> str | None:
    """The version the cluster now shows for what ``step`` changes."""
    if step.type in ("control-plane", "check"):
        return inv.server_version or str(inv.control_plane)
    if step.type == "node-pool":
        pool = next((p for p in inv.node_pools if p.name == step.target), None)
        return str(pool.kubelet) if pool else None
    if step.type == "node-image":
        agent = inv.managed.agent_pool(step.target) if isinstance(inv.managed, AksCluster) else None
        return agent.node_image_version if agent else None
    if step.managed_by is not None and isinstance(inv.managed, EksCluster):
        managed = inv.managed.addon(step.target)
        return managed.version if managed else None
    addon = next((a for a in inv.addons if a.name == step.target), None)
    return addon.version if addon else None


class StepProgress(StrEnum):
    """Where a step of the plan is (what ``Executor.progress`` is told)."""

    STARTED = "started"
    DONE = "done"
    SKIPPED = "skipped"
    """The cluster already showed the step's effect; nothing was run."""
    FAILED = "failed"


@dataclass
class Executor:
    plan: ClusterPlan
    actions: Mapping[str, StepAction]
    collect: Callable[[], ClusterInventory]
    gate: Gate
    audit: Audit
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    clock: Clock = field(default_factory=Clock)
    confirm: Callable[[Step], bool] = lambda _step: True
    tell: Callable[[str], None] = lambda _msg: None
    progress: Callable[[Step, StepProgress, str], None] = lambda _step, _now, _detail: None
    """Told each step's progress (after its audit record), with the detail recorded."""

    def preflight(self) -> None:
        """Refuse, before touching anything, plans this executor cannot carry out."""
        if self.plan.status == "blocked":
            raise PermanentStepError(
                f"the plan for {self.plan.name} is blocked: {'; '.join(self.plan.reasons)}",
                hint="run `kubecurrent plan` to see the alternatives",
            )
        problems = unsupported(self.plan.steps)
        problems += [
            f"step {s.order} ({s.type} {s.target}): no provider for {s.type} steps"
            for s in self.plan.steps
            if s.type not in self.actions and not problems
        ]
        if problems:
            raise PermanentStepError(
                f"cannot execute the plan for {self.plan.name}: " + "; ".join(problems),
                hint="do these steps yourself, then plan and run the upgrade again",
            )

    def run(self) -> ExecutionReport:
        report = ExecutionReport(self.plan.name, self.plan.target)
        self.preflight()
        inv = self._collect()
        baseline = self.gate.baseline()
        self.gate.wait(baseline, "the start (the cluster must be healthy before the upgrade)")
        self.audit.write("upgrade.start", before=self.plan.from_version, after=self.plan.target)
        for index, step in enumerate(self.plan.steps):
            if already_done(step, inv):
                report.results.append(StepResult(step, "skipped", "already done"))
                self.audit.write("step.skip", step=step, after=observed(step, inv))
                self.progress(step, StepProgress.SKIPPED, "already done (found by the inventory)")
                continue
            if not self.confirm(step):
                report.results += [StepResult(s, "not-run") for s in self.plan.steps[index:]]
                report.error = PermanentStepError(f"stopped before step {step.order} as asked")
                break
            try:
                inv = self._step(step, inv, baseline, report)
            except StepError as exc:
                self.audit.write("step.fail", step=step, outcome="failed", detail=exc.message)
                self.progress(step, StepProgress.FAILED, exc.message)
                report.results.append(StepResult(step, "failed", exc.message))
                report.results += [StepResult(s, "not-run") for s in self.plan.steps[index + 1 :]]
                report.error = exc
                break
        report.final = inv
        self.audit.write(
            "upgrade.end",
            before=self.plan.from_version,
            after=observed(self.plan.steps[0], inv) if self.plan.steps else None,
            outcome="ok" if report.ok else "failed",
            detail=report.error.message if report.error else "",
        )
        return report

    def _step(
        self, step: Step, inv: ClusterInventory, baseline: Baseline, report: ExecutionReport
    ) -> ClusterInventory:
        self.tell(f"step {step.order}: {step.type} {step.target} {step.from_} → {step.to}")
        self.audit.write("step.start", step=step, after=step.to)
        self.progress(step, StepProgress.STARTED, "")
        started = self.clock.monotonic()
        detail = self.retry.run(
            lambda: self.actions[step.type](step, inv), self.clock.sleep, self._retrying(step)
        )
        after = self._collect()
        missing = effect_missing(step, after)
        if missing is not None:
            raise PermanentStepError(
                f"step {step.order} ({step.type} {step.target}) ran but {missing}",
                hint="inspect the cluster; run the upgrade again once it shows the change",
            )
        self.gate.wait(baseline, f"step {step.order} ({step.type} {step.target})")
        seconds = self.clock.monotonic() - started
        report.results.append(StepResult(step, "done", detail, seconds))
        self.audit.write("step.done", step=step, after=observed(step, after), detail=detail)
        self.progress(step, StepProgress.DONE, detail)
        return after

    def _retrying(self, step: Step) -> Callable[[RetryableStepError, float], None]:
        def tell(exc: RetryableStepError, delay: float) -> None:
            self.audit.write("step.retry", step=step, outcome="retry", detail=exc.message)
            self.tell(f"step {step.order}: {exc.message}; retrying in {delay:.0f}s")

        return tell

    def _collect(self) -> ClusterInventory:
        def once() -> ClusterInventory:
            try:
                return self.collect()
            except ClusterError as exc:
                raise RetryableStepError(
                    f"could not collect {self.plan.name}: {exc.message}", hint=exc.hint
                ) from exc

        return self.retry.run(once, self.clock.sleep)
