"""How many worker processes a fleet collection gets (the collection itself is tested against
sandboxes in tests/integration/cluster/test_fleet_workers.py)."""

from __future__ import annotations

import pytest

from kubecurrent.collect.cluster import fleet_workers


@pytest.mark.parametrize(
    ("clusters", "concurrency", "cores", "workers"),
    [
        (1, 8, 4, 0),  # one cluster: nothing to share the cores with
        (2, 8, 1, 0),  # one core: processes would only add their cost
        (5, 8, 2, 0),  # two cores: a worker costs more than the decoding it takes over
        (5, 8, 3, 5),  # one worker per cluster read at the same time
        (5, 3, 4, 3),  # never more clusters at once than --concurrency
        (1000, 8, 4, 8),
    ],
)
def test_workers_follow_clusters_concurrency_and_cores(
    clusters: int, concurrency: int, cores: int, workers: int
) -> None:
    assert fleet_workers(clusters, concurrency, cores) == workers


@pytest.mark.parametrize(
    ("clusters", "concurrency", "asked", "workers"),
    [
        (5, 8, 2, 2),  # what was asked, on any number of cores
        (5, 8, 0, 0),  # 0: in this process
        (5, 3, 8, 3),  # still never more than --concurrency
        (2, 8, 8, 2),  # nor more than the clusters
        (1, 8, 8, 0),
    ],
)
def test_workers_asked_for_replace_the_rule_of_cores(
    clusters: int, concurrency: int, asked: int, workers: int
) -> None:
    for cores in (1, 2, 8):
        assert fleet_workers(clusters, concurrency, cores, asked) == workers
