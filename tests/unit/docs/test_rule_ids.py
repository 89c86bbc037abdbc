"""The rule ids the pages name are the rules kubecurrent applies, and every rule is described on
some page: a renamed or new rule cannot leave the docs behind."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kubecurrent.analyze import RULES

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def named() -> dict[str, list[str]]:
    """Rule id -> the pages naming it (``KC-PROVIDER-*`` stands for a family, not an id)."""
    found: dict[str, list[str]] = {}
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for rule in re.findall(r"\bKC-[A-Z0-9-]*[A-Z0-9]\b(?!-\*)", text):
            found.setdefault(rule, []).append(page.name)
    return found


def test_every_rule_a_page_names_exists() -> None:
    ids = {rule.id for rule in RULES}
    unknown = {rule: pages for rule, pages in named().items() if rule not in ids}
    assert not unknown, f"no such rule: {unknown}"


def test_every_rule_is_described_on_a_page() -> None:
    assert {rule.id for rule in RULES} <= set(named())
