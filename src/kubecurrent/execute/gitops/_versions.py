"""How a pin's version text reads: an exact version (``1.14.5``, ``v1.14.5``) or a range."""

from __future__ import annotations

import re

from kubecurrent.catalog import DottedVersion

__all__ = ["admits", "is_range", "same"]

_RANGE_CHARS = re.compile(r"[~^<>=*xX|, ]|\s-\s")
_NUMBERS = re.compile(r"\d+(?:\.\d+)*")


def is_range(version: str) -> bool:
    return bool(_RANGE_CHARS.search(version.strip()))


def same(a: str, b: str) -> bool:
    """Whether two versions are equal, a leading ``v`` aside."""
    try:
        return DottedVersion.parse(a.removeprefix("v")) == DottedVersion.parse(b.removeprefix("v"))
    except ValueError:
        return a.removeprefix("v") == b.removeprefix("v")


def admits(constraint: str, version: str) -> bool:
    """Whether a range names the version's minor (``~1.14.0``, ``1.14.x``, ``>=1.14 <1.15``)."""
    want = version.removeprefix("v").split(".")[:2]
    return any(n.split(".")[:2] == want for n in _NUMBERS.findall(constraint))
