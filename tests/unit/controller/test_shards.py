"""Clusters hash to shards stably and evenly; replicas converge on fair shares."""

from __future__ import annotations

import collections

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubecurrent.controller._shards import fair_share, shard_of, to_give_back, to_take


def test_a_cluster_hashes_to_the_same_shard_in_every_process() -> None:
    # The value is fixed by sha256, whatever the Python hash seed, so replicas started at
    # different times agree; computed independently with `printf fleet/prod-eu-1 | sha256sum`.
    # First 8 bytes e541d5ce1ffb86d6, big-endian, mod 16 and mod 1000.
    assert shard_of("fleet", "prod-eu-1", 16) == 6
    assert shard_of("fleet", "prod-eu-1", 1000) == 998
    assert shard_of("fleet", "prod-eu-1", 1) == 0
    first = [shard_of("fleet", f"c{i}", 16) for i in range(50)]
    assert first == [shard_of("fleet", f"c{i}", 16) for i in range(50)]


def test_the_namespace_is_part_of_the_key() -> None:
    pairs = [(shard_of("a", f"c{i}", 64), shard_of("b", f"c{i}", 64)) for i in range(200)]
    assert sum(x != y for x, y in pairs) > 150


def test_a_thousand_clusters_spread_evenly_over_sixteen_shards() -> None:
    counts = collections.Counter(shard_of("fleet", f"cluster-{i:04d}", 16) for i in range(1000))
    assert set(counts) == set(range(16))
    assert max(counts.values()) < 1000 / 16 * 1.5
    assert min(counts.values()) > 1000 / 16 * 0.5


def test_zero_shards_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        shard_of("fleet", "c", 0)


@pytest.mark.parametrize(
    ("shards", "replicas", "share"), [(16, 1, 16), (16, 2, 8), (16, 3, 6), (16, 0, 16), (4, 8, 1)]
)
def test_fair_share(shards: int, replicas: int, share: int) -> None:
    assert fair_share(shards, replicas) == share


def test_a_replica_takes_the_lowest_free_shards_up_to_its_share() -> None:
    assert to_take({0, 1}, [5, 3, 1, 7], 4) == [3, 5]
    assert to_take({0, 1, 2, 3}, [5, 6], 4) == []


def test_a_replica_gives_back_its_highest_shards_beyond_its_share() -> None:
    assert to_give_back({0, 4, 9, 12}, 2) == [12, 9]
    assert to_give_back({0, 4}, 2) == []


@given(st.integers(1, 64), st.integers(1, 8))
def test_taking_then_giving_back_converges_to_a_cover_of_every_shard(
    shards: int, replicas: int
) -> None:
    held: list[set[int]] = [set() for _ in range(replicas)]
    held[0] = set(range(shards))  # the first replica started alone and took everything
    share = fair_share(shards, replicas)
    for _ in range(replicas + 2):  # rounds, each replica in turn
        for mine in held:
            for shard in to_give_back(mine, share):
                mine.discard(shard)
            taken = set().union(*held)
            free = [s for s in range(shards) if s not in taken]
            mine.update(to_take(mine, free, share))
    assert sorted(s for mine in held for s in mine) == list(range(shards))
    assert all(len(mine) <= share for mine in held)


def test_a_shard_with_a_cluster_running_is_not_given_back_until_it_is_done() -> None:
    assert to_give_back({0, 1, 2, 3}, 2) == [3, 2]
    assert to_give_back({0, 1, 2, 3}, 2, keep={3}) == [2, 1]
    assert to_give_back({0, 1}, 0, keep={0, 1}) == []
