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
CATALOG_EXTRA = click.option(
    "--catalog-extra",
    "extra",
    multiple=True,
    type=click.Path(dir_okay=False),
    help="Extra catalog file adding entries (repeatable; also KUBECURRENT_CATALOG_EXTRA).",
)
TODAY = click.option(
    "--today",
    type=click.DateTime(["%Y-%m-%d"]),
    help="The date latest-supported and end-of-life are judged on (default: today).",
)
