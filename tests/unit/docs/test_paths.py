"""Every file a page points at is there: relative links, and the repository paths the pages
quote (``bench/scan_files.py``, ``deploy/chart/crds/``, ``tests/fixtures/...``)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
TOP = r"(?:bench|scripts|src|tests|deploy|docs|\.ci)/"


def test_every_relative_link_reaches_a_file() -> None:
    broken = []
    for page in PAGES:
        for target in re.findall(r"\]\(([^)\s]+)\)", page.read_text(encoding="utf-8")):
            path = target.split("#", 1)[0]
            if path and not re.match(r"[a-z]+:", path) and not (page.parent / path).exists():
                broken.append(f"{page.name}: {target}")
    assert not broken, "\n".join(broken)


def test_every_quoted_repository_path_exists() -> None:
    missing = []
    for page in PAGES:
        for span in re.findall(r"`([^`\n]+)`", page.read_text(encoding="utf-8")):
            for path in re.findall(rf"(?:^|[\s=(])({TOP}[\w./-]+)", span):
                if not re.search(r"[<{*]|\.\.\.", path) and not (ROOT / path.rstrip(".")).exists():
                    missing.append(f"{page.name}: {path}")
    assert not missing, "\n".join(missing)
