"""The root command, its kubectl-style global flags, the command registry, and error handling
for every command.

Every flag can also be set through the environment: ``KUBECURRENT_<FLAG>`` for global flags and
``KUBECURRENT_<COMMAND>_<SUBCOMMAND>_<FLAG>`` below them, named after the flag as typed
(``name_envvars``; click's auto_envvar_prefix alone would name it after the option's Python
parameter, which the user never sees).

Commands are loaded lazily: ``COMMANDS`` names each command's module and its one-line summary,
``kubecurrent --help`` lists the summaries without importing any command module, and a command's
module is imported only when that command runs (or its own ``--help`` is asked for). This module
imports nothing but click, so that every run starts fast.
"""

from __future__ import annotations

import importlib
import signal
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType
from typing import TYPE_CHECKING, TypeVar

import click

from kubecurrent.cli._options import CONTEXT, KUBECONFIG, OUTPUT_FORMATS
from kubecurrent.cli._options import GlobalOptions as GlobalOptions  # re-exported
from kubecurrent.cli._options import output_option as output_option  # re-exported
from kubecurrent.errors import KubecurrentError
from kubecurrent.gcpause import collector_paused, command_ends_process, end_process, keep_to_the_end

if TYPE_CHECKING:
    from rich.console import Console

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
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


@dataclass(frozen=True, slots=True)
class CommandEntry:
    """Where a command lives and the one line ``kubecurrent --help`` shows for it."""

    module: str
    attribute: str
    summary: str


COMMANDS: dict[str, CommandEntry] = {
    "version": CommandEntry("kubecurrent.cli.version", "version", "Print the kubecurrent version."),
    "demo": CommandEntry(
        "kubecurrent.cli.demo",
        "demo",
        "The whole story on a local sandbox fleet: up, seed, scan, plan, roll out, report.",
    ),
    "sandbox": CommandEntry(
        "kubecurrent.cli.sandbox",
        "sandbox",
        "Build and run local Kubernetes control planes for rehearsals, demos and tests.",
    ),
    "catalog": CommandEntry(
        "kubecurrent.cli.catalog",
        "catalog",
        "Show, check, export and update the catalog of versions, APIs, skew, add-ons and CVEs.",
    ),
    "plan": CommandEntry(
        "kubecurrent.cli.plan",
        "plan",
        "Plan the upgrade of every cluster to --target, each step with its reason.",
    ),
    "scan": CommandEntry(
        "kubecurrent.cli.scan",
        "scan_group",
        "Find what the target Kubernetes version will refuse.",
    ),
    "fix": CommandEntry(
        "kubecurrent.cli.fix",
        "fix_group",
        "Rewrite manifests for the target Kubernetes version.",
    ),
    "inventory": CommandEntry(
        "kubecurrent.cli.inventory",
        "inventory",
        "Collect a snapshot of each cluster: versions, node pools, add-ons, API usage, CRDs, ...",
    ),
    "upgrade": CommandEntry(
        "kubecurrent.cli.upgrade",
        "upgrade",
        "Upgrade one cluster to --target, step by step, each verified and health-gated.",
    ),
    "rehearse": CommandEntry(
        "kubecurrent.cli.rehearse",
        "rehearse",
        "Rehearse a cluster's upgrade on a local twin: its own objects through every hop.",
    ),
    "rollout": CommandEntry(
        "kubecurrent.cli.rollout",
        "rollout",
        "Upgrade a fleet in waves: canaries, soak, approvals, windows, failure budgets.",
    ),
    "gitops": CommandEntry(
        "kubecurrent.cli.gitops",
        "gitops_group",
        "Move add-ons by editing your GitOps repository (Argo CD, Flux, Chart.yaml, kustomize).",
    ),
    "serve": CommandEntry(
        "kubecurrent.cli.serve",
        "serve_command",
        "Serve the web dashboard: the fleet, each cluster's findings, and upgrade plans.",
    ),
    "controller": CommandEntry(
        "kubecurrent.cli.controller",
        "controller",
        "Run a controller replica: rollouts from FleetUpgrades in a management cluster.",
    ),
}
"""Every command: the one place its summary is written (shown by ``kubecurrent --help`` and as
the command's short help once loaded)."""


