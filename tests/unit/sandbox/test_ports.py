"""Sandbox ports come from below the kernel's ephemeral range, so a restarted component can bind
its port again (an outgoing connection never takes it meanwhile)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from kubecurrent.sandbox import _launch

pytestmark = pytest.mark.unit


def _range(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    f = tmp_path / "ip_local_port_range"
    f.write_text(text)
    monkeypatch.setattr(_launch, "_PORT_RANGE", f)


def test_ports_are_distinct_and_below_the_ephemeral_range(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _range(tmp_path, monkeypatch, "23000\t60999\n")
    ports = _launch.free_ports(5)
    assert len(set(ports)) == 5
    assert all(20000 <= p < 23000 for p in ports)


def test_a_port_in_use_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _range(tmp_path, monkeypatch, "23000 60999")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        # two ports free right now (a sandbox of the same test session, or a connection in
        # TIME_WAIT after one stopped, can hold any fixed port of the range)
        free = [p for p in range(21001, 22000) if _launch._bindable(p)][:2]
        tries = iter([busy, *free])

        class Picks:
            def randrange(self, start: int, stop: int) -> int:
                return next(tries)

        monkeypatch.setattr(_launch.random, "SystemRandom", Picks)
        assert _launch.free_ports(2) == free


def test_an_unreadable_or_narrow_range_falls_back_to_safe_choices(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_launch, "_PORT_RANGE", tmp_path / "missing")
    assert _launch._ephemeral_start() == 32768
    _range(tmp_path, monkeypatch, "20500 60999")  # too little room below: the kernel chooses
    ports = _launch.free_ports(3)
    assert len(set(ports)) == 3 and all(p > 0 for p in ports)
