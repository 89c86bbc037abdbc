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
import json
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
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
)
from kubecurrent.model.inventory import ClusterInventory
from kubecurrent.model.plan import ClusterPlan
from kubecurrent.rollout._audit import StoreAudit
from kubecurrent.rollout._control import UNFINISHED
from kubecurrent.rollout._events import NO_EVENTS, Event, EventKind, EventSink
from kubecurrent.rollout._lease import Lease
from kubecurrent.rollout._records import ClusterRef, cluster_ref, load_plan, strategy_of
from kubecurrent.rollout._store import Store, stamp
from kubecurrent.rollout._strategy import Wave
from kubecurrent.rollout._windows import hold_opening, opening

__all__ = ["ClusterRun", "Engine", "RunnerFactory"]

STOPPED = ("paused", "aborted", "halted", "waiting-approval")
FINISHED = ("done", "aborted")
EVENTS = {
    ("rollout", "pending", "running"): EventKind.STARTED,
    ("wave", None, "waiting-approval"): EventKind.APPROVAL,
    ("cluster", None, "failed"): EventKind.FAILED,
    ("rollout", None, "halted"): EventKind.HALTED,
    ("rollout", None, "done"): EventKind.DONE,
}
"""(entity, from state or None for any, to state) → the event a transition emits."""


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


