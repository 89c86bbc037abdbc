"""Reading a cluster's resource lists side by side gives what reading them one after another
gives: evidence counters merged in a fixed order, limitations in the order the reads were given."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from kubecurrent.catalog import load_catalog
from kubecurrent.collect.cluster._api import Forbidden, NotFound, Unreachable
from kubecurrent.collect.cluster._collect import _Run
from kubecurrent.collect.cluster._evidence import MAX_EXAMPLES, EvidenceCounter
from kubecurrent.collect.cluster._metadata import object_meta
from kubecurrent.collect.cluster._target import ClusterTarget, CollectOptions
from kubecurrent.model.inventory import Limitation

WATCHED = {("batch/v1beta1", "CronJob"), ("extensions/v1beta1", "Ingress")}


def _meta(i: int, version: str, manager: str) -> dict[str, Any]:
    return {
        "name": f"obj-{i}",
        "namespace": f"ns-{i % 3}",
        "managedFields": [
            {"manager": manager, "operation": "Update", "apiVersion": version, "time": f"t{i:03}"}
        ],
    }


def _pages() -> list[tuple[str, list[dict[str, Any]]]]:
    """Two resources' objects, the same writer in both (so keys meet in the merge)."""
    first = [_meta(i, "batch/v1beta1", "legacy") for i in range(4)]
    second = [_meta(i, "batch/v1beta1", "legacy" if i % 2 else "other") for i in range(10, 19)]
    return [("CronJob", first), ("CronJob", second)]


def test_counters_merged_in_order_equal_one_counter_fed_in_that_order() -> None:
    sequential = EvidenceCounter(set(WATCHED))
    for kind, metas in _pages():
        for meta in metas:
            sequential.object_metadata(kind, object_meta(meta))
    merged = EvidenceCounter(set(WATCHED))
    parts = [merged.fresh() for _ in _pages()]
    for part, (kind, metas) in zip(reversed(parts), reversed(_pages()), strict=True):
        for meta in metas:  # filled in the other order, as concurrent reads may finish
            part.object_metadata(kind, object_meta(meta))
    for part in parts:
        merged.merge(part)
    assert merged.result() == sequential.result()
    legacy = next(e for e in merged.result() if e.manager == "legacy")
    assert legacy.count == 8 and len(legacy.examples) == MAX_EXAMPLES
    assert legacy.last_seen == "t017"


@pytest.fixture
def run() -> _Run:
    # guard_each never sends a request: no API client is needed here.
    return _Run(None, load_catalog(), CollectOptions(), ClusterTarget(name="c"))  # type: ignore[arg-type]


async def _fails(exc: Exception, delay: float) -> None:
    await asyncio.sleep(delay)
    raise exc


async def _ok(delay: float) -> None:
    await asyncio.sleep(delay)


async def test_limitations_keep_the_order_of_the_reads_not_of_their_endings(run: _Run) -> None:
    await run.guard_each(
        [
            ("A", "list on a", _fails(Forbidden("no"), 0.05)),
            ("B", "list on b", _ok(0.0)),
            ("C", "list on c", _fails(NotFound("gone"), 0.0)),
        ],
        concurrency=3,
    )
    assert [(lim.check, lim.reason) for lim in run.limits] == [
        ("A", "could not check A: needs list on a"),
        ("C", "C: not served by this cluster"),
    ]


async def test_an_unreachable_cluster_ends_the_collection_after_every_read_has_ended(
    run: _Run,
) -> None:
    finished: list[str] = []

    async def slow() -> None:
        await asyncio.sleep(0.05)
        finished.append("slow")

    with pytest.raises(Unreachable):
        await run.guard_each(
            [("A", "a", _fails(Unreachable("down"), 0.0)), ("B", "b", slow())], concurrency=2
        )
    assert finished == ["slow"]


async def test_sections_side_by_side_keep_the_limitations_in_section_order(run: _Run) -> None:
    async def first(r: _Run, into: list[Limitation]) -> None:
        await r.guard("A", "list on a", _fails(Forbidden("no"), 0.05), into)
        await r.guard("B", "list on b", _fails(NotFound("gone"), 0.0), into)

    async def second(r: _Run, into: list[Limitation]) -> None:  # ends before the first
        await r.guard("C", "list on c", _fails(Forbidden("no"), 0.0), into)

    await run.side_by_side(first, second)
    assert [lim.check for lim in run.limits] == ["A", "B", "C"]
