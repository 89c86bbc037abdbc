"""Google GKE's rules for the planner.

* The master moves one minor per upgrade (as everywhere), and only to a version GKE offers the
  cluster: its release channel's valid versions in its location when it is enrolled in one,
  else the location's valid master versions (``ServerConfig``, SERVER_CONFIG_URL); without
  them, the catalog's GKE calendar. A path through a minor GKE does not offer is blocked,
  naming the channel and what it offers.
* Node pools may run up to two minors behind the master, never newer (VERSIONING_URL). A GKE
  node pool is upgraded by GKE itself (``update_node_pool``, with the pool's own surge or
  blue-green strategy), straight to the master's version: before a hop that would leave it more
  than two minors behind, and after the last hop. Pools GKE does not manage keep the generic
  skew rule, and their steps say so.
* The maintenance policy becomes holds of the plan (rollouts honour them): each maintenance
  exclusion a blackout (``GKE maintenance exclusion "<name>"``, with its scope); the recurring
  recurring window (its RFC 5545 RRULE read by ``Recurrence``: FREQ DAILY, WEEKLY or MONTHLY,
  INTERVAL, BYDAY with ordinals in monthly rules, BYMONTHDAY, BYSETPOS; counted from the
  window's start in UTC) or the daily window a window. A recurrence outside that subset
  (COUNT, UNTIL, BYMONTH, other frequencies...) becomes a ``refused`` hold whose note names the
  part: shown in the plan and the rollout, holding nothing (GKE still honours it for its own
  automatic upgrades).
"""

from __future__ import annotations

import datetime as dt

from kubecurrent.model import MinorVersion
from kubecurrent.model.clouds import Provider
from kubecurrent.model.gke import Channel, GkeCluster, MaintenancePolicy, minor_of
from kubecurrent.model.plan import DAYS, Hold
from kubecurrent.model.recurrence import Recurrence, RecurrenceError
from kubecurrent.plan._nodes import roll_to_control_plane
from kubecurrent.plan._rules import key, label
from kubecurrent.plan._work import Work

PROVIDER: Provider = "gke"
POOL_SKEW = 2
"""Minors a GKE node pool may run behind the master (VERSIONING_URL)."""
VERSIONING_URL = "https://cloud.google.com/kubernetes-engine/versioning"
SERVER_CONFIG_URL = "https://cloud.google.com/kubernetes-engine/docs/reference/rest/v1/ServerConfig"
MAINTENANCE_URL = (
    "https://cloud.google.com/kubernetes-engine/docs/concepts/maintenance-windows-and-exclusions"
)
_POOL_WHY = (
    "GKE allows node pools at most {skew} minors behind the master, never newer "
    f"({VERSIONING_URL}); {{pool}} is a GKE node pool, so GKE upgrades it to the master's "
    "version ({strategy})"
)
_POOL_WITHOUT = (
    "{pool} would fall outside the version skew GKE supports, GKE would refuse the next master "
    "upgrade or upgrade the pool itself at a time you did not choose, and its nodes would miss "
    "the kubelet fixes of the new version"
)
_NOT_GKE = (
    "GKE does not upgrade this pool (it is no GKE node pool of the cluster); replace its nodes "
    "yourself"
)