class RunnerSource(Protocol):
    """Builds a rollout's per-cluster runners from the runner options recorded with it (a
    process that drives rollouts it did not start, such as the dashboard, needs this)."""

    def record(self) -> dict[str, Any]:
        """The options to record with a rollout started here (plain JSON data)."""
        ...

    def factory(self, recorded: Mapping[str, Any]) -> RunnerFactory:
        """Runners that upgrade clusters with ``recorded`` options (bad ones raise
        ``UsageError`` naming the option)."""
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
    store: Store
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

    # --- top level ------------------------------------------------------------------------

    def drive(self, rollout: str) -> str:
        """Run ``rollout`` until it is done or must stop; returns its state then."""
        with Lease(self.store, rollout):
            return self._drive(rollout)

    def _drive(self, rid: str) -> str:
        row = self.store.rollout(rid)
        if row["state"] in FINISHED:
            return str(row["state"])
        if row["request"] in ("pause", "abort"):
            return self._honour_request(rid)
        self._set("rollout", rid, {"id": rid}, "running", "driving")
        waves = self.store.rows("SELECT * FROM waves WHERE rollout = ? ORDER BY idx", rid)
        strategy = strategy_of(row)
        for wave_row in waves:
            if wave_row["state"] == "done":
                continue
            outcome = self._wave(rid, row, wave_row, strategy.waves[wave_row["idx"]])
            if outcome != "done":
                return outcome
        failed = [
            r["name"]
            for r in self.store.rows(
                "SELECT name FROM clusters WHERE rollout = ? AND state = 'failed' ORDER BY position",
                rid,
            )
        ]
        detail = f"done; failed within the budget: {', '.join(failed)}" if failed else ""
        self._set("rollout", rid, {"id": rid}, "done", detail)
        self.tell(f"rollout {rid}: {detail or 'done'}")
        return "done"

    def _honour_request(self, rid: str) -> str:
        request = self.store.rollout(rid)["request"]
        if request == "abort":
            with self.store.tx() as db:
                self.store.move_all(
                    db,
                    rollout=rid,
                    entity="cluster",
                    where=UNFINISHED,
                    to="aborted",
                    actor=self.actor,
                    when=self.clock.now(),
                )
                self._tx_set(db, "rollout", rid, {"id": rid}, "aborted", "aborted as asked")
                db.execute("UPDATE rollouts SET request = NULL WHERE id = ?", (rid,))
            self.tell(f"rollout {rid}: aborted")
            return "aborted"
        with self.store.tx() as db:
            self._tx_set(db, "rollout", rid, {"id": rid}, "paused", "paused as asked")
            db.execute("UPDATE rollouts SET request = NULL WHERE id = ?", (rid,))
        self.tell(f"rollout {rid}: paused; `kubecurrent rollout resume {rid}` continues")
        return "paused"

    def _stop_requested(self, rid: str) -> bool:
        row = self.store.row("SELECT request FROM rollouts WHERE id = ?", rid)
        return bool(row and row["request"] in ("pause", "abort"))

    # --- waves ----------------------------------------------------------------------------

    def _wave(self, rid: str, rollout: dict[str, Any], row: dict[str, Any], wave: Wave) -> str:
        key = {"rollout": rid, "idx": row["idx"]}
        if wave.approval and not row["approved_by"]:
            self._set("wave", rid, key, "waiting-approval", "needs an approval to start")
            self._set(
                "rollout", rid, {"id": rid}, "waiting-approval", f"wave {wave.name} needs approval"
            )
            self.tell(
                f"rollout {rid}: wave {wave.name} waits for approval: "
                f"`kubecurrent rollout approve {rid} --wave {wave.name}`"
            )
            return "waiting-approval"
        if row["state"] != "soaking":
            self._set("wave", rid, key, "running", "", started=row["started"] or self._now())
            self.tell(f"rollout {rid}: wave {wave.name} started")
            outcome = self._clusters(rid, rollout, row, wave)
            if outcome != "done":
                return outcome
        return self._soak(rid, row, wave)

    def _members(self, rid: str, idx: int) -> list[dict[str, Any]]:
        return self.store.rows(
            "SELECT * FROM clusters WHERE rollout = ? AND wave = ? ORDER BY position", rid, idx
        )

    def _clusters(self, rid: str, rollout: dict[str, Any], row: dict[str, Any], wave: Wave) -> str:
        idx = row["idx"]
        running: dict[Future[None], str] = {}
        with ThreadPoolExecutor(max_workers=wave.concurrency) as pool:
            while True:
                members = self._members(rid, idx)
                failed = [m["name"] for m in members if m["state"] == "failed"]
                halted = wave.failure_budget.exceeded(len(failed), len(members))
                stop = halted or self._stop_requested(rid)
                todo = [
                    m
                    for m in members
                    if m["state"] not in ("done", "failed", "aborted")
                    and m["name"] not in running.values()
                ]
                while not stop and todo and len(running) < wave.concurrency:
                    member = todo.pop(0)
                    future = pool.submit(self._cluster, rid, rollout, member)
                    running[future] = member["name"]
                if not running:
                    break
                finished, _ = wait(list(running), return_when=FIRST_COMPLETED)
                for future in finished:
                    running.pop(future)
                    future.result()  # _cluster never raises for a cluster's own failure
        members = self._members(rid, idx)
        failed = [m["name"] for m in members if m["state"] == "failed"]
        if wave.failure_budget.exceeded(len(failed), len(members)):
            return self._halt(rid, row, wave, failed)
        if self._stop_requested(rid):
            return self._honour_request(rid)
        return "done"

    def _halt(self, rid: str, row: dict[str, Any], wave: Wave, failed: list[str]) -> str:
        why = (
            f"wave {wave.name}: {len(failed)} cluster(s) failed ({', '.join(failed)}); "
            f"the failure budget says {wave.failure_budget.describe()}"
        )
        self._set("wave", rid, {"rollout": rid, "idx": row["idx"]}, "halted", why)
        self._set("rollout", rid, {"id": rid}, "halted", why)
        self.tell(f"rollout {rid}: halted: {why}")
        return "halted"

    def _soak(self, rid: str, row: dict[str, Any], wave: Wave) -> str:
        key = {"rollout": rid, "idx": row["idx"]}
        if wave.soak > dt.timedelta(0):
            current = self.store.row(
                "SELECT soak_until FROM waves WHERE rollout = ? AND idx = ?", rid, row["idx"]
            )
            until_text = current["soak_until"] if current else None
            until = (
                dt.datetime.fromisoformat(until_text)
                if until_text
                else self.clock.now() + wave.soak
            )
            self._set(
                "wave",
                rid,
                key,
                "soaking",
                f"soaking until {stamp(until)}",
                soak_until=stamp(until),
            )
            self.tell(f"rollout {rid}: wave {wave.name} soaks until {stamp(until)}")
            while self.clock.now() < until:
                if self._stop_requested(rid):
                    return self._honour_request(rid)
                left = (until - self.clock.now()).total_seconds()
                self.clock.sleep(max(0.0, min(self.poll, left)))
            unhealthy = self._check_after_soak(rid, row["idx"])
            members = self._members(rid, row["idx"])
            failed = [m["name"] for m in members if m["state"] == "failed"]
            if unhealthy and wave.failure_budget.exceeded(len(failed), len(members)):
                return self._halt(rid, row, wave, failed)
        self._set("wave", rid, key, "done", "", finished=self._now())
        self.tell(f"rollout {rid}: wave {wave.name} done")
        return "done"

    def _check_after_soak(self, rid: str, idx: int) -> list[str]:
        unhealthy = []
        for member in self._members(rid, idx):
            if member["state"] != "done":
                continue
            ref = cluster_ref(member)
            audit = self._audit(rid, ref.name)
            checks = self._promql(rid, member)
            try:
                self.runners(ref).health(audit, self._baseline(rid, ref.name) or Baseline())
                if checks:
                    PromQLGate(None, checks, audit, self.clock).wait(Baseline(), "the soak")
            except KubecurrentError as exc:
                unhealthy.append(ref.name)
                self._set(
                    "cluster",
                    rid,
                    {"rollout": rid, "name": ref.name},
                    "failed",
                    f"unhealthy after the soak: {exc.message}",
                )
        return unhealthy

    # --- one cluster ----------------------------------------------------------------------

    def _cluster(self, rid: str, rollout: dict[str, Any], member: dict[str, Any]) -> None:
        ref = cluster_ref(member)
        key = {"rollout": rid, "name": ref.name}
        if not self._wait_for_window(rid, rollout, member):
            return
        self._set("cluster", rid, key, "running", "", started=member["started"] or self._now())
        audit = self._audit(rid, ref.name)
        try:
            report = self._execute(rid, rollout, member, ref, audit)
        except KubecurrentError as exc:
            self._set("cluster", rid, key, "failed", exc.message, finished=self._now())
            self.tell(f"{ref.name}: failed: {exc.message}")
            return
        except Exception as exc:  # a bug must fail this cluster, not the whole rollout
            message = f"unexpected {type(exc).__name__}: {exc}"
            self._set("cluster", rid, key, "failed", message, finished=self._now())
            self.tell(f"{ref.name}: failed: {message}")
            return
        if report is None:
            return
        if report.ok:
            self.tell(f"{ref.name}: done")
            return
        if self._stop_requested(rid):
            self._set("cluster", rid, key, "pending", f"stopped as asked: {report.error}")
            return
        message = report.error.message if report.error else "failed"
        self._set("cluster", rid, key, "failed", message, finished=self._now())
        self.tell(f"{ref.name}: failed: {message}")

    def _wait_for_window(self, rid: str, rollout: dict[str, Any], member: dict[str, Any]) -> bool:
        strategy = strategy_of(rollout)
        labels = {**json.loads(member["labels"]), "kubecurrent.dev/cluster": member["name"]}
        key = {"rollout": rid, "name": member["name"]}
        while True:
            now = self.clock.now()
            gate = opening(strategy, labels, now)
            if gate.open:
                return True
            if gate.next_open is None:
                self._set("cluster", rid, key, "failed", f"{gate.reason}; no opening ahead")
                return False
            self._set(
                "cluster",
                rid,
                key,
                "waiting-window",
                f"{gate.reason}; opens {stamp(gate.next_open)}",
            )
            if self._stop_requested(rid):
                self._set("cluster", rid, key, "pending", "stopped while waiting for a window")
                return False
            self.clock.sleep(max(0.0, min(self.poll, (gate.next_open - now).total_seconds())))

    def _wait_for_holds(self, rid: str, name: str, plan: ClusterPlan) -> bool:
        """Wait until the provider's maintenance windows and exclusions (the plan's holds)
        allow the cluster to start; False when stopped or when they never will."""
        key = {"rollout": rid, "name": name}
        while True:
            now = self.clock.now()
            gate = hold_opening(plan.holds, now)
            if gate.open:
                self._set("cluster", rid, key, "running", "")
                return True
            if gate.next_open is None:
                self._set("cluster", rid, key, "failed", f"{gate.reason}; no opening ahead")
                return False
            self._set(
                "cluster",
                rid,
                key,
                "waiting-window",
                f"{gate.reason}; opens {stamp(gate.next_open)}",
            )
            if self._stop_requested(rid):
                self._set("cluster", rid, key, "pending", "stopped while waiting for a window")
                return False
            self.clock.sleep(max(0.0, min(self.poll, (gate.next_open - now).total_seconds())))

    def _execute(
        self,
        rid: str,
        rollout: dict[str, Any],
        member: dict[str, Any],
        ref: ClusterRef,
        audit: Audit,
    ) -> ExecutionReport | None:
        run = self.runners(ref)
        key = {"rollout": rid, "name": ref.name}
        recovered = run.recover()
        if recovered:
            audit.write("cluster.recover", detail=recovered)
            self.tell(f"{ref.name}: {recovered}")
        inventory = run.inventory()
        plan = load_plan(member)
        if plan is None:
            plan = run.plan(inventory, rollout["target"])
            self._store_plan(rid, ref.name, plan, run.findings(inventory, rollout["target"]))
        if plan.status == "blocked":
            self._set("cluster", rid, key, "failed", "blocked: " + "; ".join(plan.reasons))
            return None
        if plan.holds and not self._wait_for_holds(rid, ref.name, plan):
            return None
        done = {
            r["step"]
            for r in self.store.rows(
                "SELECT step FROM steps WHERE rollout = ? AND cluster = ? AND state = 'done'",
                rid,
                ref.name,
            )
        }
        remaining = tuple(s for s in plan.steps if s.order not in done)
        executor = run.executor(plan.model_copy(update={"steps": remaining}), audit)
        gate = executor.gate
        checks = self._promql(rid, member)
        if checks:
            gate = PromQLGate(gate, checks, audit, executor.clock)
        executor.gate = _StoredBaseline(
            gate, lambda: self._baseline(rid, ref.name), lambda b: self._keep(rid, ref, b)
        )
        executor.confirm = lambda _step: not self._stop_requested(rid)
        report = executor.run()
        if report.ok:
            final = report.final or run.inventory()
            after = run.findings(final, rollout["target"])
            self._set(
                "cluster",
                rid,
                key,
                "done",
                "",
                finished=self._now(),
                final_version=str(final.control_plane).removeprefix("v"),
                findings_after=json.dumps(after),
            )
        return report

    def _store_plan(self, rid: str, name: str, plan: ClusterPlan, before: dict[str, int]) -> None:
        with self.store.tx() as db:
            db.execute(
                "UPDATE clusters SET plan = ?, from_version = ?, findings_before = ? "
                "WHERE rollout = ? AND name = ?",
                (
                    plan.model_dump_json(by_alias=True),
                    plan.from_version,
                    json.dumps(before),
                    rid,
                    name,
                ),
            )
            for step in plan.steps:
                db.execute(
                    "INSERT OR IGNORE INTO steps(rollout, cluster, step, type, target, "
                    "from_version, to_version, why, state) VALUES (?,?,?,?,?,?,?,?, 'pending')",
                    (rid, name, step.order, step.type, step.target, step.from_, step.to, step.why),
                )
            self.store.note(
                db,
                rid,
                self.actor,
                self.clock.now(),
                f"{name}: planned {plan.from_version} → {plan.target} in {len(plan.steps)} steps",
            )

    def _promql(self, rid: str, member: dict[str, Any]) -> tuple[PromQLCheck, ...]:
        """The strategy's PromQL checks for the wave of ``member`` (none when not set)."""
        health = strategy_of(self.store.rollout(rid)).health_of(int(member["wave"]))
        return (health.check(),) if health is not None else ()

    def _baseline(self, rid: str, name: str) -> Baseline | None:
        row = self.store.row(
            "SELECT baseline FROM clusters WHERE rollout = ? AND name = ?", rid, name
        )
        if not row or not row["baseline"]:
            return None
        data = json.loads(row["baseline"])
        return Baseline(frozenset(data["unavailable"]), frozenset(data["crashing"]))

    def _keep(self, rid: str, ref: ClusterRef, baseline: Baseline) -> None:
        data = {"unavailable": sorted(baseline.unavailable), "crashing": sorted(baseline.crashing)}
        with self.store.tx() as db:
            db.execute(
                "UPDATE clusters SET baseline = ? WHERE rollout = ? AND name = ?",
                (json.dumps(data), rid, ref.name),
            )

    # --- helpers --------------------------------------------------------------------------

    def _audit(self, rid: str, cluster: str) -> StoreAudit:
        return StoreAudit(self.store, rid, cluster, self.actor, self.clock.now)

    def _now(self) -> str:
        return stamp(self.clock.now())

    def _set(
        self,
        entity: str,
        rid: str,
        key: dict[str, Any],
        to: str,
        detail: str = "",
        **fields: Any,
    ) -> None:
        with self.store.tx() as db:
            old = self._tx_set(db, entity, rid, key, to, detail, **fields)
        if old != to:
            self._announce(entity, rid, key, old, to, detail)

    def _announce(
        self, entity: str, rid: str, key: dict[str, Any], old: str | None, to: str, detail: str
    ) -> None:
        kind = EVENTS.get((entity, old, to)) or EVENTS.get((entity, None, to))
        if kind is None:
            return
        row = self.store.rollout(rid)
        wave = strategy_of(row).waves[key["idx"]] if entity == "wave" else None
        self.events.emit(
            Event(
                kind=kind,
                rollout=rid,
                target=str(row["target"]),
                starter=str(row["actor"]),
                time=self.clock.now(),
                wave=wave.name if wave else None,
                cluster=key["name"] if entity == "cluster" else None,
                reason=detail,
                approvals=wave.approvals_needed if wave else 0,
            )
        )

    def _tx_set(
        self,
        db: Any,
        entity: str,
        rid: str,
        key: dict[str, Any],
        to: str,
        detail: str = "",
        **fields: Any,
    ) -> str | None:
        return self.store.transition(
            db,
            rollout=rid,
            entity=entity,
            key=key,
            to=to,
            actor=self.actor,
            when=self.clock.now(),
            detail=detail,
            **fields,
        )
