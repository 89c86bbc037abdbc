"""The loaded catalog: one frozen object with lookups the analyzers and the planner use."""

from __future__ import annotations

import datetime as dt

from kubecurrent.catalog._addon import Addon
from kubecurrent.catalog._common import Frozen
from kubecurrent.catalog._cve import Cve
from kubecurrent.catalog._lifecycle import EMPTY_LIFECYCLE, Lifecycle
from kubecurrent.catalog._model import (
    ApiDeprecation,
    KubernetesRelease,
    Meta,
    SkewRule,
    UpgradeRule,
)
from kubecurrent.model import MinorVersion


class Catalog(Frozen):
    """Everything kubecurrent knows: built-in data plus the user's extra files."""

    meta: Meta
    releases: tuple[KubernetesRelease, ...]
    apis: tuple[ApiDeprecation, ...]
    skew: tuple[SkewRule, ...]
    upgrade: tuple[UpgradeRule, ...]
    cves: tuple[Cve, ...]
    addons: tuple[Addon, ...]
    lifecycle: Lifecycle = EMPTY_LIFECYCLE
    """Upstream's generated API lifecycle (``lifecycle.json``); empty for a data directory
    without one."""

    def release(self, minor: MinorVersion) -> KubernetesRelease | None:
        """The release line ``minor``, or None when the catalog does not know it."""
        return next((r for r in self.releases if r.version == minor), None)

    def newest_release(self) -> KubernetesRelease:
        return max(self.releases, key=lambda r: r.version)

    def supported_releases(self, today: dt.date) -> list[KubernetesRelease]:
        """Release lines not yet at end of life on ``today``."""
        return [r for r in self.releases if r.released <= today < r.end_of_life]

    def addon(self, name: str) -> Addon | None:
        return next((a for a in self.addons if a.name == name), None)

    def apis_removed_by(self, target: MinorVersion) -> list[ApiDeprecation]:
        """APIs no longer served by ``target`` (removed in it or before)."""
        return [a for a in self.apis if a.removed_in is not None and a.removed_in <= target]

    def apis_deprecated_at(self, version: MinorVersion) -> list[ApiDeprecation]:
        """APIs deprecated but still served at ``version``."""
        return [
            a
            for a in self.apis
            if a.deprecated_in <= version and (a.removed_in is None or version < a.removed_in)
        ]

    def skew_rules(self, component: str, at: MinorVersion) -> list[SkewRule]:
        """The skew rules for ``component`` in force when its reference is at ``at``."""
        return [
            r
            for r in self.skew
            if r.component == component
            and r.applies_from <= at
            and (r.applies_until is None or at <= r.applies_until)
        ]

    def cves_for(self, component: str) -> list[Cve]:
        return [c for c in self.cves if c.component == component]
