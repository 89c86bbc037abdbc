"""Every way a rollout drive can end has one exit code, and the documented ones match."""

from __future__ import annotations

from kubecurrent.cli import rollout as rollout_cli
from kubecurrent.rollout import DriveOutcome


def test_every_drive_outcome_has_its_documented_exit_code() -> None:
    assert set(rollout_cli.EXIT) == set(DriveOutcome)
    assert rollout_cli.EXIT == {
        DriveOutcome.DONE: 0,
        DriveOutcome.DONE_WITH_FAILURES: 1,
        DriveOutcome.WAITING_APPROVAL: 3,
        DriveOutcome.PAUSED: 3,
        DriveOutcome.HALTED: 4,
        DriveOutcome.ABORTED: 4,
    }
    doc = rollout_cli.__doc__ or ""
    assert "0 the rollout is done" in doc and "3 it stopped for a person" in doc
    assert "4 it halted" in doc
