"""Collecting one cluster's inventory: every section reads with pagination and aggregates as it
goes; a section the credentials may not read becomes a limitation, never a failure.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from kubecurrent.catalog import Catalog
from kubecurrent.collect.cluster import _sections
from kubecurrent.collect.cluster._addons import AddonFinder
from kubecurrent.collect.cluster._api import (
    ClusterApi,
    Connection,
    Forbidden,
    NotFound,
    Unreachable,
    load_config,
)
from kubecurrent.collect.cluster._evidence import EvidenceCounter, api_usage
from kubecurrent.collect.cluster._facts import applicable_cves, end_of_life
from kubecurrent.collect.cluster._pools import PoolCounter
from kubecurrent.collect.cluster._target import ClusterTarget, CollectOptions
from kubecurrent.collect.cluster._watch import Watch
from kubecurrent.collect.cluster._workloads import DrainCounter
from kubecurrent.errors import ClusterError
from kubecurrent.model import KubeVersion
from kubecurrent.model.inventory import ClusterInventory, Limitation

if TYPE_CHECKING:
    from kubecurrent.collect.clouds import CloudFacts


def connection(target: ClusterTarget, facts: CloudFacts | None = None) -> Connection:
    """The connection to ``target``'s API server (for a cloud cluster: its endpoint and CA from
    the cloud, ``facts`` when already read, and the cloud's token)."""
    if target.cloud is None:
        return Connection(load_config(target.kubeconfig, target.context))
    from kubecurrent.collect import clouds  # a cloud's cluster only

    return clouds.connection(target.cloud, facts)


def safe_name(text: str) -> str:
    """A context name as an inventory name (lowercase letters, digits, ``.`` and ``-``)."""
    name = re.sub(r"[^a-z0-9.-]+", "-", text.lower()).strip(".-")
    return name or "cluster"


async def collect_cluster(
    target: ClusterTarget, catalog: Catalog, opts: CollectOptions
) -> ClusterInventory:
    """The inventory of ``target``; raises ClusterError when it cannot be reached at all.

    A cloud target is described through its cloud's API first (its facts land in ``managed``,
    its labels beside the target's own, refused optional facts in ``limitations``).
    """
    facts = None
    if target.cloud is not None:
        from kubecurrent.collect import clouds

        facts = await asyncio.to_thread(clouds.describe, target.cloud)
    api = ClusterApi(connection(target, facts), opts.request_timeout)
    try:
        inv = await _Run(api, catalog, opts, target).collect()
    finally:
        await api.close()
    if facts is None:
        return inv
    return inv.model_copy(
        update={
            "managed": facts.managed,
            "labels": {**facts.labels, **inv.labels},
            "limitations": (
                *inv.limitations,
                *(Limitation(check=c, reason=r) for c, r in facts.limitations),
            ),
        }
    )


Guarded = tuple[str, str, Awaitable[Any]]
"""A read for ``guard_each``: the check's name, the permission it needs, the read itself."""
Branch = Callable[["_Run", list[Limitation]], Awaitable[None]]
"""Sections run by ``side_by_side``: reads that record their limitations in the list given."""
T = TypeVar("T")
LISTS_AT_ONCE = 4
"""Resource lists of one cluster read at the same time."""


def _limitation(check: str, needs: str, exc: ClusterError) -> Limitation:
    if isinstance(exc, Unreachable):
        raise exc
    if isinstance(exc, Forbidden):
        return Limitation(check=check, reason=f"could not check {check}: needs {needs}")
    if isinstance(exc, NotFound):
        return Limitation(check=check, reason=f"{check}: not served by this cluster")
    return Limitation(check=check, reason=f"{check}: {exc.message}")


async def _all(*works: Awaitable[T]) -> list[T]:
    """Every result of ``works`` run together; the first failure is raised only after all
    have ended, so no read outlives the collection."""
    done = await asyncio.gather(*works, return_exceptions=True)
    for item in done:
        if isinstance(item, BaseException):
            raise item
    return [item for item in done if not isinstance(item, BaseException)]


