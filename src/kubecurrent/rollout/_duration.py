"""Durations as people write them in a strategy file: ``90s``, ``10m``, ``4h``, ``1h30m``, ``2d``."""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer

__all__ = ["Duration", "parse_duration"]

_PART = re.compile(r"(\d+(?:\.\d+)?)([smhd])")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}


MAX_DAYS = 366
"""No wait, soak or window in a rollout is longer than a year; longer is a typo."""


def parse_duration(value: Any) -> dt.timedelta:
    """A ``timedelta`` from seconds (a number) or text such as ``1h30m``: finite, not negative,
    at most ``MAX_DAYS`` days."""
    if isinstance(value, dt.timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    else:
        text = str(value).strip().replace(" ", "")
        parts = _PART.findall(text)
        if not text or "".join(n + u for n, u in parts) != text:
            raise ValueError(f"{value!r} is not a duration: write e.g. 90s, 10m, 4h, 1h30m or 2d")
        seconds = sum(float(n) * _UNIT[u] for n, u in parts)
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"{value!r}: a duration must be a finite number, not negative")
    if seconds > MAX_DAYS * 86400:
        raise ValueError(f"{value!r}: a duration of more than {MAX_DAYS} days is not plausible")
    return dt.timedelta(seconds=seconds)


Duration = Annotated[
    dt.timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(lambda d: d.total_seconds(), return_type=float),
]
