"""Delivering events without ever holding up a rollout.

``Dispatcher.sink(rollout, notify)`` reads the channels' secrets and returns the ``EventSink`` the
engine is given; ``emit`` only queues one job per channel that wants the event. One worker
thread sends the jobs as they fall due; a failed attempt that may succeed later is queued again
after the strategy's backoff (``retry``: ``delay``, doubling, at most ``maxDelay``, ``attempts``
in all), so a slow channel never delays another. Every attempt is written to the rollout's audit
trail — action ``notify.<event>``, the channel as ``target``, ``attempt`` and ``status`` (never a
URL, a key or a password). ``close(timeout)`` waits at most ``timeout`` seconds for what is
queued, then records what is left as ``undelivered``.

A ``Dispatcher`` with an ``owner`` (a controller replica's identity) also records each delivery
as ``queued`` — with the event and the owner — before it is sent, so that another process can
finish what a dead one left (``_ledger``: ``Dispatcher.resume``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import heapq
import itertools
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from kubecurrent.notify._channels import TIMEOUT, DeliveryError, HttpChannel, SmtpChannel, channels
from kubecurrent.notify._events import event_from_json, event_json
from kubecurrent.notify._messages import Message, message
from kubecurrent.notify._secrets import Redactor
from kubecurrent.rollout import (
    NO_EVENTS,
    AuditEntry,
    Event,
    EventSink,
    JsonValue,
    Notify,
    RolloutStore,
)

__all__ = ["Dispatcher", "Job", "check"]

log = logging.getLogger("kubecurrent.notify")
SENDER = "kubecurrent notify"
"""The ``user`` of the audit records written for deliveries."""
OPEN = frozenset({"queued", "retry", "undelivered"})
"""Outcomes after which a delivery is not finished (``ok`` and ``failed`` are final)."""


@dataclass(frozen=True)
class Job:
    """One message for one channel, and where its retries stand."""

    channel: HttpChannel | SmtpChannel
    event: Event
    message: Message
    delivery: str
    """The same for every attempt (a receiver may use it to drop duplicates)."""
    backoff: tuple[float, ...]
    """Seconds to wait before each retry."""
    attempt: int = 1
    owner: str | None = None
    """The process that sends it (recorded when the dispatcher has an owner)."""

    @property
    def target(self) -> str:
        return f"{self.channel.kind.value} {self.channel.name}"


class _RolloutSink:
    def __init__(
        self, dispatcher: Dispatcher, spec: Notify, found: tuple[HttpChannel | SmtpChannel, ...]
    ) -> None:
        self.dispatcher, self.spec, self.channels = dispatcher, spec, found

    def emit(self, event: Event) -> None:
        if event.kind not in self.spec.events:
            return
        msg = message(event, self.spec.dashboard)
        backoff = self.spec.retry.schedule()
        for channel in self.channels:
            if event.kind in channel.events:
                owner = self.dispatcher.owner
                job = Job(channel, event, msg, uuid.uuid4().hex, backoff, owner=owner)
                if owner is not None:  # recorded before it is sent: another may finish it
                    self.dispatcher.queued(job, "recorded before sending")
                self.dispatcher.submit(job)


def check(spec: Notify | None) -> None:
    """Read every secret of ``spec`` once, before a rollout is recorded with it: a missing
    variable or file, or a URL that is not http(s), is a ``UsageError`` naming the setting."""
    if spec is not None:
        channels(spec, Redactor())


class Dispatcher:
    """One worker thread delivering the jobs of any number of rollouts (one per process)."""

    def __init__(
        self,
        store: RolloutStore,
        *,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        owner: str | None = None,
    ) -> None:
        self.store, self.clock, self.now, self.owner = store, clock, now, owner
        self.redactor = Redactor()
        self.pending: set[str] = set()
        """Delivery ids queued here and not finished (sent, failed or dropped) yet."""
        self._queue: list[tuple[float, int, Job]] = []
        self._order = itertools.count()
        self._busy = 0
        self._closed = False
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None

    # --- the engine's side ----------------------------------------------------------------

    def sink(self, rollout: str) -> EventSink:
        """The sink for ``rollout``, from its recorded strategy's ``notify``; reads the secrets
        now, so a missing one stops the drive before anything happens (``UsageError``)."""
        spec = self.store.rollout(rollout).strategy.notify
        if spec is None:
            return NO_EVENTS
        return _RolloutSink(self, spec, channels(spec, self.redactor))

    def submit(self, job: Job, delay: float = 0.0) -> None:
        with self._wake:
            closed = self._closed
            if not closed:
                self.pending.add(job.delivery)
                self._push(job, delay)
        if closed:
            self._record(job, "undelivered", "not sent: the process was stopping")

    def _push(self, job: Job, delay: float) -> None:
        """Queue ``job`` (the lock held) and make sure the worker runs."""
        heapq.heappush(self._queue, (self.clock() + delay, next(self._order), job))
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, name="notify", daemon=True)
            self._thread.start()
        self._wake.notify_all()

    def resume(self, rollout: str, alive: Callable[[str], bool]) -> int:
        """Queue again what another process recorded for ``rollout`` and did not finish (the
        last record of a delivery is queued, retry or undelivered) once that process is gone:
        its owner is not ``alive``, or is this dispatcher's owner and the delivery is not
        pending here (the process restarted under the same name). The delivery id stays (a
        receiver drops a duplicate by it); attempts go on from the last one recorded. Returns
        how many deliveries were queued."""
        spec = self.store.rollout(rollout).strategy.notify
        if spec is None or self.owner is None:
            return 0
        last: dict[str, AuditEntry] = {}
        events: dict[str, Event] = {}
        for entry in self.store.audit_records(rollout):
            delivery = entry.extra.get("delivery")
            if entry.action.startswith("notify.") and isinstance(delivery, str):
                last[delivery] = entry
                data = entry.extra.get("event")
                if isinstance(data, dict) and (event := event_from_json(rollout, data)):
                    events[delivery] = event
        found = {f"{c.kind.value} {c.name}": c for c in channels(spec, self.redactor)}
        queued = 0
        for delivery, entry in last.items():
            owner = entry.extra.get("owner")
            gone = owner == self.owner or not (isinstance(owner, str) and alive(owner))
            event, channel = events.get(delivery), found.get(entry.target or "")
            if entry.outcome not in OPEN or delivery in self.pending or not gone:
                continue
            if event is None or channel is None:  # clipped record, or the channel was removed
                continue
            attempt = entry.extra.get("attempt")
            done = attempt if isinstance(attempt, int) else 0
            job = Job(
                channel,
                event,
                message(event, spec.dashboard),
                delivery,
                spec.retry.schedule(),
                attempt=done + 1 if entry.outcome == "retry" else max(done, 1),
                owner=self.owner,
            )
            self.queued(job, f"taken over from {owner}")
            self.submit(job)
            queued += 1
        return queued

    # --- the worker -----------------------------------------------------------------------

    def _work(self) -> None:
        with httpx.Client(timeout=TIMEOUT, follow_redirects=False) as client:
            while (job := self._next()) is not None:
                try:
                    self._attempt(job, client)
                finally:
                    with self._wake:
                        if all(q.delivery != job.delivery for _, _, q in self._queue):
                            self.pending.discard(job.delivery)  # finished, not retried
                        self._busy -= 1
                        self._wake.notify_all()

    def _next(self) -> Job | None:
        with self._wake:
            while True:
                if self._queue:
                    due = self._queue[0][0] - self.clock()
                    if due <= 0:
                        self._busy += 1
                        return heapq.heappop(self._queue)[2]
                    self._wake.wait(due)
                elif self._closed:
                    return None
                else:
                    self._wake.wait()

    def _attempt(self, job: Job, client: httpx.Client) -> None:
        try:
            status = job.channel.send(job.event, job.message, job.delivery, client)
        except DeliveryError as exc:
            self._failed(job, exc.status, exc.retry)
        except Exception as exc:  # a bug in one delivery must not stop the others
            self._failed(job, f"unexpected {type(exc).__name__}", retry=False)
        else:
            self._record(job, "ok", status)

    def _failed(self, job: Job, status: str, retry: bool) -> None:
        left = len(job.backoff) - (job.attempt - 1)
        if retry and left > 0:
            delay = job.backoff[job.attempt - 1]
            self._record(job, "retry", status, f"; next attempt in {delay:g}s")
            self.submit(dataclasses.replace(job, attempt=job.attempt + 1), delay)
        else:
            why = "" if retry else "; not retried (a retry cannot help)"
            self._record(job, "failed", status, why)

    def queued(self, job: Job, why: str) -> None:
        """Record ``job`` as queued, with its event and owner (what ``resume`` needs)."""
        self._record(job, "queued", why, event=True)

    def _record(
        self, job: Job, outcome: str, status: str, more: str = "", *, event: bool = False
    ) -> None:
        status = self.redactor.redact(status)
        detail = f"{job.event.kind.value}: attempt {job.attempt}: {status}{more}"
        extra: dict[str, JsonValue] = {
            "attempt": job.attempt,
            "status": status,
            "delivery": job.delivery,
        }
        if job.owner is not None:
            extra["owner"] = job.owner
        if event:
            extra["event"] = event_json(job.event, self.redactor)
        record = AuditEntry(
            time=self.now(),
            user=SENDER,
            action=f"notify.{job.event.kind.value}",
            rollout=job.event.rollout,
            cluster=job.event.cluster,
            target=job.target,
            outcome=outcome,
            detail=self.redactor.redact(detail),
            extra=extra,
        )
        try:
            self.store.audit(record)
        except Exception:  # the audit trail is best effort here: never stop the worker
            log.exception("cannot record a delivery of rollout %s", job.event.rollout)
        log.info("notify %s %s: %s", job.target, outcome, record.detail)

    # --- stopping -------------------------------------------------------------------------

    def close(self, timeout: float) -> None:
        """Wait at most ``timeout`` seconds for queued deliveries (retries included), then
        record what is left as undelivered and stop the worker."""
        deadline = self.clock() + timeout
        with self._wake:
            while self._queue or self._busy:
                left = deadline - self.clock()
                if left <= 0:
                    break
                self._wake.wait(min(left, 0.2))
            dropped = [job for _, _, job in self._queue]
            self._queue.clear()
            self._closed = True
            self._wake.notify_all()
        for job in dropped:
            self._record(job, "undelivered", "not sent before the process stopped")
        if self._thread is not None:
            self._thread.join(max(0.0, deadline - self.clock()) + TIMEOUT)
