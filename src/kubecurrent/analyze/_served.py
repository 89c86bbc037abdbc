"""What the target release serves, from upstream's generated lifecycle (``catalog.lifecycle``).

Two questions, both pure lookups:

- ``not_served``: a built-in group/version/kind the target does not serve — removed (alpha
  included: never served by default, and gone since the release upstream names), not yet
  shipped, or a group/version of a built-in group that no release ever shipped. CRD groups are
  never judged here: only groups upstream's modules define are built-in.
- ``replacement_at``: the apiVersion to move to *at the target*. Upstream's replacement tags
  are followed to the end of the chain (flowcontrol v1beta1 -> v1beta3 -> v1) to find the group
  and kind, then the preferred version of that kind the target serves is named: not deprecated
  at the target first, GA before beta before alpha, newest first.
"""

from __future__ import annotations

import re
from enum import StrEnum

import msgspec

from kubecurrent.catalog import Lifecycle, LifecycleApi
from kubecurrent.model import MinorVersion

_VERSION = re.compile(r"^v(?P<major>\d+)(?:(?P<stage>alpha|beta)(?P<n>\d+))?$")


class Why(StrEnum):
    """Why the target does not serve a built-in apiVersion and kind."""

    REMOVED = "removed"
    NOT_YET = "not-yet"
    UNKNOWN_VERSION = "unknown-version"


class NotServed(msgspec.Struct, frozen=True):
    """A built-in apiVersion/kind the target refuses, and what upstream says about it."""

    why: Why
    group: str
    version: str
    kind: str
    api: LifecycleApi | None
    """Upstream's entry; None for a group/version no release shipped."""
    removed_in: MinorVersion | None = None
    first_served: MinorVersion | None = None

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version


class Replacement(msgspec.Struct, frozen=True):
    """The apiVersion (and kind) to move to, served by the target since ``since``."""

    api_version: str
    kind: str
    since: MinorVersion | None
    """None when it was served before the oldest release the lifecycle data covers."""


def split_api_version(api_version: str) -> tuple[str, str]:
    group, _, version = api_version.rpartition("/")
    return group, version


def not_served(
    lc: Lifecycle, api_version: str, kind: str, target: MinorVersion
) -> NotServed | None:
    """Why ``target`` refuses a built-in ``api_version``/``kind``; None when it serves it, when
    the group is not built-in, or when only the kind is unknown (left to the API server)."""
    group, version = split_api_version(api_version)
    if not lc.apis or not lc.has_group(group) or not lc.covers(target):
        return None
    api = lc.lookup(group, version, kind)
    if api is not None:
        return _judge_kind(lc, api, kind, target)
    siblings = lc.group_version(group, version)
    if not siblings:
        if not _VERSION.match(version):
            return None
        return NotServed(Why.UNKNOWN_VERSION, group, version, kind, None)
    if any(s.served_at(target) for s in siblings):
        return None  # an unknown kind of a served group/version: the API server says more
    # no kind of the group/version is served: judge by the one served last
    return _judge_kind(lc, max(siblings, key=lambda s: s.last_served()), kind, target)


def _judge_kind(
    lc: Lifecycle, api: LifecycleApi, kind: str, target: MinorVersion
) -> NotServed | None:
    g, v = api.group, api.version
    if api.served_at(target):
        return None
    if target < api.first_served():
        return NotServed(Why.NOT_YET, g, v, kind, api, first_served=api.first_served())
    removed = api.gone_from(lc.newest(prerelease=True)) or api.last_served().offset(1)
    return NotServed(Why.REMOVED, g, v, kind, api, removed_in=removed)


def _chain_end(lc: Lifecycle, api: LifecycleApi) -> tuple[str, str]:
    """(group, kind) at the end of upstream's replacement chain starting at ``api``."""
    seen: set[str] = set()
    group, kind = api.group, api.kind
    current: LifecycleApi | None = api
    while current is not None and current.replacement and current.replacement not in seen:
        seen.add(current.replacement)
        group, version = split_api_version(current.replacement)
        kind = current.replacement_kind or current.kind
        current = lc.lookup(group, version, kind)
    return group, kind


def _preference(api: LifecycleApi, target: MinorVersion) -> tuple[int, int, int, int]:
    m = _VERSION.match(api.version)
    assert m is not None
    deprecated = api.deprecated is not None and api.deprecated <= target
    stage = {"alpha": 0, "beta": 1, None: 2}[m["stage"]]
    return (0 if deprecated else 1, stage, int(m["major"]), int(m["n"] or 0))


def _since(lc: Lifecycle, api: LifecycleApi) -> MinorVersion | None:
    if api.introduced is not None and api.introduced.minor > 0:
        return api.introduced
    first = api.shipped[0].first
    return first if lc.minors() and first > min(lc.minors()) else None


def replacement_at(
    lc: Lifecycle, start: tuple[str, str], target: MinorVersion
) -> Replacement | None:
    """The preferred apiVersion the target serves for the kind ``start`` = (apiVersion, kind)
    is replaced by (after following upstream's chain); None when the target serves none."""
    group, version = split_api_version(start[0])
    first = lc.lookup(group, version, start[1])
    end_group, end_kind = _chain_end(lc, first) if first is not None else (group, start[1])
    served = [
        a for a in lc.apis if a.group == end_group and a.kind == end_kind and a.served_at(target)
    ]
    if not served:
        return None
    best = max(served, key=lambda a: _preference(a, target))
    return Replacement(best.api_version, best.kind, _since(lc, best))
