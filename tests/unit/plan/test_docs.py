"""docs/planner.md's worked examples are the planner's current output, so they cannot rot."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[3]


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "gen_planner_docs", ROOT / "scripts" / "gen_planner_docs.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_worked_examples_match_the_planner(monkeypatch: pytest.MonkeyPatch) -> None:
    gen = _generator()
    monkeypatch.chdir(ROOT)
    text = gen.DOC.read_text(encoding="utf-8")
    examples = list(gen.BLOCK.finditer(text))
    assert len(examples) >= 3
    for match in examples:
        code, out = gen.run(match["args"])
        assert (code, out) == (int(match["code"]), match["out"]), (
            f"docs/planner.md example `{match['args']}` is stale: run scripts/gen_planner_docs.py"
        )
