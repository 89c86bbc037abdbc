"""The dashboard's side of rollouts: the shared state store, and one driver thread per rollout.

Every action goes through ``kubecurrent.rollout`` (``create``, ``approve``, ``pause``,
``abort``, ``prepare_resume``) with the logged-in user as the actor, exactly as the CLI calls
them with ``--as``. Driving is ``Engine.drive(rid)`` in a background thread of the server; the
store's lease keeps a second driver away, whether a thread here or a CLI process elsewhere
(``LeaseHeld`` is kept as a note, shown as "driven elsewhere", never as an error page).

When the server stops, every rollout driven here gets a pause request: the engine stops between
steps and ``kubecurrent rollout resume`` (or the Resume button) continues later. Nothing is
resumed automatically when the server starts.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import psutil

from kubecurrent.errors import KubecurrentError, UsageError
from kubecurrent.execute import Clock
from kubecurrent.notify import Dispatcher
from kubecurrent.notify import check as check_notify
from kubecurrent.rollout import (
    Approval,
    ClusterRef,
    Engine,
    LeaseHeld,
    RolloutStore,
    RunnerSource,
    Strategy,
    abort,
    approve,
    create,
    pause,
    prepare_resume,
    runner_options,
    snapshot,
    stamp,
)

log = logging.getLogger("kubecurrent.web.rollout")
FINISHED = ("done", "aborted")
SHUTDOWN_ACTOR = "kubecurrent serve (shutting down)"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Driver:
    """Who drives a rollout now, from its lease."""

    pid: int
    host: str
    expires: str
    here: bool
    """This server process holds the lease."""

    def describe(self) -> str:
        if self.here:
            return "driven by this dashboard"
        return f"driven elsewhere (process {self.pid} on {self.host}, lease until {self.expires})"


@dataclass
class Rollouts:
    """Starts, controls and drives rollouts in one state store."""

    store: RolloutStore
    runners: RunnerSource | None
    clock: Callable[[], Clock] = Clock
    poll: float = 1.0
    drain_timeout: float = 120.0
    """Seconds the server waits at shutdown for driven rollouts to pause after their step."""
    notify_flush: float = 30.0
    """Seconds the server waits at shutdown for notifications still queued."""
    dispatcher: Dispatcher = field(init=False)
    """Delivers the notifications of every rollout driven here (one worker thread)."""
    _threads: dict[str, threading.Thread] = field(default_factory=dict)
    _notes: dict[str, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.dispatcher = Dispatcher(self.store)

    @property
    def can_drive(self) -> bool:
        return self.runners is not None

    # --- actions (each with the web user as the actor) -----------------------------------

    def start(
        self, refs: Sequence[ClusterRef], target: str, strategy: Strategy, fleet: str, actor: str
    ) -> str:
        check_notify(strategy.notify)  # missing secrets refuse the start, nothing recorded
        rid = create(
            self.store,
            clusters=refs,
            target=target,
            strategy=strategy,
            fleet=fleet,
            actor=actor,
            now=_now(),
            runner=self.runners.record() if self.runners is not None else None,
        )
        self.drive(rid, actor)
        return rid

    def approve(self, rid: str, wave: str | None, actor: str, note: str = "") -> Approval:
        """Record the approval. When it opens the gate the rollout waits at (the last approval
        it needs), drive on (unless somebody drives it already); an approval given in advance
        changes nothing else — a paused rollout stays paused."""
        snap = self.snapshot(rid)
        waiting = {w["name"] for w in snap["waves"] if w["state"] == "waiting-approval"}
        approval = approve(self.store, rid, wave, actor, _now(), note)
        opened = approval.complete and approval.wave in waiting
        if opened and self.driver(rid) is None and snap["state"] == "waiting-approval":
            prepare_resume(self.store, rid, actor, _now())
            self.drive(rid, actor)
        return approval

    def resume(self, rid: str, actor: str, retry_failed: bool = False) -> None:
        found = self.driver(rid)
        if found is not None:
            raise UsageError(
                f"rollout {rid} is already {found.describe()}",
                hint="pause it there first, or wait for it",
            )
        prepare_resume(self.store, rid, actor, _now(), retry_failed)
        self.drive(rid, actor)

    def pause(self, rid: str, actor: str) -> str:
        return pause(self.store, rid, actor, _now())

    def abort(self, rid: str, actor: str) -> str:
        return abort(self.store, rid, actor, _now())

    # --- driving ----------------------------------------------------------------------------

    def drive(self, rid: str, actor: str) -> bool:
        """Drive ``rid`` in a background thread; False when one already does, or none can."""
        if self.runners is None:
            self._notes[rid] = (
                "this dashboard has no live clusters to drive rollouts with (saved snapshots, or "
                "a management cluster whose controller drives them): the controller, or "
                f"`kubecurrent rollout resume {rid}`, continues it"
            )
            return False
        with self._lock:
            running = self._threads.get(rid)
            if running is not None and running.is_alive():
                return False
            self._notes.pop(rid, None)
            thread = threading.Thread(
                target=self._drive, args=(rid, actor), name=f"rollout-{rid}", daemon=True
            )
            self._threads[rid] = thread
            thread.start()
        return True

    def _drive(self, rid: str, actor: str) -> None:
        assert self.runners is not None
        try:  # the options the rollout was started with, wherever that was
            runners = self.runners.factory(runner_options(self.store, rid))
            events = self.dispatcher.sink(rid)
        except KubecurrentError as exc:
            self._notes[rid] = f"cannot drive it here: {exc.message}"
            log.info("rollout %s: %s", rid, self._notes[rid])
            return
        engine = Engine(
            store=self.store,
            runners=runners,
            actor=actor,
            clock=self.clock(),
            tell=lambda message: log.info("%s", message),
            poll=self.poll,
            events=events,
        )
        try:
            state = engine.drive(rid)
            log.info("rollout %s: %s", rid, state)
        except LeaseHeld as exc:
            self._notes[rid] = exc.message
            log.info("rollout %s: %s", rid, exc.message)
        except Exception as exc:  # the server lives on; the rollout page shows why
            log.exception("driving rollout %s failed", rid)
            self._notes[rid] = f"the driver stopped: {type(exc).__name__}: {exc}"

    def driving(self) -> list[str]:
        """The rollouts a thread of this server drives now."""
        with self._lock:
            return [rid for rid, t in self._threads.items() if t.is_alive()]

    def wait(self, rid: str, timeout: float) -> bool:
        """Wait for this server's driver of ``rid`` to stop; True when none runs."""
        thread = self._threads.get(rid)
        if thread is not None:
            thread.join(timeout)
        return thread is None or not thread.is_alive()

    def stop(self) -> None:
        """Server shutdown: ask every rollout driven here to pause, wait for the drivers, then
        (a bounded wait) for the notifications still queued."""
        driven = self.driving()
        for rid in driven:
            try:
                pause(self.store, rid, SHUTDOWN_ACTOR, _now())
            except UsageError:
                continue  # it finished meanwhile
        if driven:
            log.info(
                "pausing %s after the current step; `kubecurrent rollout resume ID` continues",
                ", ".join(driven),
            )
        deadline = _now() + dt.timedelta(seconds=self.drain_timeout)
        for rid in driven:
            left = (deadline - _now()).total_seconds()
            if not self.wait(rid, max(0.0, left)):
                log.warning("rollout %s did not pause in time; its lease frees itself", rid)
        self.dispatcher.close(self.notify_flush)

    # --- reading ----------------------------------------------------------------------------

    def cluster_labels(self, rid: str) -> dict[str, dict[str, str]]:
        """Each cluster of rollout ``rid`` and its labels (empty for an unknown rollout)."""
        return {c.ref.name: dict(c.ref.labels) for c in self.store.clusters(rid)}

    def snapshot(self, rid: str) -> dict[str, Any]:
        return snapshot(self.store, rid)

    def driver(self, rid: str) -> Driver | None:
        lease = self.store.lease(rid)
        if lease is None or lease.expires <= _now():
            return None
        same_host = lease.host == socket.gethostname()
        if same_host and not psutil.pid_exists(lease.pid):
            return None  # a crashed driver: the next one takes the lease over at once
        here = same_host and lease.pid == os.getpid()
        return Driver(lease.pid, lease.host, stamp(lease.expires), here)

    def note(self, rid: str) -> str | None:
        """Why this server's last attempt to drive ``rid`` stopped early (lease, crash)."""
        return self._notes.get(rid)

    def live(self, rid: str) -> dict[str, Any]:
        """The snapshot plus who drives it: what the progress stream sends."""
        snap = self.snapshot(rid)
        found = self.driver(rid)
        snap["driver"] = found.describe() if found else None
        snap["note"] = self.note(rid)
        return snap
