#!/usr/bin/env python3
"""Regenerate the worked examples in docs/planner.md from the planner's real output.

Each example is a block::

    <!-- example: plan --fleet-spec docs/examples/planner/behind.yaml ... (exit 0) -->
    ```text
    ...output of `kubecurrent plan ...`...
    ```
    <!-- /example -->

Run ``.venv/bin/python scripts/gen_planner_docs.py`` after changing the planner or the catalog;
tests/unit/plan/test_docs.py fails while the document and the planner disagree.
"""

from __future__ import annotations

import re
import shlex
import sys
from pathlib import Path

from click.testing import CliRunner

from kubecurrent.cli._app import _register, root

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "planner.md"
BLOCK = re.compile(
    r"<!-- example: (?P<args>.+?) \(exit (?P<code>\d+)\) -->\n```text\n(?P<out>.*?)```\n<!-- /example -->",
    re.DOTALL,
)


def run(args: str) -> tuple[int, str]:
    """Exit code and output of ``kubecurrent <args>``, run from the repository root."""
    _register()
    result = CliRunner().invoke(root, shlex.split(args), catch_exceptions=False)
    return result.exit_code, result.output


def regenerate(text: str) -> str:
    def fill(match: re.Match[str]) -> str:
        code, out = run(match["args"])
        return (
            f"<!-- example: {match['args']} (exit {code}) -->\n```text\n{out}```\n<!-- /example -->"
        )

    return BLOCK.sub(fill, text)


def main() -> int:
    import os

    os.chdir(ROOT)
    text = DOC.read_text(encoding="utf-8")
    new = regenerate(text)
    if new != text:
        DOC.write_text(new, encoding="utf-8")
        print(f"updated {DOC.relative_to(ROOT)}")
    else:
        print(f"{DOC.relative_to(ROOT)} is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
