"""The root command, its kubectl-style global flags, and error handling for every command.

Every flag can also be set through the environment: ``KUBECURRENT_<FLAG>`` for global flags and
``KUBECURRENT_<COMMAND>_<SUBCOMMAND>_<FLAG>`` below them (click's auto_envvar_prefix).
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from types import FrameType
from typing import TypeVar

import click
from rich.console import Console

from kubecurrent._version import __version__
from kubecurrent.cli._options import CONTEXT, KUBECONFIG, OUTPUT_FORMATS
from kubecurrent.cli._options import GlobalOptions as GlobalOptions  # re-exported
from kubecurrent.cli._options import output_option as output_option  # re-exported
from kubecurrent.errors import KubecurrentError

FC = TypeVar("FC", bound=Callable[..., object])

# Documented exit codes (README "Exit codes").
EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2


def interruptible() -> None:
    """Ctrl-C and SIGTERM interrupt, so that a half-started sandbox is always cleaned up.

    SIGINT is set explicitly: a process started in the background by a non-interactive shell
    inherits SIGINT as ignored, and Python then never raises KeyboardInterrupt.
    """

    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, signal.default_int_handler)


def err_console() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


class _Root(click.Group):
    """Turns KubecurrentError into ``error:``/``hint:`` lines and the error's exit code."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except KubecurrentError as exc:
            console = err_console()
            console.print(f"[bold red]error:[/] {exc.message}", markup=True, highlight=False)
            if exc.hint:
                console.print(f"[bold]hint:[/] {exc.hint}", markup=True, highlight=False)
            log_tail = getattr(exc, "log_tail", "")
            if log_tail:
                console.print("--- last lines of its log ---", markup=False)
                console.print(log_tail, markup=False, highlight=False)
            ctx.exit(exc.exit_code)


@click.group(
    cls=_Root,
    context_settings={"help_option_names": ["-h", "--help"], "auto_envvar_prefix": "KUBECURRENT"},
)
@KUBECONFIG
@CONTEXT
@output_option(*OUTPUT_FORMATS)
@click.version_option(__version__, "--version", prog_name="kubecurrent")
@click.pass_context
def root(ctx: click.Context) -> None:
    """Keep fleets of Kubernetes clusters current without breaking what runs on them."""
    ctx.ensure_object(GlobalOptions)


def _register() -> None:
    # One line per command module; each module is independent of the others.
    from kubecurrent.cli import (
        catalog,
        demo,
        fix,
        gitops,
        inventory,
        plan,
        rollout,
        sandbox,
        scan,
        serve,
        upgrade,
        version,
    )

    for command in (
        version.version,
        demo.demo,
        sandbox.sandbox,
        catalog.catalog,
        plan.plan,
        scan.scan_group,
        fix.fix_group,
        inventory.inventory,
        upgrade.upgrade,
        rollout.rollout,
        gitops.gitops_group,
        serve.serve_command,
    ):
        root.add_command(command)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point (exits the process with the documented exit code)."""
    _register()
    root.main(args=argv, prog_name="kubecurrent")


if __name__ == "__main__":  # pragma: no cover
    main()
