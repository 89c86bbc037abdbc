"""Recurrences of maintenance windows: the RFC 5545 RRULE subset the managed clouds use.

GKE gives a recurring maintenance window as an RRULE (RFC_URL) from the window's start; its
reference names FREQ=DAILY, FREQ=WEEKLY with BYDAY, and FREQ=MONTHLY with BYSETPOS and BYDAY
("the first weekend of every month") and refuses HOURLY, MINUTELY and SECONDLY (GKE_URL). AKS
planned maintenance (daily, weekly, absoluteMonthly, relativeMonthly) is the same subset written
in JSON. ``Recurrence`` holds that subset:

* ``FREQ`` DAILY, WEEKLY or MONTHLY; ``INTERVAL=n`` (default 1) counts days, weeks (weeks start
  on Monday, RFC 5545's default WKST) or months from the first occurrence's period;
* ``BYDAY`` plain weekdays (``SA,SU``), or in a monthly rule with an ordinal (``1SA`` the first
  Saturday, ``-1SU`` the last Sunday);
* ``BYMONTHDAY`` (monthly; ``-1`` the last day); a month without that day has no occurrence,
  as RFC 5545 says;
* ``BYSETPOS`` (monthly): the n-th (``-1`` the last) of the days the other parts select.

Any other part (COUNT, UNTIL, BYMONTH, BYHOUR, WKST...) or value raises ``RecurrenceError``
naming it: such a rule is not turned into a window rather than read wrongly.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["DAYS", "Day", "Frequency", "Recurrence", "RecurrenceError", "WeekdayNum"]

RFC_URL = "https://www.rfc-editor.org/rfc/rfc5545#section-3.3.10"
GKE_URL = (
    "https://cloud.google.com/kubernetes-engine/docs/reference/rest/v1/"
    "projects.locations.clusters#RecurringTimeWindow"
)

Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
DAYS: tuple[Day, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Frequency = Literal["daily", "weekly", "monthly"]
_RRULE_DAY: dict[str, Day] = dict(
    zip(("MO", "TU", "WE", "TH", "FR", "SA", "SU"), DAYS, strict=True)
)
_KNOWN = {"FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "BYSETPOS"}


class RecurrenceError(ValueError):
    """A recurrence outside the subset kubecurrent enforces; the message says which part."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class WeekdayNum(_Frozen):
    """A ``BYDAY`` entry: ``day``, and in a monthly rule which one of the month (``nth`` 1..5,
    -1..-5 from the end; 0 every one)."""

    day: Day
    nth: int = Field(default=0, ge=-5, le=5)

    def text(self) -> str:
        if self.nth == 0:
            return self.day
        ordinal = {1: "1st", 2: "2nd", 3: "3rd", -1: "last"}.get(self.nth, f"{self.nth}th")
        if self.nth < -1:
            ordinal = f"{-self.nth}th-last"
        return f"{ordinal} {self.day}"


