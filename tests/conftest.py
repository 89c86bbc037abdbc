"""Shared test set-up: every test is marked by its tier from the directory it lives in, and the
session keeps helm and kustomize output in its own render cache and rollouts in its own state
file, never the user's."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from kubecurrent.cachedir import RENDER_CACHE_ENV

STATE_ENV = "KUBECURRENT_STATE"
"""Where ``rollout``, ``serve`` and ``controller`` keep rollouts unless ``--state`` says."""

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


@pytest.fixture(scope="session", autouse=True)
def session_render_cache() -> Iterator[Path]:
    """This session's render cache (``$KUBECURRENT_RENDER_CACHE_DIR``, inherited by every
    kubecurrent process a test starts): scans run by tests never write to the user's, while
    the binaries built in the user's cache directory are still found."""
    saved = os.environ.get(RENDER_CACHE_ENV)
    with tempfile.TemporaryDirectory(prefix="kubecurrent-test-render-") as tmp:
        os.environ[RENDER_CACHE_ENV] = tmp
        try:
            yield Path(tmp)
        finally:
            if saved is None:
                os.environ.pop(RENDER_CACHE_ENV, None)
            else:
                os.environ[RENDER_CACHE_ENV] = saved


@pytest.fixture(scope="session", autouse=True)
def session_state_file() -> Iterator[Path]:
    """This session's rollout state file (``$KUBECURRENT_STATE``, inherited by every kubecurrent
    process a test starts): a command run without ``--state`` never creates or migrates the
    user's ``~/.local/state/kubecurrent/rollouts.db``."""
    saved = os.environ.get(STATE_ENV)
    with tempfile.TemporaryDirectory(prefix="kubecurrent-test-state-") as tmp:
        os.environ[STATE_ENV] = str(Path(tmp) / "rollouts.db")
        try:
            yield Path(tmp) / "rollouts.db"
        finally:
            if saved is None:
                os.environ.pop(STATE_ENV, None)
            else:
                os.environ[STATE_ENV] = saved
