"""One controller replica: shares work through Leases, records the FleetUpgrades people apply,
and serves ``/healthz``, ``/readyz`` and ``/metrics``.

Each round (every ``interval`` seconds, or at once when a watch on FleetUpgrades reports a
change) the lead replica records every FleetUpgrade that is not a rollout yet
(``_declare.declared_rollout`` → ``KubeStore.adopt``) and checks the recorded ones against their
spec: a changed target or wave list is refused on the ``Accepted`` condition, other strategy
changes are put in force, ``spec.paused`` becomes a pause request. With ``runners`` (how
clusters are upgraded), the lead replica also drives each rollout that can go on with the
rollout engine, in a thread per rollout, through the same store (``_drive``). Deleting a FleetUpgrade
deletes its ClusterUpgrades (owner references), so nothing of it is driven again.

With ``spread`` (the default) one rollout's clusters are spread over the replicas: the lead
replica's engine keeps the rollout-level decisions (waves, soak, failure budget, approvals) and
waits for each wave's clusters, while every replica, the lead included, runs ``Engine.work``
each round for every running rollout: the clusters whose shard it holds (``ShardClaim``).
"""

from __future__ import annotations

import datetime as dt
import http.server
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lightkube.core.exceptions import ApiError
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import CollectorRegistry

from kubecurrent.controller._claims import ShardClaim
from kubecurrent.controller._declare import (
    Declared,
    changed_strategy,
    declared_rollout,
    edit_refusal,
)
from kubecurrent.controller._leases import Coordinator
from kubecurrent.controller._metrics import StoreCollector
from kubecurrent.controller._probe import PROBE_REFRESH, changed, probe, status_of
from kubecurrent.errors import KubecurrentError, UsageError
from kubecurrent.execute import Clock
from kubecurrent.kubestate import FleetUpgrade, KubeStore
from kubecurrent.notify import Dispatcher
from kubecurrent.rollout import (
    Change,
    Engine,
    Request,
    RolloutRecord,
    RolloutState,
    RunnerSource,
    WaveState,
    prepare_resume,
)

__all__ = ["Controller", "serve_health"]

log = logging.getLogger("kubecurrent.controller")
ACCEPTED = "Accepted"
NOTIFY = "Notifying"
"""Condition: False when the notify section names a secret this replica cannot read."""


