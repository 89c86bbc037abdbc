"""What a failing step tells the executor: stop for good, or try again later.

Hierarchy::

    StepError (KubecurrentError)   a step could not do its work; names cluster, object, next action
    ├── PermanentStepError          stop: retrying cannot help (a PDB blocks, a rollback happened)
    └── RetryableStepError          try again after ``retry_after`` seconds (a conflict, a timeout)

``RetryPolicy`` says how often and how long to wait between attempts (exponential backoff).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from kubecurrent.errors import KubecurrentError

T = TypeVar("T")

__all__ = ["PermanentStepError", "RetryPolicy", "RetryableStepError", "StepError"]


class StepError(KubecurrentError):
    """A step of a plan failed; the message names what and where, the hint what to do."""


class PermanentStepError(StepError):
    """Retrying cannot help: the executor stops and reports the cluster's state."""


class RetryableStepError(StepError):
    """A transient failure: the executor may retry after ``retry_after`` seconds."""

    def __init__(self, message: str, *, hint: str | None = None, retry_after: float = 0.0) -> None:
        super().__init__(message, hint=hint)
        self.retry_after = retry_after


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff: ``initial``, ``initial*factor``, ... capped at ``max_delay``."""

    attempts: int = 3
    """How many times a step runs in total before a retryable error becomes permanent (3)."""
    initial: float = 2.0
    """Seconds before the second attempt (2)."""
    factor: float = 2.0
    """Growth of the delay between attempts (2)."""
    max_delay: float = 30.0
    """Longest wait between two attempts in seconds (30)."""

    def delays(self) -> list[float]:
        """The waits between attempts: one fewer than ``attempts``."""
        return [
            min(self.initial * self.factor**i, self.max_delay) for i in range(self.attempts - 1)
        ]

    def run(
        self,
        work: Callable[[], T],
        sleep: Callable[[float], None],
        on_retry: Callable[[RetryableStepError, float], None] = lambda _e, _d: None,
    ) -> T:
        """Run ``work``, retrying retryable errors; the last one becomes permanent."""
        delays = self.delays()
        for attempt in range(self.attempts):
            try:
                return work()
            except RetryableStepError as exc:
                if attempt >= len(delays):
                    raise PermanentStepError(
                        f"{exc.message} (gave up after {self.attempts} attempts)", hint=exc.hint
                    ) from exc
                delay = max(delays[attempt], exc.retry_after)
                on_retry(exc, delay)
                sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover
