"""The loaded catalog: one frozen object with lookups the analyzers and the planner use."""

from __future__ import annotations

import datetime as dt
from functools import cached_property

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
from kubecurrent.catalog._provider import ProviderPrice, ProviderRelease, SupportPhase
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
    provider_releases: tuple[ProviderRelease, ...] = ()
    provider_prices: tuple[ProviderPrice, ...] = ()

    def release(self, minor: MinorVersion) -> KubernetesRelease | None:
        """The release line ``minor``, or None when the catalog does not know it."""
        return next((r for r in self.releases if r.version == minor), None)

    def newest_release(self) -> KubernetesRelease:
        return max(self.releases, key=lambda r: r.version)

    def supported_releases(self, today: dt.date) -> list[KubernetesRelease]:
        """Release lines not yet at end of life on ``today``."""
        return [r for r in self.releases if r.released <= today < r.end_of_life]

    def addon(self, name: str) -> Addon | None:
        return self._addons_by_name.get(name)

    @cached_property
    def _addons_by_name(self) -> dict[str, Addon]:
        """The first add-on of each name (the planner asks once per add-on per hop)."""
        found: dict[str, Addon] = {}
        for a in self.addons:
            found.setdefault(a.name, a)
        return found

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

    def provider_release(self, provider: str, minor: MinorVersion) -> ProviderRelease | None:
        """The minor ``minor`` on managed ``provider`` (``eks``), or None when not known."""
        return next(
            (r for r in self.provider_releases if r.provider == provider and r.version == minor),
            None,
        )

    def provider_minors(self, provider: str) -> list[MinorVersion]:
        """Every minor the catalog knows ``provider`` to have offered, oldest first."""
        return sorted(r.version for r in self.provider_releases if r.provider == provider)

    def provider_price(self, provider: str, support: SupportPhase) -> ProviderPrice | None:
        """What a cluster of ``provider`` costs per hour in ``support``, when the catalog knows."""
        return next(
            (p for p in self.provider_prices if p.provider == provider and p.support is support),
            None,
        )