class _Run:
    def __init__(
        self, api: ClusterApi, catalog: Catalog, opts: CollectOptions, target: ClusterTarget
    ) -> None:
        self.api, self.catalog, self.opts, self.target = api, catalog, opts, target
        self.watch = Watch.from_catalog(catalog)
        self.limits: list[Limitation] = []
        self.finder = AddonFinder(catalog)
        self.evidence = EvidenceCounter(set(self.watch.pairs))
        self.pools = PoolCounter(opts.pool_label)
        self.drain = DrainCounter()
        self.state = _sections.State()

    async def guard(
        self, check: str, needs: str, work: Awaitable[Any], into: list[Limitation] | None = None
    ) -> None:
        """Run ``work``; a refusal or failure of this one read becomes a limitation, added to
        ``into`` (default: this run's), and an unreachable cluster ends the collection."""
        try:
            await work
        except ClusterError as exc:
            (self.limits if into is None else into).append(_limitation(check, needs, exc))

    async def guard_each(
        self,
        reads: Sequence[Guarded],
        concurrency: int = LISTS_AT_ONCE,
        into: list[Limitation] | None = None,
    ) -> None:
        """``guard`` for independent reads, ``concurrency`` at a time: the API server works on
        one while this process decodes another. A future (another read's outcome) is awaited
        without taking a place. Limitations are recorded in the order given."""
        gate = asyncio.Semaphore(concurrency)

        async def one(check: str, needs: str, work: Awaitable[Any]) -> Limitation | None:
            try:
                if isinstance(work, asyncio.Future):
                    await work
                else:
                    async with gate:
                        await work
            except ClusterError as exc:
                return _limitation(check, needs, exc)
            return None

        found = await _all(*(one(*read) for read in reads))
        (self.limits if into is None else into).extend(f for f in found if f is not None)

    async def side_by_side(self, *branches: Branch) -> None:
        """Run ``branches`` at the same time, each recording its limitations in a list of its
        own; the lists are added in the order given, so the result is the sequential one."""
        limits: list[list[Limitation]] = [[] for _ in branches]
        await _all(*(branch(self, into) for branch, into in zip(branches, limits, strict=True)))
        for found in limits:
            self.limits += found

    async def collect(self) -> ClusterInventory:
        version = await self.api.get_json("/version")
        server = str(version.get("gitVersion", ""))
        s = _sections
        await self.guard("node pools", "list on nodes", s.nodes(self))
        await self.guard(
            "CRDs", "list on customresourcedefinitions.apiextensions.k8s.io", s.crds(self)
        )
        await s.helm(self)
        await self.guard("drain blockers", "list on poddisruptionbudgets.policy", s.pdbs(self))
        await self.side_by_side(s.workloads, s.object_evidence)
        if self.opts.read_metrics:
            await self.guard(
                "deprecated API requests metric",
                "get on the /metrics non-resource URL",
                s.metrics(self),
            )
        if self.target.audit_log is not None:
            s.audit(self, self.target.audit_log)
        return self.inventory(KubeVersion.parse(server), server)

    def inventory(self, control_plane: KubeVersion, server: str) -> ClusterInventory:
        today = self.opts.today or dt.date.today()
        pools = self.pools.result()
        addons, unversioned = self.finder.result()
        self.limits += [
            Limitation(
                check=f"add-on {a} version",
                reason=f"{a} found (CRDs or labels) but its version could not be read",
            )
            for a in unversioned
        ]
        eol, passed = end_of_life(self.catalog, control_plane, today)
        evidence = self.evidence.result()
        return ClusterInventory(
            name=safe_name(self.target.name),
            control_plane=control_plane,
            node_pools=pools,
            addons=addons,
            api_usage=api_usage(evidence),
            crds=tuple(self.state.crds),
            server_version=server,
            context=self.target.context,
            labels=dict(self.target.labels),
            collected_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            end_of_life=eol,
            end_of_life_passed=passed,
            cves=tuple(
                sorted({c.id for c, _ in applicable_cves(self.catalog, control_plane, pools)})
            ),
            api_evidence=evidence,
            helm_releases=tuple(self.state.releases),
            runtime_classes=tuple(self.state.runtime_classes),
            wasm=_sections.wasm(self),
            drain_blockers=tuple(self.drain.blockers),
            drain_blockers_total=self.drain.total,
            rbac_roles=tuple(self.state.roles),
            limitations=tuple(self.limits),
        )
