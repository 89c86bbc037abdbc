"""A replica's claim on clusters: those whose shard it holds, recorded on their ClusterUpgrade.

``ShardClaim`` is the engine's ``ClusterClaim`` in a controller replica. A cluster may be taken
when its shard (``_shards.shard_of``) is among the shards this replica holds right now and no
thread of this replica runs it yet; taking it writes ``status.owner`` and ``status.shard`` on
its ClusterUpgrade (one compare-and-set), so everyone sees who runs it. The claim stands while
the replica still holds the shard: a replica that lost it (it could not renew the Lease within
the renew deadline, which comes before anyone else may take the Lease) stops before its next
step, and the new holder continues from the recorded steps.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from kubecurrent.controller._leases import Coordinator
from kubecurrent.controller._shards import shard_of
from kubecurrent.kubestate import KubeStore
from kubecurrent.rollout import ClusterRecord

__all__ = ["ShardClaim"]

log = logging.getLogger("kubecurrent.controller")


@dataclass
class ShardClaim:
    """The clusters this replica may run: its shards' (see the module docstring)."""

    store: KubeStore
    coordinator: Coordinator
    _running: set[tuple[str, str]] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def shard(self, name: str) -> int:
        s = self.coordinator.settings
        return shard_of(s.namespace, name, s.shards)

    def take(self, rid: str, member: ClusterRecord) -> bool:
        shard = self.shard(member.name)
        if shard not in self.coordinator.held:
            return False
        with self._lock:
            if (rid, member.name) in self._running:
                return False
            self._running.add((rid, member.name))
        identity = self.coordinator.identity
        try:
            before = self.store.claim_cluster(rid, member.name, identity, shard)
        except Exception:
            self.drop(rid, member.name)
            raise
        if before not in (None, identity):
            log.info(
                "rollout %s: %s taken over from %s (shard %d)", rid, member.name, before, shard
            )
        return True

    def holds(self, rid: str, name: str) -> bool:
        with self._lock:
            if (rid, name) not in self._running:
                return False
        return self.shard(name) in self.coordinator.held

    def pinned(self) -> frozenset[int]:
        """The shards of the clusters running here (not to be given back meanwhile)."""
        with self._lock:
            names = [name for _rid, name in self._running]
        return frozenset(self.shard(name) for name in names)

    def drop(self, rid: str, name: str) -> None:
        with self._lock:
            self._running.discard((rid, name))
