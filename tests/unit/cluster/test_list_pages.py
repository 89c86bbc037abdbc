"""Which lists are read whole after their first page: more objects remain, the server counted
them, and their estimated size fits the budget."""

from __future__ import annotations

import pytest

from kubecurrent.collect.cluster._api import WHOLE_LIST_BYTES, _Listed, _small

pytestmark = pytest.mark.unit


def _first(
    items: int, remaining: int | None, next_page: str | None = "token"
) -> _Listed[list[int]]:
    return _Listed(list(range(items)), next_page, remaining)


def test_a_counted_list_that_fits_the_budget_is_read_whole() -> None:
    assert _small(500 * 500, _first(500, 5_500))  # 500 B an object, 6,000 objects: 3 MB


def test_a_list_beyond_the_budget_is_paginated() -> None:
    per_object = 500
    fits = WHOLE_LIST_BYTES // per_object
    assert _small(per_object * 500, _first(500, fits - 500))
    assert not _small(per_object * 500, _first(500, fits - 500 + 1))


@pytest.mark.parametrize(
    ("first", "why"),
    [
        (_first(3, None, None), "the first page was the whole list"),
        (_first(500, None), "no count (a label selector, or a server that does not count)"),
        (_first(500, 0), "nothing remains"),
        (_first(0, 10), "an empty first page gives no size to estimate from"),
    ],
)
def test_no_second_read_without_a_counted_rest(first: _Listed[list[int]], why: str) -> None:
    assert not _small(1_000, first), why
