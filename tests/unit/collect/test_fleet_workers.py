"""How many worker processes a fleet collection gets (the collection itself is tested against
sandboxes in tests/integration/cluster/test_fleet_workers.py)."""

from __future__ import annotations

import pytest

from kubecurrent.collect.cluster import fleet_workers


@pytest.mark.parametrize(
    ("clusters", "concurrency", "cores", "workers"),
    [
        (1, 8, 2, 0),  # one cluster: nothing to share the cores with
        (2, 8, 1, 0),  # one core: processes would only add their cost
        (5, 8, 2, 5),  # one worker per cluster read at the same time
        (5, 3, 2, 3),  # never more clusters at once than --concurrency
        (1000, 8, 4, 8),
    ],
)
def test_workers_follow_clusters_concurrency_and_cores(
    clusters: int, concurrency: int, cores: int, workers: int
) -> None:
    assert fleet_workers(clusters, concurrency, cores) == workers
