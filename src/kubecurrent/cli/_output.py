"""Rendering command results as a table (rich) or as JSON/YAML for scripts.

rich is imported when a table is drawn, so that JSON and YAML output start fast."""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import click
import msgspec
import yaml

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table


def console() -> Console:
    """Standard output; when it is not a terminal, wide enough that tables do not wrap."""
    from rich.console import Console

    width = None if sys.stdout.isatty() else shutil.get_terminal_size((200, 24)).columns
    return Console(highlight=False, soft_wrap=False, width=width)


def emit(output: str, data: Any, table: Callable[[], Table | str] | None = None) -> None:
    """Print ``data`` in the chosen format; ``table`` renders the human view."""
    if output == "json":
        click.echo(to_json(data))
    elif output == "yaml":
        click.echo(yaml.safe_dump(data, sort_keys=False, default_flow_style=False), nl=False)
    elif table is not None:
        console().print(table())
    else:
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


def simple_table(
    columns: Sequence[str], rows: Sequence[Sequence[Any]], title: str | None = None
) -> Table:
    """A kubectl-like table: upper-case headers, no borders."""
    from rich.table import Table

    t = Table(title=title, box=None, header_style="bold", pad_edge=False)
    for col in columns:
        t.add_column(col.upper())
    for row in rows:
        t.add_row(*("" if v is None else str(v) for v in row))
    return t
