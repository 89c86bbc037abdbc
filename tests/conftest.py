"""Shared test set-up: every test is marked by its tier from the directory it lives in."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

TESTS = Path(__file__).parent

# Every kubecurrent process a test starts prints each thread's stack if it crashes hard
# (SIGSEGV, SIGABRT, …), so a crash in CI says where it happened.
os.environ.setdefault("PYTHONFAULTHANDLER", "1")

# Property tests judge behaviour, not speed: on a loaded CI runner a slow example or a slow
# generator is not a failure. Each test's own @settings still choose its number of examples.
settings.register_profile(
    "kubecurrent", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("kubecurrent")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        tier = Path(str(item.fspath)).relative_to(TESTS).parts[0]
        if tier in ("unit", "integration"):
            item.add_marker(getattr(pytest.mark, tier))
