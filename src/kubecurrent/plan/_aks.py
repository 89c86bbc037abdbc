"""Azure Kubernetes Service's rules for the planner.

* The control plane moves only where AKS allows it: the first hop must be a version the
  cluster's upgrade profile offers (``controlPlaneProfile.upgrades``, previews left out;
  UPGRADE_URL: "check which Kubernetes releases are available for your cluster" with
  ``az aks get-upgrades``); later hops, which no profile can show yet, must be minors the
  catalog's AKS calendar lists. Anything else blocks the plan, naming what AKS offers. Without a
  profile (not readable) the calendar alone decides, and the reason says so.
* Each hop upgrades the control plane alone (``controlPlaneOnly``: the managed cluster's
  ``kubernetesVersion`` with every agent pool's ``orchestratorVersion`` left as it is), then
  every agent pool behind it follows (``agentPools`` ``orchestratorVersion``): AKS's best
  practice is "to upgrade all node pools in an AKS cluster to the same Kubernetes version"
  (NODE_POOLS_URL), which its default ``az aks upgrade`` does by upgrading them together with
  the control plane; kubecurrent splits the two so its health gate runs in between. System
  pools go first (they run the cluster's own components, CoreDNS among them). AKS
  surges, cordons and drains each pool itself (``upgradeSettings.maxSurge``, honouring
  PodDisruptionBudgets).
* Node images: a Kubernetes upgrade of a pool brings AKS's latest node image with it, so a
  ``node-image`` step (``upgradeNodeImageVersion``) is planned only for a pool the plan does not
  roll whose image is behind the ``latestNodeImageVersion`` its upgrade profile names
  (NODE_IMAGE_URL).
* Planned maintenance (``holds``) becomes rollout holds with their source: the
  ``aksManagedAutoUpgradeSchedule`` window (daily, weekly, absoluteMonthly or relativeMonthly,
  in its ``utcOffset``, from its ``startDate``), and every ``notAllowedDates``/``notAllowedTime``
  as a blackout (MAINTENANCE_URL).
"""

from __future__ import annotations

import datetime as dt

from kubecurrent.model import MinorVersion
from kubecurrent.model.aks import AksCluster, AksMaintenance, MaintenanceKind
from kubecurrent.model.clouds import Provider
from kubecurrent.model.plan import Day, Hold
from kubecurrent.model.recurrence import Recurrence, RecurrenceError, WeekdayNum
from kubecurrent.plan._nodes import roll_to_control_plane
from kubecurrent.plan._rules import key, label
from kubecurrent.plan._work import Work

PROVIDER: Provider = "aks"
UPGRADE_URL = "https://learn.microsoft.com/azure/aks/upgrade-aks-cluster"
NODE_POOLS_URL = "https://learn.microsoft.com/azure/aks/upgrade-node-pools"
NODE_IMAGE_URL = "https://learn.microsoft.com/azure/aks/node-image-upgrade"
MAINTENANCE_URL = "https://learn.microsoft.com/azure/aks/planned-maintenance"
_POOL_WHY = (
    "AKS's practice is to upgrade all node pools to the control plane's version "
    f"({NODE_POOLS_URL}); the control-plane upgrade left {{pool}} behind (controlPlaneOnly), so "
    "AKS upgrades the agent pool now, surging and draining its nodes itself"
)
_POOL_WITHOUT = (
    "{pool} would run an older kubelet than the control plane, without the fixes of the new "
    "version, and later control-plane upgrades could leave it outside the supported skew"
)
_NOT_AGENT_POOL = (
    "AKS knows no agent pool of this name (virtual nodes or nodes added by hand): replace its "
    "nodes yourself"
)


class AksRules:
    """The AKS part of one cluster's plan."""

    name: str | None = PROVIDER

    def __init__(self, aks: AksCluster) -> None:
        self.aks = aks

    def owns_addon(self, name: str) -> bool:
        return False

    def pool_note(self, pool: str) -> str | None:
        return None if self.aks.agent_pool(pool) is not None else _NOT_AGENT_POOL

    def check_path(self, work: Work, minors: list[int]) -> None:
        calendar = {key(m) for m in work.rules.catalog.provider_minors(PROVIDER)}
        first = next((m for m in minors if m != work.minor), None)
        if first is not None and self.aks.upgrade_profile_read:
            offered = self.aks.offered()
            if not any(_minor_key(v) == first for v in offered):
                listed = ", ".join(offered) or "none"
                work.block(
                    f"AKS does not offer Kubernetes {label(first)} to cluster {self.aks.name} "
                    f"now (its upgrade profile offers: {listed}); choose a target AKS offers, "
                    "or wait until it offers this one and collect the inventory again",
                    at=work.minor,
                )
                return
        for m in minors:
            later = m != work.minor and (m != first or not self.aks.upgrade_profile_read)
            if later and calendar and m not in calendar:
                known = ", ".join(label(k) for k in sorted(calendar))
                work.block(
                    f"AKS does not list Kubernetes {label(m)} on its release calendar for "
                    f"cluster {self.aks.name} (the catalog's AKS calendar lists {known}); "
                    "choose a target among those",
                    at=m - 1,
                )
                return

    def preflight(self, work: Work) -> None:
        if work.minor == work.target_minor:
            self._node_images(work)

    def after_hop(self, work: Work) -> None:
        for name, kubelet in sorted(work.pools.items(), key=lambda item: not self._system(item[0])):
            if self.aks.agent_pool(name) is not None and kubelet < work.cp:
                roll_to_control_plane(
                    work,
                    name,
                    _POOL_WHY.format(pool=name),
                    _POOL_WITHOUT.format(pool=name),
                    managed_by=PROVIDER,
                )

    def _system(self, name: str) -> bool:
        pool = self.aks.agent_pool(name)
        return pool is not None and pool.mode == "System"

    def _node_images(self, work: Work) -> None:
        for pool in self.aks.agent_pools:
            kubelet = work.pools.get(pool.name)
            if not pool.image_behind or kubelet is None or kubelet < work.target:
                continue  # a pool the plan rolls gets the latest image with its new version
            work.emit(
                "node-image",
                pool.name,
                pool.node_image_version or "",
                pool.latest_node_image_version,
                f"agent pool {pool.name} runs node image {pool.node_image_version}; AKS offers "
                f"{pool.latest_node_image_version} (the pool's upgrade profile). Upgraded with "
                f"upgradeNodeImageVersion ({NODE_IMAGE_URL}): AKS surges and drains the nodes",
                f"the nodes of {pool.name} would keep an older OS image, without its security "
                "and kubelet patches",
                managed_by=PROVIDER,
            )


