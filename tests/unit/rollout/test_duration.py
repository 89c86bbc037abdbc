"""Durations in a strategy: what people write, and refusals instead of crashes (issue #18)."""

from __future__ import annotations

import datetime as dt

import pytest

from kubecurrent.errors import UsageError
from kubecurrent.rollout import parse_strategy
from kubecurrent.rollout._duration import parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"), [("90s", 90), ("1h30m", 5400), ("2d", 172800), (45, 45), (1.5, 1.5)]
)
def test_written_durations(text: str | float, seconds: float) -> None:
    assert parse_duration(text) == dt.timedelta(seconds=seconds)


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("99999999999d", "more than 366 days"),  # overflowed timedelta before
        (float("nan"), "finite"),
        (float("inf"), "finite"),
        (-5, "not negative"),
        ("5x", "not a duration"),
    ],
)
def test_implausible_durations_are_refused(value: object, said: str) -> None:
    with pytest.raises(ValueError, match=said):
        parse_duration(value)


def test_a_strategy_with_an_overflowing_soak_is_an_error_naming_the_field() -> None:
    text = "waves:\n  - {name: all, soak: 99999999999d}\n"
    with pytest.raises(UsageError) as err:
        parse_strategy(text, "s.yaml")
    assert "waves.0.soak" in err.value.message and "366 days" in err.value.message
