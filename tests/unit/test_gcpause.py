"""The collector pause: off inside the block, back as it was after it, errors included."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from kubecurrent import gcpause
from kubecurrent.gcpause import collector_paused

pytestmark = pytest.mark.unit


@pytest.fixture(autouse=True)
def restore_collector() -> Iterator[None]:
    was = gc.isenabled()
    yield
    if was:
        gc.enable()
    else:
        gc.disable()


def test_the_collector_is_off_inside_and_on_again_after() -> None:
    gc.enable()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_an_error_inside_still_switches_it_back_on() -> None:
    gc.enable()
    with pytest.raises(KeyError), collector_paused():
        raise KeyError("x")
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off() -> None:
    gc.disable()
    with collector_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


@pytest.fixture
def unfrozen() -> Iterator[None]:
    yield
    gc.unfreeze()
    gcpause._command_ends_process = False


def test_a_command_run_in_process_leaves_nothing_frozen(unfrozen: None) -> None:
    # Tests and programs that run commands in their own process would never free frozen objects.
    before = gc.get_freeze_count()
    gcpause.keep_to_the_end()
    assert gc.get_freeze_count() == before


def test_the_console_script_freezes_what_lives_until_it_exits(unfrozen: None) -> None:
    kept = [[i] for i in range(1000)]  # containers the collector would otherwise walk again
    gcpause.command_ends_process()
    gcpause.keep_to_the_end()
    assert gc.get_freeze_count() >= len(kept)
