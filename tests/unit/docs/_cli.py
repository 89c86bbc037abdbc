"""What the docs tests read from the CLI: every command loaded, every option with its path."""

from __future__ import annotations

from collections.abc import Iterator

import click

from kubecurrent.cli._app import _register, root


def every_option() -> Iterator[tuple[list[str], click.Option]]:
    """(command path, option) of every option with a long flag, on every command."""
    _register()
    pending: list[tuple[list[str], click.Command]] = [([], root)]
    while pending:
        path, command = pending.pop()
        for param in command.params:
            if isinstance(param, click.Option) and any(o.startswith("--") for o in param.opts):
                yield path, param
        if isinstance(command, click.Group):
            pending += [([*path, name], sub) for name, sub in command.commands.items()]
