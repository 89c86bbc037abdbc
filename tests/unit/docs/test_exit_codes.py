"""The exit codes each page gives a command (beyond the scans' table in docs/exit-codes.md) are
the ones the command returns: each sentence's numbers are read and matched with the constants
the commands exit with, by what the sentence says the code means."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kubecurrent.cli import fix, gitops, plan, rehearse
from kubecurrent.cli._app import EXIT_ERROR, EXIT_OK, EXIT_USAGE
from kubecurrent.cli._clusters import EXIT_PARTIAL
from kubecurrent.cli.rollout import EXIT
from kubecurrent.rollout import DriveOutcome

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]


def codes(page: str, after: str) -> dict[int, str]:
    """Code -> what it means, from the sentence of ``page`` starting at ``after``: ``**0**
    done; ...`` or ``0 done, 1 none, ...``."""
    text = " ".join((ROOT / page).read_text(encoding="utf-8").split())
    sentence = text.split(after, 1)[1].split(". ", 1)[0]
    parts = re.split(r"(?:\*\*|`)?(?<![\d.])\b(\d)\b(?![\d.])(?:\*\*|`)?", sentence)
    return {
        int(code): meaning.strip(" ;,:*`")
        for code, meaning in zip(parts[1::2], parts[2::2], strict=True)
    }


def test_rollout_start_resume_approve() -> None:
    said = codes("docs/rollout.md", "Exit codes of `start`, `resume` and `approve`:")
    by_code = {
        EXIT[DriveOutcome.DONE]: "every cluster at the target",
        EXIT[DriveOutcome.DONE_WITH_FAILURES]: "some clusters failed",
        EXIT[DriveOutcome.WAITING_APPROVAL]: "an approval gate",
        EXIT[DriveOutcome.PAUSED]: "a pause",
        EXIT[DriveOutcome.HALTED]: "halted",
        EXIT[DriveOutcome.ABORTED]: "aborted",
        EXIT_USAGE: "bad usage",
    }
    assert set(said) == set(by_code)
    for code, words in by_code.items():
        assert words in said[code], (code, said[code])


def test_plan() -> None:
    said = codes("docs/planner.md", "- Exit codes:")
    assert set(said) == {EXIT_OK, plan.EXIT_BLOCKED, EXIT_PARTIAL, EXIT_USAGE}
    assert "blocked" in said[plan.EXIT_BLOCKED] and "could not be read" in said[EXIT_PARTIAL]


def test_rehearse_in_its_page_and_the_readme() -> None:
    said = codes("docs/rehearse.md", "Exit codes:")
    assert set(said) == {EXIT_OK, rehearse.EXIT_REFUSED, rehearse.EXIT_STOPPED, EXIT_USAGE}
    assert "refused" in said[rehearse.EXIT_REFUSED] and "stopped" in said[rehearse.EXIT_STOPPED]
    readme = codes("README.md", "per hop. Exit")
    assert (
        "refusals" in readme[rehearse.EXIT_REFUSED] and "stopped" in readme[rehearse.EXIT_STOPPED]
    )


def test_upgrade() -> None:
    said = codes("docs/upgrade.md", "Exit codes:")
    assert set(said) == {EXIT_OK, EXIT_ERROR, EXIT_USAGE} and "failed" in said[EXIT_ERROR]


def test_inventory() -> None:
    said = codes("docs/cluster-scan.md", "`inventory`:")
    assert said == {
        EXIT_OK: "all collected",
        EXIT_ERROR: "none",
        EXIT_USAGE: "bad usage",
        EXIT_PARTIAL: "partial",
    }


def test_fix_files_and_gitops_propose() -> None:
    said = codes("README.md", "`fix files`:")
    assert set(said) == {EXIT_OK, EXIT_ERROR, fix.EXIT_REFUSED} and "refused" in said[3]
    text = " ".join((ROOT / "docs" / "upgrade.md").read_text(encoding="utf-8").split())
    assert f"`gitops propose` still commits the other steps and exits {gitops.EXIT_REFUSED}" in text
