"""Which replica works on which cluster: clusters hash to shards, replicas hold shards.

A cluster belongs to shard ``sha256(namespace/name) mod N`` — stable across restarts,
replicas and Python versions (never ``hash()``, which is salted per process). Each live replica
aims at its fair share, ``ceil(N / live replicas)``: below it, it takes shards that are free
or whose holder stopped renewing; above it, it gives back the shards it holds beyond it (the
highest numbers first), so a replica that joins gets work and one that dies leaves none
stranded. Everything here is pure; ``_leases`` applies it to coordination Leases.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Collection, Iterable

__all__ = ["fair_share", "shard_of", "to_give_back", "to_take"]


def shard_of(namespace: str, name: str, shards: int) -> int:
    """The shard of cluster ``namespace/name`` among ``shards`` shards."""
    if shards < 1:
        raise ValueError(f"the number of shards must be at least 1, not {shards}")
    digest = hashlib.sha256(f"{namespace}/{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % shards


def fair_share(shards: int, live_replicas: int) -> int:
    """How many shards one of ``live_replicas`` replicas should hold."""
    return math.ceil(shards / max(live_replicas, 1))


def to_take(held: Collection[int], available: Iterable[int], share: int) -> list[int]:
    """The shards to try to take (lowest first) to reach ``share``."""
    missing = share - len(held)
    if missing <= 0:
        return []
    return sorted(s for s in available if s not in held)[:missing]


def to_give_back(held: Collection[int], share: int, keep: Collection[int] = ()) -> list[int]:
    """The shards held beyond ``share`` (highest first), to release for other replicas; never
    one in ``keep`` (a shard with a cluster in the middle of a step: given back later)."""
    extra = len(held) - share
    return sorted((s for s in held if s not in keep), reverse=True)[:extra] if extra > 0 else []
