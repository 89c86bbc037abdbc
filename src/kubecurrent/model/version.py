"""Kubernetes version arithmetic: ``1.36`` (a minor) and ``v1.36.3`` (a patch release)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import total_ordering

from kubecurrent.errors import UsageError

_VERSION_RE = re.compile(
    r"^v?(?P<major>\d+)\.(?P<minor>\d+)(?:\.(?P<patch>\d+))?(?P<suffix>[-+][0-9A-Za-z.+-]*)?$"
)

_PRERELEASE_RE = re.compile(r"^-(alpha|beta|rc)\.\d+")


@total_ordering
@dataclass(frozen=True, slots=True)
class MinorVersion:
    """A Kubernetes minor line such as ``1.36``; ordered numerically (1.9 < 1.10)."""

    major: int
    minor: int

    @classmethod
    def parse(cls, text: str) -> MinorVersion:
        """Parse ``1.36``, ``v1.36`` or ``1.36.3`` (the patch is dropped)."""
        v = KubeVersion.parse(text)
        return cls(v.major, v.minor)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, MinorVersion):
            return NotImplemented
        return (self.major, self.minor) < (other.major, other.minor)

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"

    def offset(self, minors: int) -> MinorVersion:
        """The minor ``minors`` steps above (or below, if negative) this one."""
        return MinorVersion(self.major, self.minor + minors)

    def distance(self, other: MinorVersion) -> int:
        """How many minors ``other`` is above this one (negative when below)."""
        if other.major != self.major:
            raise ValueError(f"cannot compare across major versions: {self} and {other}")
        return other.minor - self.minor


@total_ordering
@dataclass(frozen=True, slots=True)
class KubeVersion:
    """A Kubernetes release version such as ``v1.36.3``; ``patch`` is 0 when not given."""

    major: int
    minor: int
    patch: int = 0
    suffix: str = ""

    @classmethod
    def parse(cls, text: str) -> KubeVersion:
        """Parse ``v1.36.3``, ``1.36.3``, ``1.36`` or ``v1.30.2-eks-1234``."""
        m = _VERSION_RE.match(text.strip())
        if not m:
            raise UsageError(
                f"{text!r} is not a Kubernetes version",
                hint="write it as MAJOR.MINOR or MAJOR.MINOR.PATCH, e.g. 1.36 or v1.36.3",
            )
        return cls(int(m["major"]), int(m["minor"]), int(m["patch"] or 0), m["suffix"] or "")

    @property
    def minor_version(self) -> MinorVersion:
        return MinorVersion(self.major, self.minor)

    def _key(self) -> tuple[int, int, int, int, str]:
        # Upstream pre-releases (-alpha.1, -beta.0, -rc.2) sort before the release; vendor
        # suffixes (-eks-1234, -gke.100, +k3s1) are builds of the release itself.
        pre = 0 if _PRERELEASE_RE.match(self.suffix) else 1
        return (self.major, self.minor, self.patch, pre, self.suffix)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, KubeVersion):
            return NotImplemented
        return self._key() < other._key()

    def __str__(self) -> str:
        return f"v{self.major}.{self.minor}.{self.patch}{self.suffix}"
