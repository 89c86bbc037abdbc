"""Options shared by several commands, defined once."""

from __future__ import annotations

from pathlib import Path

import click

TIMEOUT = click.option(
    "--timeout",
    type=float,
    default=300.0,
    show_default=True,
    help="Seconds to wait for each component to become ready.",
)
FLEET_FILE = click.option(
    "--file",
    "path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Fleet file [default: the embedded demo fleet].",
)
