"""Maintenance windows and blackouts: open now, or when next."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from kubecurrent.rollout import Strategy, opening

BERLIN = ZoneInfo("Europe/Berlin")
STRATEGY = Strategy.model_validate(
    {
        "windows": [
            {
                "name": "nights",
                "select": {"env": "prod"},
                "days": ["mon", "tue", "wed", "thu"],
                "start": "22:00",
                "duration": "4h",
                "timezone": "Europe/Berlin",
            }
        ],
        "blackouts": [
            {
                "select": {"env": "prod"},
                "from": "2026-12-21",
                "to": "2027-01-05",
                "timezone": "Europe/Berlin",
                "reason": "year-end freeze",
            }
        ],
    }
)
PROD = {"env": "prod"}


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BERLIN)


def test_unselected_clusters_are_always_open() -> None:
    assert opening(STRATEGY, {"env": "dev"}, at(2026, 12, 25, 12)).open


def test_inside_a_window_and_past_midnight() -> None:
    assert opening(STRATEGY, PROD, at(2026, 11, 30, 22, 30)).open  # Monday night
    assert opening(STRATEGY, PROD, at(2026, 12, 1, 1, 59)).open  # still Monday's window
    assert not opening(STRATEGY, PROD, at(2026, 12, 1, 2, 0)).open  # it closed at 02:00


def test_closed_says_why_and_when_it_opens() -> None:
    gate = opening(STRATEGY, PROD, at(2026, 12, 4, 12))  # Friday: next is Monday 22:00
    assert not gate.open
    assert "outside maintenance window nights" in gate.reason
    assert gate.next_open == at(2026, 12, 7, 22)


def test_blackout_wins_and_the_next_opening_is_after_it() -> None:
    gate = opening(STRATEGY, PROD, at(2026, 12, 22, 23))  # a Tuesday night, inside the freeze
    assert not gate.open and gate.reason == "blackout: year-end freeze"
    assert gate.next_open == at(2027, 1, 5, 0)  # the freeze ends inside Monday's window


def test_daylight_saving_time_keeps_local_time() -> None:
    gate = opening(STRATEGY, PROD, at(2027, 3, 26, 12))  # Friday before the switch to CEST
    assert gate.next_open == at(2027, 3, 29, 22)
    assert gate.next_open is not None
    assert gate.next_open.utcoffset() == dt.timedelta(hours=2)
