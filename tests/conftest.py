"""Shared test set-up: every test is marked by its tier from the directory it lives in."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

TESTS = Path(__file__).parent

# Every kubecurrent process a test starts prints each thread's stack if it crashes hard
# (SIGSEGV, SIGABRT, …), so a crash in CI says where it happened.
os.environ.setdefault("PYTHONFAULTHANDLER", "1")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        tier = Path(str(item.fspath)).relative_to(TESTS).parts[0]
        if tier in ("unit", "integration"):
            item.add_marker(getattr(pytest.mark, tier))
