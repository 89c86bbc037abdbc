"""Exit codes of the scans, in one place.

The ``--help`` of ``scan files`` and ``scan cluster`` and the table in ``docs/exit-codes.md``
are made from ``MEANINGS`` (a test compares the page with ``markdown_table()``), so the
documentation cannot drift from what the commands return.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    ERROR = 1
    USAGE = 2
    DEPRECATED = 3
    REMOVED = 4
    PARTIAL = 5
    FINDINGS_AND_UNREADABLE = 6


MEANINGS: dict[ExitCode, str] = {
    ExitCode.OK: "clean: nothing at or above --fail-on, every input read",
    ExitCode.ERROR: "some inputs could not be read or rendered (or a cluster could not be "
    "checked), and nothing reached --fail-on",
    ExitCode.USAGE: "bad usage: an unknown flag, a bad value",
    ExitCode.DEPRECATED: "deprecated APIs found (only with --fail-on deprecated), every input read",
    ExitCode.REMOVED: "removed APIs found (scan cluster: also add-ons unsupported at the target, "
    "node pools out of skew), every input read",
    ExitCode.PARTIAL: "scan cluster only: some clusters could not be scanned at all (takes "
    "precedence over the others)",
    ExitCode.FINDINGS_AND_UNREADABLE: "findings at or above --fail-on AND some inputs could not "
    "be read: both need attention",
}
FILES_CODES = tuple(c for c in ExitCode if c is not ExitCode.PARTIAL)
CLUSTER_CODES = tuple(ExitCode)


def scan_exit_code(removed: int, deprecated: int, errors: int, fail_on: str) -> ExitCode:
    """The exit code of a scan with these counts under the ``--fail-on`` threshold."""
    found = (fail_on != "none" and removed > 0) or (fail_on == "deprecated" and deprecated > 0)
    if found and errors:
        return ExitCode.FINDINGS_AND_UNREADABLE
    if fail_on != "none" and removed:
        return ExitCode.REMOVED
    if found:
        return ExitCode.DEPRECATED
    return ExitCode.ERROR if errors else ExitCode.OK


def help_block(codes: Iterable[ExitCode]) -> str:
    """The "Exit codes" paragraph of a command's ``--help`` (click keeps it as written)."""
    lines = ["\b", "Exit codes:"]
    lines += [f"  {int(c)}  {MEANINGS[c]}" for c in codes]
    return "\n".join(lines)


def markdown_table() -> str:
    """The exit-code table of ``docs/exit-codes.md``."""
    rows = ["| Code | Meaning | scan files | scan cluster |", "|---|---|---|---|"]
    for code in ExitCode:
        files = "yes" if code in FILES_CODES else "-"
        rows.append(f"| {int(code)} | {MEANINGS[code]} | {files} | yes |")
    return "\n".join(rows) + "\n"
