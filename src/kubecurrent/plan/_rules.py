"""The catalog's facts in the shape the planner asks for them, looked up once and memoised.

Kubernetes minors are kept as integers (``major * 1000 + minor``) inside the planner: the same
order as ``MinorVersion`` and much cheaper to compare in a 1,000-cluster fleet.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from kubecurrent.catalog import Addon, AddonRelease, ApiDeprecation, Catalog, DottedVersion
from kubecurrent.model import KubeVersion, MinorVersion


def key(minor: MinorVersion) -> int:
    """A minor as an integer that sorts like it."""
    return minor.major * 1000 + minor.minor


def minor_key(version: KubeVersion) -> int:
    """``key(version.minor_version)`` without building the ``MinorVersion``."""
    return version.major * 1000 + version.minor


def minor_of(k: int) -> MinorVersion:
    return MinorVersion(k // 1000, k % 1000)


@lru_cache(maxsize=512)
def label(k: int) -> str:
    return str(minor_of(k))


@dataclass(frozen=True, slots=True)
class Line:
    """An add-on release line with its Kubernetes range as integers, and the texts the plan
    writes about it (made once per catalog, not once per step)."""

    release: AddonRelease
    lo: int
    hi: int
    install: str
    """The version to install: the newest patch the catalog knows, else the line itself."""
    window: str
    """The supported Kubernetes range, e.g. ``1.29-1.31``."""

    @classmethod
    def of(cls, release: AddonRelease) -> Line:
        lo, hi = key(release.kubernetes_min), key(release.kubernetes_max)
        install = str(release.latest_patch or release.version)
        return cls(release, lo, hi, install, f"{label(lo)}-{label(hi)}")

    @property
    def version(self) -> DottedVersion:
        return self.release.version

    def supports(self, k: int) -> bool:
        return self.lo <= k <= self.hi


def follows_control_plane(addon: Addon) -> bool:
    """True for add-ons that move right after each hop instead of before it."""
    return addon.must_match_kubernetes_minor or bool(addon.bundled_with_kubernetes)


@dataclass(frozen=True, slots=True)
class Placed:
    """An add-on in the planned cluster: its catalog entry, release line and version
    (``Rules.place`` makes one, once per fleet)."""

    addon: Addon
    line: int
    version: str
    current: Line
    """The release line ``line`` points at, looked up once (every hop tests its window)."""
    follows: bool
    """The add-on moves right after each hop instead of before it (``follows_control_plane``)."""


@dataclass(frozen=True, slots=True)
class Move:
    """An add-on move as a step writes it, and where it leaves the add-on (written once per
    fleet for each distinct move: clusters repeat them)."""

    to: str
    why: str
    without: str
    placed: Placed


class Rules:
    """Read-only lookups over one catalog, shared by every cluster of a fleet."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._patch = {key(r.version): r.latest_patch for r in catalog.releases}
        self._older: dict[int, int | None] = {}
        self._lines: dict[str, tuple[Line, ...]] = {}
        self._line_of: dict[tuple[str, str], int | None] = {}
        self._choices: dict[tuple[str, int | None, int, int, int], int | None] = {}
        self.texts: dict[tuple[object, ...], str] = {}
        """Explanations already written, by what they depend on (fleets repeat them a lot)."""
        self.moves: dict[tuple[str, int, str, int, int, int, int], Move] = {}
        """Add-on moves already worked out, by add-on, line, version, the line chosen, and the
        minors the move spans and aims at (``_addons._move``)."""
        self._placed: dict[tuple[str, int, str], Placed] = {}
        self.installed: dict[tuple[str, str], Placed] = {}
        """Where an installed add-on (name, version) is placed, once found (``_addons``)."""
        self._has_release: dict[tuple[str, int], bool] = {}
        self._apis = {(a.api_version, a.kind): a for a in catalog.apis}
        self.hop_step = self._step("kube-apiserver")
        self.kubelet_step = self._step("kubelet")

    def _step(self, component: str) -> int:
        steps = [u.max_minor_step for u in self.catalog.upgrade if u.component == component]
        return min(steps, default=1)

    def latest_patch(self, k: int) -> KubeVersion | None:
        return self._patch.get(k)

    def kubelet_max_older(self, apiserver: int) -> int | None:
        """How many minors a kubelet may trail a kube-apiserver at ``apiserver`` (skew data)."""
        if apiserver not in self._older:
            rules = self.catalog.skew_rules("kubelet", minor_of(apiserver))
            rules = [r for r in rules if r.relative_to == "kube-apiserver"]
            self._older[apiserver] = min((r.max_older for r in rules), default=None)
        return self._older[apiserver]

    def deprecation(self, api_version: str, kind: str) -> ApiDeprecation | None:
        return self._apis.get((api_version, kind))

    def addon(self, name: str) -> Addon | None:
        return self.catalog.addon(name)

    def lines(self, addon: Addon) -> tuple[Line, ...]:
        if addon.name not in self._lines:
            self._lines[addon.name] = tuple(Line.of(r) for r in addon.releases)
        return self._lines[addon.name]

    def place(self, addon: Addon, line: int, version: str) -> Placed:
        """``addon`` on release line ``line`` at ``version``, as the plan places it."""
        memo = (addon.name, line, version)
        placed = self._placed.get(memo)
        if placed is None:
            current = self.lines(addon)[line]
            placed = Placed(addon, line, version, current, follows_control_plane(addon))
            self._placed[memo] = placed
        return placed

    def has_release(self, name: str, k: int) -> bool:
        """True when the catalog knows add-on ``name`` and a release of it running on ``k``."""
        memo = (name, k)
        found = self._has_release.get(memo)
        if found is None:
            addon = self.addon(name)
            found = addon is not None and any(ln.supports(k) for ln in self.lines(addon))
            self._has_release[memo] = found
        return found

    def line_of(self, addon: Addon, version: str) -> int | None:
        """Index of the release line ``version`` belongs to (the newest line not above it)."""
        cache_key = (addon.name, version)
        if cache_key not in self._line_of:
            installed = DottedVersion.parse(version)
            found = [i for i, ln in enumerate(self.lines(addon)) if ln.version <= installed]
            self._line_of[cache_key] = found[-1] if found else None
        return self._line_of[cache_key]

    def choose(self, addon: Addon, after: int | None, lo: int, hi: int, target: int) -> int | None:
        """The release line to move to: newer than line ``after``, running on every minor in
        ``lo..hi``; among those the one that reaches furthest towards ``target``, then the newest.
        """
        memo = (addon.name, after, lo, hi, target)
        if memo not in self._choices:
            self._choices[memo] = self._choose(addon, after, lo, hi, target)
        return self._choices[memo]

    def _choose(self, addon: Addon, after: int | None, lo: int, hi: int, target: int) -> int | None:
        lines = self.lines(addon)
        start = -1 if after is None else after
        best: int | None = None
        best_score = (-1, -1)
        for i in range(start + 1, len(lines)):
            ln = lines[i]
            if ln.lo <= lo and hi <= ln.hi:
                score = (min(ln.hi, target), i)
                if score > best_score:
                    best, best_score = i, score
        return best
