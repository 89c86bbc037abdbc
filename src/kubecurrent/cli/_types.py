"""Click parameter types for values that must be in range: durations and counts.

A timeout of ``nan``, ``inf``, ``-5`` or ``0`` would be stored with a rollout and used at every
resume; a concurrency of 0 would wait forever. These types refuse them where they are typed,
naming the flag and the range.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    _FloatType = click.ParamType[float]
    _IntType = click.ParamType[int]
else:  # click < 8.2 has no generic ParamType at run time
    _FloatType = _IntType = click.ParamType

__all__ = ["COUNT", "SECONDS"]

MAX_SECONDS = 7 * 24 * 3600.0
"""A week: longer than any single wait kubecurrent makes."""


class Seconds(_FloatType):
    """A finite number of seconds, more than 0 and at most a week."""

    name = "seconds"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        try:
            seconds = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number of seconds", param, ctx)
        if not math.isfinite(seconds) or not 0 < seconds <= MAX_SECONDS:
            self.fail(
                f"{value!r} is not a usable number of seconds: give a finite number above 0 "
                f"and at most {MAX_SECONDS:.0f} (a week)",
                param,
                ctx,
            )
        return seconds


class Count(_IntType):
    """A whole number of at least 1."""

    name = "count"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> int:
        try:
            count = int(str(value), 10)
        except ValueError:
            self.fail(f"{value!r} is not a whole number", param, ctx)
        if count < 1:
            self.fail(f"{count} is too small: at least 1 is needed", param, ctx)
        return count


SECONDS = Seconds()
COUNT = Count()
