"""Rendering command results as a table (rich) or as JSON/YAML for scripts.

rich is imported when a table is drawn and PyYAML when YAML is written, so that JSON output
starts fast."""

from __future__ import annotations

import io
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
import msgspec

from kubecurrent.display import visible_line

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

UNBOUNDED = 100_000
"""Console width that never makes a table fold."""


def console() -> Console:
    """Standard output; when it is not a terminal, wide enough that tables do not wrap."""
    import shutil

    from rich.console import Console

    width = None if sys.stdout.isatty() else shutil.get_terminal_size((200, 24)).columns
    return Console(highlight=False, soft_wrap=False, width=width)


def emit(output: str, data: Any, table: Callable[[], Table | str] | None = None) -> None:
    """Print ``data`` in the chosen format; ``table`` renders the human view."""
    if output == "json":
        click.echo(to_json(data))
    elif output == "yaml":
        import yaml

        click.echo(yaml.safe_dump(data, sort_keys=False, default_flow_style=False), nl=False)
    elif table is not None:
        console().print(table())
    else:
        import yaml

        click.echo(yaml.safe_dump(data, sort_keys=False), nl=False)


def to_json(data: Any) -> str:
    """``json.dumps(data, indent=2, default=str)``, byte for byte, at C speed: the standard
    library only uses its C encoder without ``indent``, so the compact text is indented after.
    Text msgspec will not read (``Infinity`` and ``NaN``, which are not JSON) goes the slow way."""
    compact = json.dumps(data, default=str)
    try:
        return msgspec.json.format(compact, indent=2)
    except msgspec.DecodeError:
        return json.dumps(data, indent=2, default=str)


def typed_json(data: Any) -> str:
    """``to_json(data)``, byte for byte, written by msgspec alone (see ``typed_json_bytes``)."""
    return typed_json_bytes(data).decode()


def typed_json_bytes(data: Any, careful: Callable[[], Any] | None = None) -> bytes:
    """``to_json`` of the data, byte for byte and encoded, written by msgspec alone (no
    standard-library encoder pass), for data built from ``str``, ``int``, ``bool``, None, lists,
    dicts and msgspec records: no floats, which the two may write differently. msgspec escapes
    strings as the standard library does except non-ASCII text and DEL (``\\u007f``), which it
    leaves as they are: output holding any such byte, or data msgspec cannot encode, is written
    by ``to_json`` instead, of ``careful()`` when given (the same data as plain values, for data
    holding records) or of ``data``."""
    try:
        fast: bytes | None = msgspec.json.encode(data)
    except TypeError:
        fast = None
    if fast is None or not fast.isascii() or b"\x7f" in fast:
        return to_json(data if careful is None else careful()).encode()
    return msgspec.json.format(fast, indent=2)


def cell(value: object) -> Text:
    """A table cell (or title) from data: plain text, never markup, control characters and
    newlines shown as escapes (``display.visible_line``); None is an empty cell.

    Every table kubecurrent prints builds its cells here, so a name from a manifest or a
    cluster holding ``[red]`` keeps its brackets and one holding an ESC sequence cannot drive
    the terminal."""
    from rich.text import Text

    return Text("" if value is None else visible_line(str(value)))


def simple_table(
    columns: Sequence[str], rows: Sequence[Sequence[Any]], title: str | None = None
) -> Table:
    """A kubectl-like table: upper-case headers, no borders; cells and title are ``cell``s."""
    from rich.table import Table

    t = Table(title=cell(title) if title else None, box=None, header_style="bold", pad_edge=False)
    for col in columns:
        t.add_column(col.upper())
    for row in rows:
        t.add_row(*(cell(v) for v in row))
    return t


def text_table(
    columns: Sequence[str], rows: Sequence[Sequence[str]], headers: bool = True
) -> Table:
    """A kubectl-like table of ``cell``s that are never cut: a cell too long for the terminal
    wraps onto more lines."""
    from rich.table import Table

    t = Table(box=None, header_style="bold", pad_edge=False, show_header=headers)
    for col in columns:
        t.add_column(col.upper(), overflow="fold")
    for row in rows:
        t.add_row(*(cell(v) for v in row))
    return t


def print_rows(
    columns: Sequence[str], rows: Sequence[Sequence[str]], headers: bool, wrap: bool
) -> None:
    """``print_unbounded(text_table(columns, rows, headers), wrap)``, the same characters; where
    each row goes on one line (a pipe, a CI log, a pre-commit hook, or no ``wrap``) and every
    cell is printable ASCII, laid out here (``plain_rows``) without loading rich."""
    if not (wrap and sys.stdout.isatty()):
        plain = plain_rows(columns, rows, headers)
        if plain is not None:
            click.echo(plain)
            return
    print_unbounded(text_table(columns, rows, headers), wrap)


def plain_rows(columns: Sequence[str], rows: Sequence[Sequence[str]], headers: bool) -> str | None:
    """The lines ``print_unbounded`` writes for ``text_table(columns, rows, headers)`` printed
    one row a line: each column as wide as its widest cell, two blanks between columns, no
    trailing blanks. None when a cell or header is not printable ASCII (rich measures other
    characters by their width on a terminal) or a header holds markup brackets."""
    head = [c.upper() for c in columns]
    table = [[visible_line(str(v)) if v is not None else "" for v in row] for row in rows]
    if headers:
        table.insert(0, head)
    if any("[" in h for h in head) or not all(
        c.isascii() and c.isprintable() for row in table for c in row
    ):
        return None
    widths = [
        max((len(row[i]) for row in table if i < len(row)), default=0) for i in range(len(head))
    ]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)).rstrip() for row in table
    )


def print_unbounded(renderable: Table | str, wrap: bool) -> None:
    """Print to standard output: on a terminal and with ``wrap``, wrapped to its width (cells
    fold, never cut); otherwise (``-o wide``, pipes) each row on one line, as wide as its
    content, without trailing blanks."""
    from rich.console import Console

    if wrap and sys.stdout.isatty():
        Console(highlight=False, soft_wrap=False).print(renderable)
        return
    out = Console(highlight=False, width=UNBOUNDED, file=io.StringIO(), color_system=None)
    with out.capture() as captured:
        out.print(renderable)
    click.echo("\n".join(line.rstrip() for line in captured.get().splitlines()))


def scan_root(paths: Sequence[str]) -> Path | None:
    """The directory the scanned paths have in common (each directory given, each file's
    parent); None when only standard input was scanned. Tables show paths relative to it."""
    from kubecurrent.analyze.report import absolute  # scans only: plan and others start lighter

    dirs = [absolute(p if Path(p).is_dir() else str(Path(p).parent)) for p in paths if p != "-"]
    return Path(os.path.commonpath(dirs)) if dirs else None