@dataclass
class Controller:
    store: KubeStore
    coordinator: Coordinator
    identity: str
    interval: float = 5.0
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)
    last_round: float = 0.0
    """``time.monotonic()`` of the last round that finished without an error."""
    runners: RunnerSource | None = None
    """How clusters are upgraded (None: rollouts are recorded, not driven)."""
    engine_clock: Clock = field(default_factory=Clock)
    started: float = field(default_factory=time.monotonic)
    spread: bool = True
    """Each replica runs the clusters of its shards (False: the lead replica runs them all)."""
    resume_every: float = 30.0
    """Seconds between the lead replica's looks for deliveries a dead replica left unsent."""
    dispatcher: Dispatcher = field(init=False)
    """Sends the events of the rollouts this replica drives or works on (``strategy.notify``)."""
    _resumed: dict[str, float] = field(default_factory=dict)
    probe_every: float = 60.0
    """Seconds between the lead replica's probes of the members (their MemberCluster status)."""
    probe_refresh: float = PROBE_REFRESH
    """A probe that found what the status already says writes only when the recorded
    ``lastProbeTime`` is this many seconds old (``_probe.changed``)."""
    _probing: threading.Thread | None = None
    _probed_at: float | None = None
    _wake: threading.Event = field(default_factory=threading.Event)
    _drivers: dict[str, threading.Thread] = field(default_factory=dict)
    _workers: dict[str, threading.Thread] = field(default_factory=dict)
    _claim: ShardClaim | None = None

    def __post_init__(self) -> None:
        self.dispatcher = Dispatcher(self.store, owner=self.identity)
        if self.spread:
            self._claim = ShardClaim(self.store, self.coordinator)
            self.coordinator.pinned = self._claim.pinned

    # --- one round ---------------------------------------------------------------------------

    def reconcile(self) -> None:
        """Record new FleetUpgrades and check edits of recorded ones (lead replica only)."""
        if self.coordinator.leader:
            self._probe_members()
            objs = self.store.fleet_upgrades()
            new = any(not (o.get("status") or {}).get("phase") for o in objs)
            members = self.store.member_clusters() if new else []  # only to record new ones
            for obj in objs:
                try:
                    self._one(obj, members)
                    self._drive(obj)
                    self._resume_deliveries(obj)
                except KubecurrentError as exc:
                    log.warning("FleetUpgrade %s: %s", obj["metadata"]["name"], exc.message)
        if self.runners is not None and self._claim is not None and self.coordinator.held:
            for rollout in self.store.rollouts():
                self._work(rollout)
        self.last_round = time.monotonic()

    def _probe_members(self) -> None:
        """Every ``probe_every`` seconds, probe every member in a thread of its own and write
        what was found in its MemberCluster's status (``_probe``)."""
        busy = self._probing is not None and self._probing.is_alive()
        due = self._probed_at is None or time.monotonic() - self._probed_at >= self.probe_every
        if busy or not due:
            return
        self._probed_at = time.monotonic()
        self._probing = threading.Thread(target=self.probe_members, name="probe", daemon=True)
        self._probing.start()

    def probe_members(self) -> None:
        """Probe every MemberCluster of the namespace now and record its status."""
        try:
            members = self.store.member_clusters()
        except (KubecurrentError, ApiError) as exc:
            log.warning("cannot list the members to probe them: %s", exc)
            return
        for member in members:
            name = member["metadata"]["name"]
            timeout = min(float(member["spec"].get("timeoutSeconds", 120)), 10.0)
            found = probe(self.store, name, timeout)
            try:
                old = member.get("status") or {}
                status = status_of(found, old, self.clock())
                if changed(status, old, self.probe_refresh):
                    self.store.member_status(name, status)
            except (KubecurrentError, ApiError) as exc:
                log.warning("MemberCluster %s: cannot record its status: %s", name, exc)

    def wait_probes(self, timeout: float) -> None:
        """Wait for the probe thread started last (tests)."""
        if self._probing is not None:
            self._probing.join(timeout)

    def _one(self, obj: dict[str, Any], members: list[dict[str, Any]]) -> None:
        name = obj["metadata"]["name"]
        now = self.clock()
        if obj["metadata"].get("deletionTimestamp"):
            return
        if not (obj.get("status") or {}).get("phase"):
            secrets = self._secrets({m["spec"]["kubeconfigSecretRef"]["name"] for m in members})
            found = declared_rollout(obj, members, secrets, now, self.identity)
            if isinstance(found, Declared):
                self.store.adopt(
                    found.rollout,
                    obj["metadata"]["uid"],
                    found.waves,
                    found.clusters,
                    Change(self.identity, now, f"recorded from FleetUpgrade {name}"),
                )
                self.store.condition(name, ACCEPTED, True, "Recorded", _summary(found), now)
            else:
                self.store.condition(name, ACCEPTED, False, found.reason, found.message, now)
            return
        recorded = self.store.rollout(name)
        paused = bool(obj["spec"].get("paused"))
        idle = recorded.state.finished or recorded.state is RolloutState.PAUSED
        if paused and recorded.request is None and not idle:  # honoured whatever else changed
            change = Change(self.identity, now, "spec.paused is true")
            self.store.request(name, Request.PAUSE, change)
        refused = edit_refusal(obj, recorded)
        if refused is not None:
            self.store.condition(name, ACCEPTED, False, refused.reason, refused.message, now)
            return
        strategy = changed_strategy(obj, recorded)
        if strategy is not None:
            change = Change(self.identity, now, "strategy changed in spec")
            self.store.set_strategy(name, strategy, change)
        self.store.condition(name, ACCEPTED, True, "Recorded", "the spec is in force", now)

    def _drive(self, obj: dict[str, Any]) -> None:
        """Drive the rollout of ``obj`` with the engine in a thread of its own, when it can go
        on: pending or running, a wave waiting for an approval that ``spec.approvals`` now
        gives, or paused while ``spec.paused`` is false."""
        name = obj["metadata"]["name"]
        running = self._drivers.get(name)
        if self.runners is None or (running is not None and running.is_alive()):
            return
        try:
            rollout = self.store.rollout(name)
        except UsageError:  # not recorded (refused): nothing to drive
            return
        state = rollout.state
        if state is RolloutState.WAITING_APPROVAL:
            waiting = [w for w in self.store.waves(name) if w.state is WaveState.WAITING_APPROVAL]
            if not waiting or not all(w.approved_by for w in waiting):
                return
            prepare_resume(self.store, name, self.identity, self.clock())
        elif state is RolloutState.PAUSED:
            if obj["spec"].get("paused"):
                return
            prepare_resume(self.store, name, self.identity, self.clock())
        elif state not in (RolloutState.PENDING, RolloutState.RUNNING):
            return
        try:
            engine = self._engine(rollout)
        except UsageError as exc:  # a notify secret the replica cannot read: say so, wait
            text = f"{exc.message} ({exc.hint})" if exc.hint else exc.message
            self.store.condition(name, NOTIFY, False, "SecretUnreadable", text, self.clock())
            return
        if _condition(obj, NOTIFY) == "False":
            self.store.condition(name, NOTIFY, True, "Ready", "every secret read", self.clock())

        def drive() -> None:
            try:
                outcome = engine.drive(name)
                log.info("rollout %s: %s", name, outcome.value)
            except KubecurrentError as exc:
                log.warning("rollout %s: %s", name, exc.message)
            self._wake.set()

        thread = threading.Thread(target=drive, name=f"drive-{name}", daemon=True)
        self._drivers[name] = thread
        thread.start()

    def _work(self, rollout: RolloutRecord) -> None:
        """Run the clusters of ``rollout`` this replica claims, in a thread of their own, when
        it is running and no such thread is at it already."""
        rid = rollout.id
        running = self._workers.get(rid)
        if running is not None and running.is_alive():
            return
        if rollout.state is not RolloutState.RUNNING or rollout.request is not None:
            return
        try:
            engine = self._engine(rollout)
        except UsageError as exc:  # the lead replica says so on the Notifying condition
            log.warning("rollout %s: not working on it: %s", rid, exc.message)
            return

        def work() -> None:
            try:
                ran = engine.work(rid)
                if ran:
                    log.info("rollout %s: ran %d cluster(s) of this replica's shards", rid, ran)
            except (KubecurrentError, ApiError) as exc:
                log.warning("rollout %s: %s", rid, exc)

        thread = threading.Thread(target=work, name=f"work-{rid}", daemon=True)
        self._workers[rid] = thread
        thread.start()

    def _engine(self, rollout: RolloutRecord) -> Engine:
        """The engine for ``rollout``, its events sent by this replica's dispatcher (a notify
        secret that cannot be read raises ``UsageError`` naming it)."""
        assert self.runners is not None
        return Engine(
            self.store,
            self.runners.factory(rollout.runner),
            self.identity,
            self.engine_clock,
            poll=min(self.interval, 1.0),
            events=self.dispatcher.sink(rollout.id),
            claim=self._claim,
        )

    def _resume_deliveries(self, obj: dict[str, Any]) -> None:
        """Send again what a replica that is gone recorded as queued and did not finish (lead
        replica, every ``resume_every`` seconds per rollout with a ``notify`` section)."""
        name = obj["metadata"]["name"]
        notify = ((obj.get("spec") or {}).get("strategy") or {}).get("notify")
        last = self._resumed.get(name)
        if self.runners is None or not notify or not (obj.get("status") or {}).get("phase"):
            return
        if last is not None and time.monotonic() - last < self.resume_every:
            return
        self._resumed[name] = time.monotonic()
        sent = self.dispatcher.resume(name, self.coordinator.alive)
        if sent:
            log.info("rollout %s: %d notification(s) a stopped replica left are sent", name, sent)

    def wait_drivers(self, timeout: float) -> None:
        """Wait for the engine threads started so far (tests, and a clean stop)."""
        for thread in [*self._drivers.values(), *self._workers.values()]:
            thread.join(timeout)

    def _secrets(self, names: set[str]) -> set[str]:
        """Which of the Secrets ``names`` exist (read one by one: the Role may name them)."""
        return {name for name in names if self.store.secret_exists(name)}

    # --- running ---------------------------------------------------------------------------------

    def _watch(self, stop: threading.Event) -> None:
        """Wake the loop on every FleetUpgrade change (a lightkube watch, restarted on error)."""
        while not stop.is_set():
            try:
                for _ in self.store.client.watch(FleetUpgrade, namespace=self.store.namespace):
                    self._wake.set()
                    if stop.is_set():
                        return
            except Exception as exc:  # the watch ends or fails: the loop polls meanwhile
                log.debug("watch ended: %s", exc)
                stop.wait(self.interval)

    def run(self, stop: threading.Event) -> None:
        """Rounds until ``stop`` is set, then hand the Leases over."""
        self.coordinator.start(on_error=lambda exc: log.warning("leases: %s", exc))
        threading.Thread(target=self._watch, args=(stop,), name="watch", daemon=True).start()
        try:
            while not stop.is_set():
                try:
                    self.reconcile()
                except (KubecurrentError, ApiError, OSError) as exc:
                    log.warning("round failed: %s", exc)
                self._wake.wait(self.interval)
                self._wake.clear()
        finally:
            self.dispatcher.close(timeout=5.0)  # what is left is recorded, then resumed
            self.coordinator.stop(release=True)

    @property
    def healthy(self) -> bool:
        """A round finished, or the replica started, within three rounds plus 30 s."""
        since = max(self.last_round, self.started)
        return time.monotonic() - since < 3 * self.interval + 30

    @property
    def ready(self) -> bool:
        """A round finished, and recently."""
        return self.last_round > 0 and time.monotonic() - self.last_round < 3 * self.interval + 30