def _minor_key(version: str) -> int:
    return key(MinorVersion.parse(".".join(version.split(".")[:2])))


_DAY: dict[str, Day] = {
    "Monday": "mon",
    "Tuesday": "tue",
    "Wednesday": "wed",
    "Thursday": "thu",
    "Friday": "fri",
    "Saturday": "sat",
    "Sunday": "sun",
}


_WEEK_INDEX = {"First": 1, "Second": 2, "Third": 3, "Fourth": 4, "Last": -1}
_UNIT = {"daily": "days", "weekly": "weeks", "monthly": "months"}
_DEFAULT_FIRST = dt.date(2020, 1, 6)
"""The first day of a schedule without ``startDate`` (AKS: "active right away"): a Monday,
so weekly and monthly counts start from the week and the month of an arbitrary past day."""


def holds(aks: AksCluster) -> tuple[Hold, ...]:
    """The cluster's planned maintenance (MAINTENANCE_URL) as rollout holds: the
    ``aksManagedAutoUpgradeSchedule`` window — when its owner lets Kubernetes upgrades run —
    daily, weekly, absoluteMonthly or relativeMonthly, every ``interval`` days, weeks or months
    from ``startDate``, at ``startTime`` in ``utcOffset`` for ``durationHours``; a schedule that
    cannot be read is a ``refused`` hold saying why; the ``notAllowedDates`` and
    ``notAllowedTime`` of every configuration AKS reads are blackouts."""
    found: list[Hold] = []
    for m in aks.maintenance:
        if m.kind is None:
            continue
        source = f'AKS planned maintenance "{m.name}" of {aks.name}'
        found += [
            Hold(kind="blackout", source=source, start=s.start, end=s.end, note="not allowed")
            for s in m.not_allowed
        ]
        if m.kind is MaintenanceKind.AUTO_UPGRADE:
            found.append(window(m, source))
    return tuple(found)


def recurrence(m: AksMaintenance) -> Recurrence:
    """``maintenanceWindow.schedule`` as a recurrence; RecurrenceError naming what is missing."""
    every = m.interval or 1
    if m.frequency == "daily":
        return Recurrence(freq="daily", interval=every)
    day = _DAY.get(m.day_of_week or "")
    if m.frequency == "weekly" and day is not None:
        return Recurrence(freq="weekly", interval=every, by_day=(WeekdayNum(day=day),))
    if m.frequency == "absoluteMonthly" and m.day_of_month is not None:
        return Recurrence(freq="monthly", interval=every, by_month_day=(m.day_of_month,))
    nth = _WEEK_INDEX.get(m.week_index or "")
    if m.frequency == "relativeMonthly" and day is not None and nth is not None:
        by_day = (WeekdayNum(day=day, nth=nth),)
        return Recurrence(freq="monthly", interval=every, by_day=by_day)
    raise RecurrenceError(
        f"schedule {m.frequency or '(none)'} {m.schedule!r} lacks its dayOfWeek, dayOfMonth or "
        "weekIndex"
    )


def window(m: AksMaintenance, source: str) -> Hold:
    """The window of ``m``, or a ``refused`` hold saying why it cannot be enforced."""
    offset = m.utc_offset or "+00:00"
    zone = dt.datetime.strptime(offset, "%z").tzinfo
    time = dt.time.fromisoformat(m.start_time or "00:00")
    start = dt.datetime.combine(m.start_date or _DEFAULT_FIRST, time, tzinfo=zone)
    hours = m.duration_hours or 0
    try:
        if m.start_time is None or m.duration_hours is None:
            raise RecurrenceError("startTime or durationHours is missing")
        rule = recurrence(m)
        if rule.interval > 1 and m.start_date is None:
            raise RecurrenceError(
                f"every {rule.interval} {_UNIT[rule.freq]} without startDate: which ones AKS "
                "counts is unknown; set startDate"
            )
    except RecurrenceError as e:
        note = (
            f"{e}; kubecurrent starts this cluster at any time; fix the "
            f"configuration ({MAINTENANCE_URL}) and collect the inventory again"
        )
        return Hold(kind="refused", source=source, start=start, end=start, note=note)
    days = tuple(w.day for w in rule.by_day) if rule.freq == "weekly" and rule.interval == 1 else ()
    return Hold(
        kind="window",
        source=source,
        start=start,
        end=start + dt.timedelta(hours=hours),
        days=days,
        recurrence=rule,
        note=f"{m.schedule} at {m.start_time} UTC{offset} for {hours}h",
    )
