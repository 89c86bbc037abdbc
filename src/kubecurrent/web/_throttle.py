"""Slowing down password and token guessing.

Failures are counted per user name and per client address. The ``free``-th failure in a row
(the 5th per user name, the 20th per address, so colleagues behind one NAT are not locked out by
one typo-prone person) blocks that key for 1 s, and each further one for twice as long as the
previous: 2 s, 4 s … up to 15 minutes. While a key is blocked, attempts are answered 429 with
``Retry-After`` *without* checking the secret, so guessing during a block learns nothing. A
successful login clears its user name and address. Counts are forgotten an hour after the last
failure; at most ``capacity`` keys are remembered (the oldest go first), so a flood of made-up
names cannot grow the server's memory.

The trade-off is the usual one: someone who knows a user name can delay that user's logins by
up to 15 minutes at a time; they cannot get in faster. Every refusal is audited by the caller.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["Throttle"]


@dataclass
class _Count:
    failures: int = 0
    blocked_until: float = 0.0
    last: float = 0.0


@dataclass
class Throttle:
    """Failure counts and blocks per key (``user:NAME``, ``addr:IP``)."""

    free_per_user: int = 5
    free_per_address: int = 20
    longest: float = 900.0
    forget_after: float = 3600.0
    capacity: int = 10_000
    clock: Callable[[], float] = time.monotonic
    _counts: OrderedDict[str, _Count] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @staticmethod
    def keys(user: str | None, address: str) -> list[str]:
        out = [f"addr:{address}"] if address else []
        return out + ([f"user:{user.lower()}"] if user else [])

    def wait(self, keys: list[str]) -> int:
        """Seconds until an attempt for ``keys`` may be checked (0: now)."""
        now = self.clock()
        with self._lock:
            left = [c.blocked_until - now for k in keys if (c := self._live(k, now)) is not None]
        return max(0, math.ceil(max(left, default=0.0)))

    def failed(self, keys: list[str]) -> None:
        now = self.clock()
        with self._lock:
            for key in keys:
                count = self._live(key, now) or _Count()
                count.failures += 1
                count.last = now
                free = self.free_per_user if key.startswith("user:") else self.free_per_address
                over = count.failures - free + 1
                if over > 0:
                    count.blocked_until = now + min(2.0 ** (over - 1), self.longest)
                self._counts[key] = count
                self._counts.move_to_end(key)
            while len(self._counts) > self.capacity:
                self._counts.popitem(last=False)

    def succeeded(self, keys: list[str]) -> None:
        with self._lock:
            for key in keys:
                self._counts.pop(key, None)

    def _live(self, key: str, now: float) -> _Count | None:
        count = self._counts.get(key)
        if count is not None and now - count.last > self.forget_after:
            del self._counts[key]
            return None
        return count