def _condition(obj: dict[str, Any], kind: str) -> str | None:
    """The status (``True``/``False``) of ``obj``'s condition ``kind``, if it has one."""
    for cond in (obj.get("status") or {}).get("conditions") or []:
        if cond.get("type") == kind:
            return str(cond.get("status"))
    return None


def _summary(found: Declared) -> str:
    failed = [c.name for c in found.clusters if c.state.finished]
    text = f"{len(found.clusters)} clusters in {len(found.waves)} waves to {found.rollout.target}"
    return text + (
        f"; failed at once (kubeconfig Secret missing): {', '.join(failed)}" if failed else ""
    )


def serve_health(controller: Controller, host: str, port: int) -> http.server.ThreadingHTTPServer:
    """Serve ``/healthz``, ``/readyz`` and ``/metrics`` in a daemon thread; the server."""
    registry = CollectorRegistry()
    registry.register(StoreCollector(controller.store, controller.coordinator))

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/metrics":
                self._send(200, generate_latest(registry), CONTENT_TYPE_LATEST)
            elif self.path in ("/healthz", "/readyz"):
                ok = controller.healthy if self.path == "/healthz" else controller.ready
                self._send(200 if ok else 503, b"ok\n" if ok else b"not yet\n", "text/plain")
            else:
                self._send(404, b"not found\n", "text/plain")

        def _send(self, code: int, body: bytes, kind: str) -> None:
            self.send_response(code)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = http.server.ThreadingHTTPServer((host, port), Handler)
    threading.Thread(target=server.serve_forever, name="health", daemon=True).start()
    return server