class Recurrence(_Frozen):
    """Which days a window opens on, counted from the day of its first opening."""

    freq: Frequency
    interval: int = Field(default=1, ge=1)
    by_day: tuple[WeekdayNum, ...] = ()
    by_month_day: tuple[int, ...] = ()
    by_set_pos: tuple[int, ...] = ()

    @classmethod
    def parse(cls, rrule: str) -> Recurrence:
        """Read an RRULE (``FREQ=MONTHLY;BYDAY=1SA``); RecurrenceError for what is outside the
        subset (the module docstring)."""
        parts: dict[str, str] = {}
        for item in rrule.strip().removeprefix("RRULE:").split(";"):
            name, sep, value = item.partition("=")
            if not sep or not value:
                raise RecurrenceError(f"{item!r} is no NAME=VALUE part")
            parts[name.strip().upper()] = value.strip().upper()
        unknown = sorted(set(parts) - _KNOWN)
        if unknown:
            raise RecurrenceError(f"{', '.join(unknown)} is not enforced by kubecurrent")
        freq = parts.get("FREQ", "")
        if freq not in ("DAILY", "WEEKLY", "MONTHLY"):
            raise RecurrenceError(f"FREQ={freq or '(missing)'} is not enforced by kubecurrent")
        frequency: Frequency = "daily" if freq == "DAILY" else "weekly"
        if freq == "MONTHLY":
            frequency = "monthly"
        return cls(
            freq=frequency,
            interval=_number(parts, "INTERVAL", 1, 1000) if "INTERVAL" in parts else 1,
            by_day=tuple(_weekday(d, monthly=freq == "MONTHLY") for d in _list(parts, "BYDAY")),
            by_month_day=tuple(_int(v, "BYMONTHDAY", 31) for v in _list(parts, "BYMONTHDAY")),
            by_set_pos=tuple(_int(v, "BYSETPOS", 31) for v in _list(parts, "BYSETPOS")),
        ).checked()

    def checked(self) -> Recurrence:
        """Self, or RecurrenceError when parts do not fit the frequency."""
        if self.freq != "monthly" and (self.by_month_day or self.by_set_pos):
            raise RecurrenceError("BYMONTHDAY and BYSETPOS are enforced in FREQ=MONTHLY rules only")
        if self.freq == "daily" and self.by_day:
            raise RecurrenceError("BYDAY in a FREQ=DAILY rule is not enforced by kubecurrent")
        if self.by_set_pos and any(d.nth for d in self.by_day):
            raise RecurrenceError("BYSETPOS with an ordinal BYDAY is not enforced by kubecurrent")
        return self

    def occurs_on(self, day: dt.date, first: dt.date) -> bool:
        """Whether the window opens on ``day`` (both local dates of the window's time zone),
        ``first`` being the day of its first possible opening."""
        if day < first:
            return False
        if self.freq == "daily":
            return (day - first).days % self.interval == 0
        if self.freq == "weekly":
            weeks = (_monday(day) - _monday(first)).days // 7
            weekdays = {d.day for d in self.by_day} or {DAYS[first.weekday()]}
            return weeks % self.interval == 0 and DAYS[day.weekday()] in weekdays
        months = (day.year - first.year) * 12 + day.month - first.month
        return months % self.interval == 0 and day in self._month_days(day.year, day.month, first)

    def _month_days(self, year: int, month: int, first: dt.date) -> set[dt.date]:
        length = calendar.monthrange(year, month)[1]
        every = [dt.date(year, month, n) for n in range(1, length + 1)]
        chosen = every
        if self.by_month_day:
            wanted = {n if n > 0 else length + 1 + n for n in self.by_month_day}
            chosen = [d for d in chosen if d.day in wanted]
        if self.by_day:
            chosen = [d for d in chosen if any(_is(d, w, every) for w in self.by_day)]
        if not self.by_month_day and not self.by_day:
            chosen = [d for d in chosen if d.day == first.day]
        if self.by_set_pos:
            picked = {p - 1 if p > 0 else len(chosen) + p for p in self.by_set_pos}
            chosen = [d for i, d in enumerate(chosen) if i in picked]
        return set(chosen)

    def text(self) -> str:
        """``every 2 weeks on sat, sun`` / ``every month on the last sun``."""
        unit = {"daily": "day", "weekly": "week", "monthly": "month"}[self.freq]
        every = f"every {unit}" if self.interval == 1 else f"every {self.interval} {unit}s"
        on = []
        if self.by_month_day:
            on.append("day " + ", ".join("last" if n == -1 else str(n) for n in self.by_month_day))
        if self.by_day:
            on.append(", ".join(d.text() for d in self.by_day))
        pos = f" (position {', '.join(map(str, self.by_set_pos))})" if self.by_set_pos else ""
        return every + (" on " + " and ".join(on) if on else "") + pos


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _is(day: dt.date, want: WeekdayNum, month: list[dt.date]) -> bool:
    if DAYS[day.weekday()] != want.day:
        return False
    if want.nth == 0:
        return True
    same = [d for d in month if d.weekday() == day.weekday()]
    index = same.index(day)
    return index == want.nth - 1 if want.nth > 0 else index - len(same) == want.nth


def _list(parts: dict[str, str], name: str) -> list[str]:
    return [v.strip() for v in parts.get(name, "").split(",") if v.strip()]


def _int(value: str, name: str, limit: int) -> int:
    if not re.fullmatch(r"[+-]?\d+", value) or not 0 < abs(int(value)) <= limit:
        raise RecurrenceError(
            f"{name}={value} is not a number from 1 to {limit} (or -1 to -{limit})"
        )
    return int(value)


def _number(parts: dict[str, str], name: str, low: int, high: int) -> int:
    value = parts[name]
    if not value.isdigit() or not low <= int(value) <= high:
        raise RecurrenceError(f"{name}={value} is not a number from {low} to {high}")
    return int(value)


def _weekday(value: str, *, monthly: bool) -> WeekdayNum:
    found = re.fullmatch(r"([+-]?\d)?(MO|TU|WE|TH|FR|SA|SU)", value)
    if found is None:
        raise RecurrenceError(f"BYDAY={value} is no weekday (MO..SU, e.g. 1SA or -1SU)")
    nth = int(found.group(1) or 0)
    if nth and not monthly:
        raise RecurrenceError(
            f"BYDAY={value}: an ordinal weekday is enforced in monthly rules only"
        )
    if (nth == 0 and found.group(1)) or abs(nth) > 5:
        raise RecurrenceError(f"BYDAY={value}: the ordinal must be 1..5 or -1..-5")
    return WeekdayNum(day=_RRULE_DAY[found.group(2)], nth=nth)
