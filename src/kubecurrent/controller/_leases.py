"""Shard ownership and leadership through coordination.k8s.io/v1 Leases.

Each replica keeps, in the controller's namespace:

* ``<prefix>-member-<identity>``: "this replica is alive"; other replicas count the live ones
  to know their fair share (``_shards.fair_share``).
* ``<prefix>-shard-<NNN>``: one per shard, held by at most one replica; the holder works on the
  clusters hashing to that shard.
* ``<prefix>-leader``: the one replica that makes rollout-level decisions (advancing waves).

Every ``step`` renews what the replica holds, gives back what it holds beyond its share, and
takes free or expired shards up to its share. Every write carries the ``resourceVersion`` it
read, so two replicas racing for one Lease cannot both win: the loser gets 409 Conflict and
leaves it. Expiry is judged as client-go's leader election does, on this replica's own clock:
a Lease is expired when its record has not changed for its ``leaseDurationSeconds`` since this
replica last saw it change, so clocks of different nodes need not agree. A replica that could
not renew a Lease for ``renew_deadline`` stops counting it as held before anyone else can take
it (``renew_deadline`` < ``duration``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from lightkube import Client
from lightkube.core.exceptions import ApiError
from lightkube.models.coordination_v1 import LeaseSpec
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.coordination_v1 import Lease

from kubecurrent.controller._shards import fair_share, to_give_back, to_take
from kubecurrent.errors import ClusterError

__all__ = ["Coordinator", "LeaseSettings"]

ROLE_LABEL = "kubecurrent.io/lease"


@dataclass(frozen=True)
class LeaseSettings:
    """How replicas share work; every replica of one controller must use the same values."""

    namespace: str
    """Where the Leases live (the controller's own namespace)."""
    shards: int = 16
    """How many shards the clusters are hashed into (at most this many replicas get work)."""
    duration: float = 15.0
    """``leaseDurationSeconds``: how long a silent holder keeps a Lease (client-go default)."""
    renew_every: float = 2.0
    """Seconds between two rounds of renewing and rebalancing (client-go's retry period)."""
    renew_deadline: float = 10.0
    """A Lease not renewed for this long is no longer counted as held by this replica."""
    prefix: str = "kubecurrent"

    def __post_init__(self) -> None:
        if not 0 < self.renew_every < self.renew_deadline < self.duration:
            raise ValueError(
                "lease timings must satisfy 0 < renew_every < renew_deadline < duration "
                f"(got {self.renew_every}, {self.renew_deadline}, {self.duration})"
            )
        if not 1 <= self.shards <= 1000:
            raise ValueError(f"shards must be between 1 and 1000, not {self.shards}")

    def shard_name(self, shard: int) -> str:
        return f"{self.prefix}-shard-{shard:03d}"

    def member_name(self, identity: str) -> str:
        return f"{self.prefix}-member-{identity}"

    @property
    def leader_name(self) -> str:
        return f"{self.prefix}-leader"


@dataclass
class _Seen:
    """What this replica last saw of a Lease, and when (on its own monotonic clock)."""

    holder: str | None
    version: str
    changed_at: float
    duration: float


@dataclass
class Coordinator:
    """One replica's share of the work: its shards and whether it leads.

    ``step()`` does one round; ``start()`` runs rounds in a thread until ``stop()``;
    ``held`` and ``leader`` are what the replica may act on right now.
    """

    client: Client
    identity: str
    settings: LeaseSettings
    clock: Callable[[], float] = time.monotonic
    pinned: Callable[[], Collection[int]] = lambda: ()
    """Shards not to give back now (clusters of theirs are running here): rebalancing waits
    for them, so a cluster is never run by the replica giving its shard back and the taker."""
    _seen: dict[str, _Seen] = field(default_factory=dict)
    _renewed: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _live: frozenset[str] = frozenset()

    # --- what the replica may act on ---------------------------------------------------------

    @property
    def held(self) -> frozenset[int]:
        """The shards this replica holds and renewed within the renew deadline."""
        names = {self.settings.shard_name(i): i for i in range(self.settings.shards)}
        with self._lock:
            return frozenset(names[n] for n in self._valid() if n in names)

    @property
    def leader(self) -> bool:
        with self._lock:
            return self.settings.leader_name in self._valid()

    def alive(self, identity: str) -> bool:
        """Whether the replica ``identity`` renewed its member Lease as of the last round."""
        with self._lock:
            return self.settings.member_name(identity) in self._live

    def _valid(self) -> list[str]:
        now = self.clock()
        return [n for n, at in self._renewed.items() if now - at < self.settings.renew_deadline]

    # --- one round -----------------------------------------------------------------------------

    def step(self) -> None:
        """Renew, observe, give back extras, take up to the fair share, keep or take the lead."""
        s = self.settings
        now = self.clock()
        self._keep(s.member_name(self.identity), "member")
        leases = {_name(lease): lease for lease in self._list()}
        for name, lease in leases.items():
            self._observe(name, lease, now)
        live = frozenset(
            name
            for name in leases
            if name.startswith(s.member_name("")) and not self._expired(name, now)
        )
        with self._lock:
            self._live = live
        share = fair_share(s.shards, max(len(live), 1))
        mine = {
            i
            for i in range(s.shards)
            if self._holds(leases.get(s.shard_name(i))) and self._renew(leases[s.shard_name(i)])
        }
        for shard in to_give_back(mine, share, self.pinned()):
            self._release(leases[s.shard_name(shard)])
        available = [
            i
            for i in range(s.shards)
            if self._free(leases.get(s.shard_name(i)), s.shard_name(i), now)
        ]
        for shard in to_take(mine, available, share):
            self._take(leases.get(s.shard_name(shard)), s.shard_name(shard), "shard")
        leader = leases.get(s.leader_name)
        if self._holds(leader):
            assert leader is not None
            self._renew(leader)
        elif self._free(leader, s.leader_name, now):
            self._take(leader, s.leader_name, "leader")

    def _list(self) -> list[Lease]:
        try:
            return list(
                self.client.list(
                    Lease, namespace=self.settings.namespace, labels={ROLE_LABEL: None}
                )
            )
        except ApiError as exc:
            raise _denied(exc, "list", self.settings.namespace) from None

    def _observe(self, name: str, lease: Lease, now: float) -> None:
        spec = lease.spec or LeaseSpec()
        version = _version(lease)
        before = self._seen.get(name)
        if before is None or before.version != version:
            duration = float(spec.leaseDurationSeconds or self.settings.duration)
            self._seen[name] = _Seen(spec.holderIdentity, version, now, duration)

    def _expired(self, name: str, now: float) -> bool:
        seen = self._seen.get(name)
        return seen is not None and now - seen.changed_at > seen.duration

    def _holds(self, lease: Lease | None) -> bool:
        return (
            lease is not None
            and lease.spec is not None
            and (lease.spec.holderIdentity == self.identity)
        )

    def _free(self, lease: Lease | None, name: str, now: float) -> bool:
        if lease is None:
            return True
        holder = lease.spec.holderIdentity if lease.spec else None
        return holder != self.identity and (not holder or self._expired(name, now))

    # --- writes, each guarded by the resourceVersion read --------------------------------------

    def _keep(self, name: str, role: str) -> None:
        """Create or renew a Lease this replica alone writes (its member Lease)."""
        try:
            lease = self.client.get(Lease, name, namespace=self.settings.namespace)
        except ApiError as exc:
            if exc.status.code != 404:
                raise _denied(exc, "get", self.settings.namespace) from None
            self._take(None, name, role)
            return
        self._renew(lease)

    def _renew(self, lease: Lease) -> bool:
        assert lease.spec is not None
        lease.spec.renewTime = _now()
        return self._write(lease, "update")

    def _take(self, lease: Lease | None, name: str, role: str) -> bool:
        now = _now()
        spec = LeaseSpec(
            holderIdentity=self.identity,
            leaseDurationSeconds=round(self.settings.duration),
            acquireTime=now,
            renewTime=now,
        )
        if lease is None:
            fresh = Lease(
                metadata=ObjectMeta(
                    name=name, namespace=self.settings.namespace, labels={ROLE_LABEL: role}
                ),
                spec=spec,
            )
            return self._write(fresh, "create")
        spec.leaseTransitions = ((lease.spec.leaseTransitions if lease.spec else None) or 0) + 1
        lease.spec = spec
        return self._write(lease, "update")

    def _release(self, lease: Lease) -> None:
        lease.spec = LeaseSpec(
            leaseDurationSeconds=round(self.settings.duration),
            leaseTransitions=lease.spec.leaseTransitions if lease.spec else None,
        )
        self._write(lease, "update")
        with self._lock:
            self._renewed.pop(_name(lease), None)

    def _write(self, lease: Lease, verb: str) -> bool:
        """Create or replace ``lease``; False when another replica changed it first (409)."""
        name = _name(lease)
        try:
            written = self.client.create(lease) if verb == "create" else self.client.replace(lease)
        except ApiError as exc:
            if exc.status.code in (404, 409):
                with self._lock:
                    self._renewed.pop(name, None)
                return False
            raise _denied(exc, verb, self.settings.namespace) from None
        if lease.metadata is not None:
            lease.metadata.resourceVersion = _version(written)
        if lease.spec is not None and lease.spec.holderIdentity == self.identity:
            with self._lock:
                self._renewed[name] = self.clock()
        return True

    # --- running in the background ---------------------------------------------------------------

    def start(self, on_error: Callable[[Exception], None] | None = None) -> None:
        """Run ``step`` every ``renew_every`` seconds in a daemon thread until ``stop``."""

        def loop() -> None:
            while not self._stop.is_set():
                try:
                    self.step()
                except (ClusterError, ApiError, OSError) as exc:
                    if on_error is not None:
                        on_error(exc)
                self._stop.wait(self.settings.renew_every)

        self._thread = threading.Thread(target=loop, name=f"leases-{self.identity}", daemon=True)
        self._thread.start()

    def stop(self, *, release: bool = True) -> None:
        """Stop renewing; ``release`` gives every Lease back and deletes the member Lease (a
        clean shutdown: others take over at their next round), while ``release=False`` leaves
        them to expire, as a killed replica would."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if not release:
            return
        for lease in self._list():
            if self._holds(lease):
                self._release(lease)
        with contextlib.suppress(ApiError):  # the others count one replica less at once
            self.client.delete(
                Lease, self.settings.member_name(self.identity), namespace=self.settings.namespace
            )


def _name(lease: Lease) -> str:
    return str(lease.metadata.name if lease.metadata else "")


def _version(lease: Lease) -> str:
    return str(lease.metadata.resourceVersion if lease.metadata else "")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _denied(exc: ApiError, verb: str, namespace: str) -> ClusterError:
    code = exc.status.code
    if code == 403:
        return ClusterError(
            f"the controller may not {verb} leases.coordination.k8s.io in namespace {namespace}",
            hint="grant its ServiceAccount get, list, create, update and delete on leases there "
            "(the Helm chart's Role does)",
        )
    return ClusterError(
        f"{verb} leases in namespace {namespace}: HTTP {code}: {exc.status.message}",
        hint="check that the management cluster is reachable and retry",
    )
