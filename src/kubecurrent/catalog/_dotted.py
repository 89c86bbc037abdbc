"""Generic dotted versions (``v1.14``, ``1.12.1``, ``4.11.3-rc.1``) and inclusive version ranges.

Add-on versions are not Kubernetes versions: they have 2 to 4 numeric parts, an optional ``v``
and an optional pre-release suffix. Ranges are written the way security advisories write them::

    "1.27.0 - 1.27.2"   inclusive on both ends
    "<= 1.24.14"        everything up to and including 1.24.14
    "< 1.11.5"          everything before 1.11.5
    ">= 1.30.0"         1.30.0 and everything after
    "*"                 every version
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import total_ordering

_DOTTED_RE = re.compile(r"^v?(?P<nums>\d+(?:\.\d+){0,3})(?P<suffix>[-+][0-9A-Za-z.+-]+)?$")


@total_ordering
@dataclass(frozen=True, slots=True)
class DottedVersion:
    """A dotted-numeric version; ``1.14`` and ``1.14.0`` compare equal, pre-releases sort first."""

    parts: tuple[int, ...]
    suffix: str = ""

    @classmethod
    def parse(cls, text: str) -> DottedVersion:
        m = _DOTTED_RE.match(str(text).strip())
        if not m:
            raise ValueError(f"{text!r} is not a dotted version such as 1.14 or v1.14.2")
        return cls(tuple(int(p) for p in m["nums"].split(".")), m["suffix"] or "")

    def _key(self) -> tuple[tuple[int, ...], int, str]:
        padded = self.parts + (0,) * (4 - len(self.parts))
        return (padded, 0 if self.suffix.startswith("-") else 1, self.suffix)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DottedVersion):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, DottedVersion):
            return NotImplemented
        return self._key() < other._key()

    def __str__(self) -> str:
        return ".".join(str(p) for p in self.parts) + self.suffix

    @property
    def minor(self) -> tuple[int, int]:
        """``(major, minor)``; ``(major, 0)`` for one-part versions."""
        return (self.parts[0], self.parts[1] if len(self.parts) > 1 else 0)


@dataclass(frozen=True, slots=True)
class VersionRange:
    """An inclusive range of versions; ``low``/``high`` of None mean unbounded."""

    low: DottedVersion | None
    high: DottedVersion | None
    high_inclusive: bool = True

    @classmethod
    def parse(cls, text: str) -> VersionRange:
        t = str(text).strip()
        if t == "*":
            return cls(None, None)
        for op, inclusive in (("<=", True), ("<", False)):
            if t.startswith(op):
                return cls(None, DottedVersion.parse(t[len(op) :]), inclusive)
        if t.startswith(">="):
            return cls(DottedVersion.parse(t[2:]), None)
        low, sep, high = t.partition(" - ")
        if not sep:
            raise ValueError(
                f"{text!r} is not a version range; write 'A - B', '<= B', '< B', '>= A' or '*'"
            )
        rng = cls(DottedVersion.parse(low), DottedVersion.parse(high))
        if rng.low is not None and rng.high is not None and rng.high < rng.low:
            raise ValueError(f"range {text!r} ends ({high}) before it starts ({low})")
        return rng

    def __contains__(self, version: object) -> bool:
        if not isinstance(version, DottedVersion):
            return False
        if self.low is not None and version < self.low:
            return False
        if self.high is None:
            return True
        return version <= self.high if self.high_inclusive else version < self.high

    def __str__(self) -> str:
        if self.low is None and self.high is None:
            return "*"
        if self.low is None:
            return f"{'<=' if self.high_inclusive else '<'} {self.high}"
        if self.high is None:
            return f">= {self.low}"
        return f"{self.low} - {self.high}"
