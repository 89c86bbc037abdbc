"""When the lead replica writes a member's probe result: only what changed, and a heartbeat."""

from __future__ import annotations

import datetime as dt

import pytest

from kubecurrent.controller._probe import Probe, changed, status_of

pytestmark = pytest.mark.unit

T0 = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)
UP = Probe(True, "Reached", "https://eu:6443 answered", "1.36.2", "sandbox")
DOWN = Probe(False, "Unreachable", "https://eu:6443: connection refused")


def later(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def test_an_unchanged_probe_is_not_written_until_the_refresh_is_due() -> None:
    old = status_of(UP, {}, T0)
    assert not changed(status_of(UP, old, later(60)), old, refresh=600)
    assert not changed(status_of(UP, old, later(599)), old, refresh=600)
    assert changed(status_of(UP, old, later(600)), old, refresh=600)


def test_any_change_but_the_probe_time_is_written_at_once() -> None:
    old = status_of(UP, {}, T0)
    newer = Probe(True, "Reached", UP.message, "1.37.0", "sandbox")
    assert changed(status_of(newer, old, later(60)), old, refresh=600)
    assert changed(status_of(DOWN, old, later(60)), old, refresh=600)
    moved = Probe(True, "Reached", "https://eu-2:6443 answered", "1.36.2", "sandbox")
    assert changed(status_of(moved, old, later(60)), old, refresh=600)


def test_an_unreachable_member_keeps_its_version_and_is_not_rewritten_each_round() -> None:
    up = status_of(UP, {}, T0)
    down = status_of(DOWN, up, later(60))
    assert "version" not in down  # the merge keeps the version last seen
    recorded = {**up, **down}
    assert not changed(status_of(DOWN, recorded, later(120)), recorded, refresh=600)


def test_a_status_without_a_readable_probe_time_is_written() -> None:
    old = {k: v for k, v in status_of(UP, {}, T0).items() if k != "lastProbeTime"}
    assert changed(status_of(UP, old, later(1)), old, refresh=600)
    assert changed(status_of(UP, old, later(1)), {**old, "lastProbeTime": "yesterday"}, 600)
