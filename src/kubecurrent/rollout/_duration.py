"""Durations as people write them in a strategy file: ``90s``, ``10m``, ``4h``, ``1h30m``, ``2d``."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer

__all__ = ["Duration", "parse_duration"]

_PART = re.compile(r"(\d+(?:\.\d+)?)([smhd])")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(value: Any) -> dt.timedelta:
    """A ``timedelta`` from seconds (a number) or text such as ``1h30m``."""
    if isinstance(value, dt.timedelta):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(f"{value}: a duration cannot be negative")
        return dt.timedelta(seconds=value)
    text = str(value).strip().replace(" ", "")
    parts = _PART.findall(text)
    if not text or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"{value!r} is not a duration: write e.g. 90s, 10m, 4h, 1h30m or 2d")
    return dt.timedelta(seconds=sum(float(n) * _UNIT[u] for n, u in parts))


Duration = Annotated[
    dt.timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(lambda d: d.total_seconds(), return_type=float),
]
