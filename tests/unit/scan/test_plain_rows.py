"""Tables printed one row a line (pipes, CI logs, pre-commit hooks) are laid out without rich,
character for character as rich lays them out, and rich is not loaded for them."""

from __future__ import annotations

import ast
import io
import subprocess
import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from kubecurrent.cli._output import UNBOUNDED, plain_rows, text_table

ascii_cell = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=12)
any_cell = st.text(max_size=8)


def _rich(columns: list[str], rows: list[list[str]], headers: bool) -> str:
    """What ``print_unbounded`` writes for the table when each row goes on one line."""
    out = Console(highlight=False, width=UNBOUNDED, file=io.StringIO(), color_system=None)
    with out.capture() as captured:
        out.print(text_table(columns, rows, headers))
    return "\n".join(line.rstrip() for line in captured.get().splitlines())


@st.composite
def tables(draw: st.DrawFn, cell: st.SearchStrategy[str]) -> tuple[list[str], list[list[str]]]:
    width = draw(st.integers(1, 5))
    columns = draw(
        st.lists(
            st.sampled_from(["status", "rule", "object", "location"]),
            min_size=width,
            max_size=width,
        )
    )
    rows = draw(st.lists(st.lists(cell, min_size=width, max_size=width), min_size=1, max_size=6))
    return columns, rows


@settings(max_examples=300, deadline=None)
@given(tables(ascii_cell), st.booleans())
def test_plain_ascii_rows_are_what_rich_prints(
    table: tuple[list[str], list[list[str]]], headers: bool
) -> None:
    columns, rows = table
    assert plain_rows(columns, rows, headers) == _rich(columns, rows, headers)


@settings(max_examples=300, deadline=None)
@given(tables(any_cell), st.booleans())
def test_other_text_is_left_to_rich_or_laid_out_the_same(
    table: tuple[list[str], list[list[str]]], headers: bool
) -> None:
    columns, rows = table  # wide, combining, control and markup characters among them
    plain = plain_rows(columns, rows, headers)
    assert plain is None or plain == _rich(columns, rows, headers)


def test_a_scan_into_a_pipe_prints_its_table_without_loading_rich(tmp_path: Path) -> None:
    (tmp_path / "ing.yaml").write_text(
        "apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata:\n  name: web\n"
    )
    code = (
        "import sys\nfrom kubecurrent.cli import main\n"
        "try:\n"
        f"    main(['scan', 'files', {str(tmp_path)!r}, '--target', '1.37'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('rich')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    *table, loaded = out.stdout.strip().splitlines()
    assert table[0].split() == ["STATUS", "RULE", "OBJECT", "LOCATION", "REPLACEMENT"]
    assert "extensions/v1beta1 Ingress web" in table[1]
    assert ast.literal_eval(loaded) == []
