"""``kubecurrent version``."""

from __future__ import annotations

import json
import platform

import click

from kubecurrent._version import __version__
from kubecurrent.cli._app import GlobalOptions, output_option


@click.command()
@output_option()
@click.pass_obj
def version(opts: GlobalOptions) -> None:
    """Print the kubecurrent version."""
    if opts.output == "json":
        click.echo(json.dumps({"version": __version__, "python": platform.python_version()}))
    else:
        click.echo(f"kubecurrent {__version__}")
