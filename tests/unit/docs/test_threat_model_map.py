"""docs/threat-model.md maps each of issue #18's 27 defects to the tests that hold it: every row
is there, every test it names exists (pytest collects it), so the map cannot go stale."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]
PAGE = ROOT / "docs" / "threat-model.md"
DEFECTS = 27


def rows() -> dict[int, list[str]]:
    """Defect number -> the test node ids its row names."""
    section = PAGE.read_text(encoding="utf-8").split("## Regression map (issue #18)", 1)[1]
    found: dict[int, list[str]] = {}
    for line in section.splitlines():
        match = re.match(r"^\| (\d+) \| (.+) \| (.+) \|$", line)
        if match:
            found[int(match.group(1))] = re.findall(r"`(tests/[^`]+::[^`]+)`", match.group(3))
    return found


def collected(files: list[str]) -> set[str]:
    """Node ids pytest collects from ``files`` (parametrised ones with their ``[...]``)."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *files],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return {line for line in done.stdout.splitlines() if "::" in line}


def test_every_defect_has_a_row_naming_tests() -> None:
    found = rows()
    assert sorted(found) == list(range(1, DEFECTS + 1))
    assert all(found[n] for n in found), [n for n in found if not found[n]]


def test_every_test_the_map_names_exists() -> None:
    named = {node for nodes in rows().values() for node in nodes}
    ids = collected(sorted({node.split("::", 1)[0] for node in named}))
    missing = sorted(
        node for node in named if not any(i == node or i.startswith(node + "[") for i in ids)
    )
    assert missing == []


def test_a_row_naming_a_test_that_does_not_exist_would_fail() -> None:
    """The check above can fail: a misspelt test is not collected."""
    ids = collected(["tests/unit/test_textfile.py"])
    bogus = "tests/unit/test_textfile.py::test_that_was_never_written"
    assert (
        "tests/unit/test_textfile.py::test_write_atomic_keeps_the_mode_and_creates_new_files" in ids
    )
    assert bogus not in ids
