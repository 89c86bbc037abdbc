"""The fleet the dashboard shows: collected in the background, judged once per collection.

A ``Collector`` returns one ``ClusterResult`` per cluster (live clusters through
``collect_fleet``, or saved snapshots). ``FleetState`` keeps the latest ``FleetSnapshot``, refreshes
it every ``interval`` seconds and on request (one refresh at a time), and judges every inventory
with the same rules as ``kubecurrent scan cluster`` (target: one minor above each cluster). A
cluster that cannot be read or judged carries its reason; it never stops the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field

from kubecurrent.analyze.cluster import check_inventory, default_target
from kubecurrent.catalog import Catalog
from kubecurrent.collect.cluster import ClusterResult, ClusterTarget, CollectOptions, collect_fleet
from kubecurrent.model import MinorVersion
from kubecurrent.model.findings import Finding
from kubecurrent.model.inventory import ClusterInventory

Collector = Callable[[], Awaitable[list[ClusterResult]]]
log = logging.getLogger("kubecurrent.web")


@dataclass(frozen=True)
class ClusterState:
    """One cluster as last collected: its inventory and findings, or why there are none."""

    name: str
    labels: Mapping[str, str]
    inventory: ClusterInventory | None = None
    findings: tuple[Finding, ...] = ()
    target: MinorVersion | None = None
    """The minor the findings were judged against."""
    error: str | None = None


@dataclass(frozen=True)
class FleetSnapshot:
    clusters: tuple[ClusterState, ...] = ()
    collected_at: dt.datetime | None = None
    """None until the first collection finished."""

    def get(self, name: str) -> ClusterState | None:
        return next((c for c in self.clusters if c.name == name), None)


def live_collector(
    targets: list[ClusterTarget], catalog: Catalog, options: CollectOptions, concurrency: int
) -> Collector:
    """Collects ``targets`` concurrently, like ``kubecurrent inventory``."""

    async def collect() -> list[ClusterResult]:
        return await collect_fleet(targets, catalog, options, None, concurrency)

    return collect


def saved_collector(inventories: Iterable[ClusterInventory]) -> Collector:
    """Serves saved snapshots (``--inventory DIR``) as if just collected."""
    frozen = [
        ClusterResult(ClusterTarget(name=i.name, labels=dict(i.labels)), inventory=i)
        for i in inventories
    ]

    async def collect() -> list[ClusterResult]:
        return list(frozen)

    return collect


def judge(result: ClusterResult, catalog: Catalog, today: dt.date) -> ClusterState:
    """A collected cluster with its findings (the rules of ``scan cluster``)."""
    inv = result.inventory
    labels = {**result.target.labels, **(inv.labels if inv else {})}
    name = inv.name if inv else result.target.name
    if inv is None:
        return ClusterState(name, labels, error=result.error or "not collected")
    target = default_target(inv, catalog.newest_release().version)
    try:
        found = tuple(check_inventory(inv, catalog, target, today))
    except Exception as exc:  # a rule's bug must not hide the cluster
        log.exception("judging %s failed", name)
        return ClusterState(name, labels, inv, target=target, error=f"could not judge: {exc}")
    return ClusterState(name, labels, inv, found, target)


@dataclass
class FleetState:
    """The latest snapshot, and the background refresh that replaces it."""

    catalog: Catalog
    collector: Collector
    today: Callable[[], dt.date] = dt.date.today
    snapshot: FleetSnapshot = field(default_factory=FleetSnapshot)
    last_error: str | None = None
    _running: asyncio.Task[None] | None = None

    @property
    def refreshing(self) -> bool:
        return self._running is not None and not self._running.done()

    async def refresh(self) -> None:
        """Collect and judge every cluster now; a failure of the whole source is kept."""
        try:
            results = await self.collector()
            day = self.today()
            states = tuple(judge(r, self.catalog, day) for r in results)
        except Exception as exc:  # e.g. an unreadable kubeconfig: shown, not fatal
            log.exception("fleet collection failed")
            self.last_error = f"{type(exc).__name__}: {exc}"
            return
        self.last_error = None
        self.snapshot = FleetSnapshot(states, dt.datetime.now(dt.UTC))

    def start_refresh(self) -> bool:
        """Start a refresh in the background; False when one is already running."""
        if self.refreshing:
            return False
        self._running = asyncio.get_running_loop().create_task(self.refresh())
        return True

    async def run(self, interval: float) -> None:
        """Refresh now and then every ``interval`` seconds, until cancelled."""
        while True:
            if self.start_refresh() and self._running is not None:
                await asyncio.shield(self._running)
            await asyncio.sleep(interval)

    async def stop(self) -> None:
        if self._running is not None and not self._running.done():
            self._running.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._running
