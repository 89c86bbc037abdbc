"""Time as the executor uses it, injectable so that waits and backoff are testable."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Clock"]


@dataclass(frozen=True)
class Clock:
    monotonic: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)
    """Wall-clock time, timezone-aware (maintenance windows, soak deadlines)."""

    def deadline(self, seconds: float) -> float:
        return self.monotonic() + seconds

    def left(self, deadline: float) -> float:
        return deadline - self.monotonic()
