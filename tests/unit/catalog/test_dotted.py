"""Generic add-on versions and version ranges (property-based)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubecurrent.catalog import DottedVersion, VersionRange

pytestmark = pytest.mark.unit

parts = st.lists(st.integers(min_value=0, max_value=500), min_size=2, max_size=3)


def v(text: str) -> DottedVersion:
    return DottedVersion.parse(text)


@given(parts)
def test_parse_round_trips_with_or_without_v(nums: list[int]) -> None:
    text = ".".join(map(str, nums))
    assert str(v(text)) == text
    assert v("v" + text) == v(text)


def pad(n: list[int]) -> list[int]:
    return n + [0] * (3 - len(n))


@given(parts, parts)
def test_order_is_numeric(a: list[int], b: list[int]) -> None:
    assert (v(".".join(map(str, a))) < v(".".join(map(str, b)))) == (pad(a) < pad(b))


def test_two_and_three_parts_compare_and_prereleases_sort_first() -> None:
    assert v("1.14") == v("1.14.0") and v("1.9") < v("1.10")
    assert v("1.12.0-rc.1") < v("1.12.0") < v("1.12.1")


@given(parts, parts, parts)
def test_range_membership(a: list[int], b: list[int], x: list[int]) -> None:
    lo, hi = sorted([v(".".join(map(str, a))), v(".".join(map(str, b)))])
    rng = VersionRange.parse(f"{lo} - {hi}")
    probe = v(".".join(map(str, x)))
    assert (probe in rng) == (lo <= probe <= hi)
    assert VersionRange.parse(str(rng)) == rng


@given(parts, parts)
def test_open_ranges(a: list[int], x: list[int]) -> None:
    bound, probe = v(".".join(map(str, a))), v(".".join(map(str, x)))
    assert (probe in VersionRange.parse(f"< {bound}")) == (probe < bound)
    assert (probe in VersionRange.parse(f"<= {bound}")) == (probe <= bound)
    assert (probe in VersionRange.parse(f">= {bound}")) == (probe >= bound)
    assert probe in VersionRange.parse("*")


@pytest.mark.parametrize("text", ["1.2 -", "1.x", "latest", "2.0 - 1.0", "~1.2"])
def test_bad_ranges_are_rejected(text: str) -> None:
    with pytest.raises(ValueError):
        VersionRange.parse(text)
