"""The root command, its kubectl-style global flags, and error handling for every command.

Every flag can also be set through the environment: ``KUBECURRENT_<FLAG>`` for global flags and
``KUBECURRENT_<COMMAND>_<SUBCOMMAND>_<FLAG>`` below them (click's auto_envvar_prefix).
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType
from typing import TypeVar

import click
from rich.console import Console

from kubecurrent._version import __version__
from kubecurrent.errors import KubecurrentError

OUTPUT_FORMATS = ("table", "wide", "json", "yaml")
FC = TypeVar("FC", bound=Callable[..., object])

# Documented exit codes (README "Exit codes").
EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2


@dataclass
class GlobalOptions:
    """What the global flags said; reachable from every command as ``ctx.obj``."""

    kubeconfig: str | None = None
    context: str | None = None
    output: str = "table"


def output_option(*formats: str) -> Callable[[FC], FC]:
    """``-o/--output`` on a subcommand too, as kubectl accepts it after the verb."""

    def remember(ctx: click.Context, _: click.Parameter, value: str | None) -> None:
        if value is not None:
            ctx.ensure_object(GlobalOptions).output = value

    return click.option(
        "-o",
        "--output",
        type=click.Choice(formats or OUTPUT_FORMATS),
        default=None,
        expose_value=False,
        callback=remember,
        help="Output format.",
    )


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
@click.option("--kubeconfig", type=click.Path(dir_okay=False), help="Path to a kubeconfig file.")
@click.option("--context", "context_name", help="The kubeconfig context to use.")
@click.option(
    "-o",
    "--output",
    type=click.Choice(OUTPUT_FORMATS),
    default="table",
    show_default=True,
    help="Output format (commands may accept more).",
)
@click.version_option(__version__, "--version", prog_name="kubecurrent")
@click.pass_context
def root(ctx: click.Context, kubeconfig: str | None, context_name: str | None, output: str) -> None:
    """Keep fleets of Kubernetes clusters current without breaking what runs on them."""
    ctx.obj = GlobalOptions(kubeconfig=kubeconfig, context=context_name, output=output)


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
