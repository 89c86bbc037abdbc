"""Only one process drives a rollout: a lease in the state file, renewed while it works.

A process takes the lease when nobody holds it, when it expired, or when its holder on this
host is dead (checked by pid *and* process start time, so a reused pid does not count) — which
is how ``rollout resume`` after a crash or SIGKILL takes over at once. A live holder makes the
second process refuse with the holder's pid and host.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import threading
from dataclasses import dataclass, field

import psutil

from kubecurrent.errors import UsageError
from kubecurrent.rollout._protocol import RolloutStore
from kubecurrent.rollout._state import LeaseRecord, stamp

__all__ = ["Lease", "LeaseHeld"]

TTL = dt.timedelta(seconds=30)
RENEW_EVERY = 5.0


class LeaseHeld(UsageError):
    """Another live process drives the rollout."""


def _started(pid: int) -> float:
    return float(psutil.Process(pid).create_time())


def _alive(pid: int, started: float) -> bool:
    try:
        return abs(_started(pid) - started) < 0.01
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False


@dataclass
class Lease:
    store: RolloutStore
    rollout: str
    host: str = field(default_factory=socket.gethostname)
    pid: int = field(default_factory=os.getpid)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    @property
    def holder(self) -> str:
        return f"{self.host}:{self.pid}"

    def acquire(self) -> None:
        now = dt.datetime.now(dt.UTC)
        ours = LeaseRecord(
            self.rollout, self.holder, self.host, self.pid, _started(self.pid), now + TTL
        )
        held = self.store.take_lease(ours, now, self._dead)
        if held is not None:
            raise LeaseHeld(
                f"rollout {self.rollout} is being driven by process {held.pid} on "
                f"{held.host} (lease until {stamp(held.expires)})",
                hint="wait for it, or stop it with `kubecurrent rollout pause "
                f"{self.rollout}`; a crashed holder's lease frees itself within "
                f"{int(TTL.total_seconds())}s",
            )
        self._thread = threading.Thread(target=self._renew, name="lease", daemon=True)
        self._thread.start()

    def _dead(self, held: LeaseRecord) -> bool:
        """A holder on this host whose process is gone (pid and start time)."""
        return held.host == self.host and not _alive(held.pid, held.pid_started)

    def _renew(self) -> None:
        while not self._stop.wait(RENEW_EVERY):
            expires = dt.datetime.now(dt.UTC) + TTL
            self.store.renew_lease(self.rollout, self.holder, expires)

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.store.release_lease(self.rollout, self.holder)

    def __enter__(self) -> Lease:
        self.acquire()
        return self

    def __exit__(self, *_: object) -> None:
        self.release()
