"""Maintenance-window recurrences: the RRULE subset read, checked against dateutil's RFC 5545
implementation as an independent oracle, and what is refused with its reason."""

from __future__ import annotations

import datetime as dt

import pytest
from dateutil import rrule as oracle
from hypothesis import given, settings
from hypothesis import strategies as st

from kubecurrent.model.plan import Hold
from kubecurrent.model.recurrence import Recurrence, RecurrenceError, WeekdayNum

_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@st.composite
def rules(draw: st.DrawFn) -> str:
    freq = draw(st.sampled_from(["DAILY", "WEEKLY", "MONTHLY"]))
    parts = [f"FREQ={freq}"]
    if draw(st.booleans()):
        parts.append(f"INTERVAL={draw(st.integers(1, 5))}")
    if freq == "WEEKLY" and draw(st.booleans()):
        days = draw(st.lists(st.sampled_from(_CODES), min_size=1, max_size=3, unique=True))
        parts.append("BYDAY=" + ",".join(days))
    if freq == "MONTHLY":
        shape = draw(st.sampled_from(["nth", "monthday", "setpos", "plain"]))
        if shape == "nth":
            nth = draw(st.lists(st.sampled_from([1, 2, 3, 4, -1, -2]), min_size=1, max_size=2))
            day = draw(st.sampled_from(_CODES))
            parts.append("BYDAY=" + ",".join(f"{n}{day}" for n in nth))
        elif shape == "monthday":
            days = draw(
                st.lists(st.sampled_from([1, 15, 28, 29, 30, 31, -1]), min_size=1, max_size=2)
            )
            parts.append("BYMONTHDAY=" + ",".join(map(str, days)))
        elif shape == "setpos":
            days = draw(st.lists(st.sampled_from(_CODES), min_size=1, max_size=2, unique=True))
            parts += ["BYDAY=" + ",".join(days), f"BYSETPOS={draw(st.sampled_from([1, 2, -1]))}"]
    return ";".join(parts)


@settings(max_examples=150, deadline=None)
@given(rule=rules(), first=st.dates(dt.date(2024, 1, 1), dt.date(2030, 12, 31)))
def test_the_days_a_rule_opens_on_are_rfc_5545s(rule: str, first: dt.date) -> None:
    recurrence = Recurrence.parse(rule)
    start = dt.datetime.combine(first, dt.time(2, 0))
    until = start + dt.timedelta(days=800)
    expected = {
        d.date() for d in oracle.rrulestr(rule, dtstart=start).between(start, until, inc=True)
    }
    ours = {
        first + dt.timedelta(days=n)
        for n in range(801)
        if recurrence.occurs_on(first + dt.timedelta(days=n), first)
    }
    assert ours == expected


@pytest.mark.parametrize(
    ("rule", "read"),
    [
        ("FREQ=DAILY", Recurrence(freq="daily")),
        (
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=SA",
            Recurrence(freq="weekly", interval=2, by_day=(WeekdayNum(day="sat"),)),
        ),
        (
            "freq=monthly;byday=1sa",
            Recurrence(freq="monthly", by_day=(WeekdayNum(day="sat", nth=1),)),
        ),
        (
            "FREQ=MONTHLY;BYDAY=-1SU",
            Recurrence(freq="monthly", by_day=(WeekdayNum(day="sun", nth=-1),)),
        ),
        (
            "FREQ=MONTHLY;BYSETPOS=1;BYDAY=SA,SU",
            Recurrence(
                freq="monthly",
                by_day=(WeekdayNum(day="sat"), WeekdayNum(day="sun")),
                by_set_pos=(1,),
            ),
        ),
        ("RRULE:FREQ=MONTHLY;BYMONTHDAY=-1", Recurrence(freq="monthly", by_month_day=(-1,))),
    ],
)
def test_rules_of_the_subset_are_read(rule: str, read: Recurrence) -> None:
    assert Recurrence.parse(rule) == read


@pytest.mark.parametrize(
    ("rule", "says"),
    [
        ("FREQ=WEEKLY;BYDAY=SA;COUNT=4", "COUNT is not enforced"),
        ("FREQ=DAILY;UNTIL=20270101T000000Z", "UNTIL is not enforced"),
        ("FREQ=YEARLY;BYMONTH=12", "BYMONTH is not enforced"),
        ("FREQ=HOURLY", "FREQ=HOURLY is not enforced"),
        ("BYDAY=SA", "FREQ=(missing)"),
        ("FREQ=WEEKLY;BYDAY=1SA", "ordinal weekday is enforced in monthly rules only"),
        ("FREQ=MONTHLY;BYDAY=6SA", "the ordinal must be 1..5"),
        ("FREQ=WEEKLY;BYDAY=SAT", "BYDAY=SAT is no weekday"),
        ("FREQ=WEEKLY;BYMONTHDAY=1", "FREQ=MONTHLY rules only"),
        ("FREQ=DAILY;INTERVAL=0", "INTERVAL=0 is not a number from 1"),
        ("FREQ=MONTHLY;BYMONTHDAY=32", "BYMONTHDAY=32 is not a number"),
        ("FREQ=WEEKLY;", "'' is no NAME=VALUE part"),
    ],
)
def test_rules_outside_the_subset_are_refused_naming_the_part(rule: str, says: str) -> None:
    with pytest.raises(RecurrenceError) as refused:
        Recurrence.parse(rule)
    assert says in str(refused.value)


def test_rules_say_in_words_when_they_open() -> None:
    assert Recurrence.parse("FREQ=MONTHLY;INTERVAL=3;BYDAY=-1SU").text() == (
        "every 3 months on last sun"
    )
    assert Recurrence.parse("FREQ=WEEKLY;INTERVAL=2;BYDAY=SA,SU").text() == (
        "every 2 weeks on sat, sun"
    )
    assert Recurrence.parse("FREQ=MONTHLY;BYMONTHDAY=1,-1").text() == "every month on day 1, last"


def test_a_window_without_an_offset_is_read_in_utc() -> None:
    naive = dt.datetime(2026, 1, 3, 2, 0)
    window = Hold(
        kind="window",
        source="GKE maintenance window (FREQ=MONTHLY;BYDAY=1SA)",
        start=naive,
        end=naive + dt.timedelta(hours=4),
        recurrence=Recurrence.parse("FREQ=MONTHLY;BYDAY=1SA"),
    )
    after = dt.datetime(2026, 11, 10, tzinfo=dt.UTC)
    assert window.openings(after, 31) == [dt.datetime(2026, 12, 5, 2, 0, tzinfo=dt.UTC)]
    assert window.opening_before(dt.datetime(2026, 12, 5, 5, 59, tzinfo=dt.UTC)) is not None
    assert window.opening_before(dt.datetime(2026, 12, 5, 6, 0, tzinfo=dt.UTC)) is None