class GkeRules:
    """The GKE part of one cluster's plan."""

    name: str | None = PROVIDER

    def __init__(self, gke: GkeCluster) -> None:
        self.gke = gke

    def owns_addon(self, name: str) -> bool:
        return False

    def pool_note(self, pool: str) -> str | None:
        return None if self.gke.pool(pool) is not None else _NOT_GKE

    def where(self) -> str:
        """``the REGULAR channel in europe-west1`` / ``europe-west1 (no release channel)``."""
        if self.gke.channel is Channel.UNSPECIFIED:
            return f"{self.gke.location} (no release channel)"
        return f"the {self.gke.channel} channel in {self.gke.location}"

    def check_path(self, work: Work, minors: list[int]) -> None:
        offered, where = self._offered(work)
        if not offered:
            return
        for m in minors:
            if m != work.minor and m not in offered:
                listed = ", ".join(label(k) for k in sorted(offered))
                work.block(
                    f"GKE does not offer Kubernetes {label(m)} for cluster {self.gke.name} on "
                    f"{where} ({listed}); choose a target among those, move the cluster to a "
                    "channel that offers it (RAPID gets new minors first), or wait until GKE "
                    "offers it and collect the inventory again",
                    at=m - 1,
                )
                return

    def _offered(self, work: Work) -> tuple[set[int], str]:
        versions = self.gke.offered_master_versions()
        found = set()
        for v in versions:
            try:
                found.add(key(MinorVersion.parse(minor_of(v))))
            except ValueError:
                continue
        if found:
            return found, self.where()
        minors = work.rules.catalog.provider_minors(PROVIDER)
        return {key(m) for m in minors}, "the catalog's GKE calendar"

    def preflight(self, work: Work) -> None:
        self._roll_pools(work)

    def after_hop(self, work: Work) -> None:
        self._roll_pools(work)

    def _roll_pools(self, work: Work) -> None:
        """Roll every GKE pool the next hop would leave outside GKE's skew; after the last
        hop (or with none to come), every GKE pool behind the master."""
        last = work.minor >= work.target_minor
        for name, kubelet in list(work.pools.items()):
            pool = self.gke.pool(name)
            if pool is None or not kubelet < work.cp:
                continue
            behind_next = work.minor + 1 - key(kubelet.minor_version)
            if last or behind_next > POOL_SKEW:
                roll_to_control_plane(
                    work,
                    name,
                    _POOL_WHY.format(skew=POOL_SKEW, pool=name, strategy=pool.strategy_text()),
                    _POOL_WITHOUT.format(pool=name),
                    managed_by=PROVIDER,
                )


def holds(gke: GkeCluster) -> tuple[Hold, ...]:
    """The maintenance policy of ``gke`` as holds (MAINTENANCE_URL)."""
    return (*exclusions(gke.maintenance), *windows(gke.maintenance))


def exclusions(policy: MaintenancePolicy) -> tuple[Hold, ...]:
    return tuple(
        Hold(
            kind="blackout",
            source=f'GKE maintenance exclusion "{e.name}"',
            start=e.start,
            end=e.end,
            note=f"scope {e.scope}",
        )
        for e in policy.exclusions
    )


def windows(policy: MaintenancePolicy) -> tuple[Hold, ...]:
    if policy.recurring is not None:
        r = policy.recurring
        source = f"GKE maintenance window ({r.recurrence})"
        try:
            recurrence = Recurrence.parse(r.recurrence)
        except RecurrenceError as e:
            return (
                Hold(kind="refused", source=source, start=r.start, end=r.end, note=_refused(e)),
            )
        plain = recurrence.freq == "weekly" and recurrence.interval == 1
        days = tuple(d for d in DAYS if any(w.day == d for w in recurrence.by_day)) if plain else ()
        note = "" if plain or recurrence.freq == "daily" else recurrence.text()
        return (
            Hold(
                kind="window",
                source=source,
                start=r.start,
                end=r.end,
                days=days,
                recurrence=recurrence,
                note=note,
            ),
        )
    if policy.daily is not None:
        hours, minutes = (int(x) for x in policy.daily.start_time.split(":"))
        start = dt.datetime(2000, 1, 1, hours, minutes, tzinfo=dt.UTC)
        return (
            Hold(
                kind="window",
                source=f"GKE daily maintenance window ({policy.daily.start_time} UTC)",
                start=start,
                end=start + dt.timedelta(hours=4),
            ),
        )
    return ()


def _refused(error: RecurrenceError) -> str:
    return (
        f"{error}; kubecurrent starts this cluster at any time (GKE still keeps "
        "its own automatic upgrades to the window); express the window with FREQ, INTERVAL, "
        f"BYDAY, BYMONTHDAY and BYSETPOS ({MAINTENANCE_URL}), or use a rollout window"
    )