def load_command(name: str) -> click.Command:
    """Import the module of command ``name`` and return its command, summary applied.

    Importing builds only what lives until the process ends (modules, classes, functions): no
    collector pass runs meanwhile, and they are kept out of later ones (``gcpause``)."""
    entry = COMMANDS[name]
    with collector_paused():
        command = getattr(importlib.import_module(entry.module), entry.attribute)
    keep_to_the_end()
    if not isinstance(command, click.Command) or command.name != name:
        raise TypeError(f"{entry.module}.{entry.attribute} is not the click command {name!r}")
    command.short_help = entry.summary
    name_envvars(command, envvar_prefix(ENV_PREFIX, name))
    return command


ENV_PREFIX = "KUBECURRENT"


def envvar_prefix(parent: str, name: str) -> str:
    """The variable prefix of command ``name`` under ``parent``, as click's contexts make it."""
    return f"{parent}_{name.upper()}".replace("-", "_")


def flag_envvar(prefix: str, option: click.Option) -> str:
    """``<prefix>_<FLAG>``: the variable named after the option's first long flag."""
    flag = next((o for o in option.opts if o.startswith("--")), option.opts[0])
    return f"{prefix}_{flag.lstrip('-').upper()}".replace("-", "_")


def name_envvars(command: click.Command, prefix: str) -> None:
    """Let every option of ``command`` and its subcommands be set by ``<prefix>_<FLAG>``.

    An option that declares its variable (``KUBECURRENT_STATE``, one name for every command)
    keeps it; click still tries ``<prefix>_<PARAMETER>`` after the variable set here."""
    for param in command.params:
        if isinstance(param, click.Option) and param.allow_from_autoenv and not param.envvar:
            param.envvar = flag_envvar(prefix, param)
    if isinstance(command, click.Group):
        for sub_name, sub in command.commands.items():
            name_envvars(sub, envvar_prefix(prefix, sub_name))


class _Root(click.Group):
    """Loads commands from ``COMMANDS`` when they are used; turns KubecurrentError into
    ``error:``/``hint:`` lines and the error's exit code."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            self.add_command(load_command(cmd_name))
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list from the registry's summaries: no command module is imported."""
        rows = []
        for name in self.list_commands(ctx):
            loaded = self.commands.get(name)
            if loaded is not None and loaded.hidden:
                continue
            summary = COMMANDS[name].summary if name in COMMANDS else None
            if summary is None and loaded is not None:
                summary = loaded.get_short_help_str(formatter.width)
            rows.append((name, summary or ""))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except KubecurrentError as exc:
            _print_error(exc)
            ctx.exit(exc.exit_code)


def _print_error(exc: KubecurrentError) -> None:
    """``error:`` and ``hint:`` lines; the texts are data: never markup, controls escaped."""
    from rich.text import Text

    from kubecurrent.display import visible

    console = err_console()
    console.print(Text.assemble(("error:", "bold red"), " ", visible(exc.message)))
    if exc.hint:
        console.print(Text.assemble(("hint:", "bold"), " ", visible(exc.hint)))
    log_tail = getattr(exc, "log_tail", "")
    if log_tail:
        console.print("--- last lines of its log ---", markup=False)
        console.print(visible(log_tail), markup=False, highlight=False)


@click.group(
    cls=_Root,
    context_settings={"help_option_names": ["-h", "--help"], "auto_envvar_prefix": "KUBECURRENT"},
)
@KUBECONFIG
@CONTEXT
@output_option(*OUTPUT_FORMATS)
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    allow_from_autoenv=False,  # KUBECURRENT_VERSION=1.36 must not end every command
    callback=lambda ctx, _, value: _print_version(ctx) if value else None,
    help="Show the version and exit.",
)
@click.pass_context
def root(ctx: click.Context) -> None:
    """Keep fleets of Kubernetes clusters current without breaking what runs on them."""
    ctx.ensure_object(GlobalOptions)


def _print_version(ctx: click.Context) -> None:
    from kubecurrent._version import __version__

    click.echo(f"kubecurrent, version {__version__}")
    ctx.exit()


def _register() -> None:
    """Load every command now (tests and documentation walk the whole tree)."""
    for name in COMMANDS:
        root.get_command(click.Context(root), name)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point (exits the process with the documented exit code).

    Run on the process's own command line (no ``argv``), the process ends as soon as the
    command has, and what it built is never freed one by one (``gcpause``); with ``argv`` (a
    test, a program embedding the CLI) the ``SystemExit`` is raised to the caller, whose
    process goes on with a normal collector."""
    if argv is None:
        command_ends_process()
    try:
        root.main(args=argv, prog_name="kubecurrent")
    except SystemExit as exc:
        if argv is None:
            end_process(exc.code)
        raise


if __name__ == "__main__":  # pragma: no cover
    main()
