"""``kubectl kubecurrent``: the rollout commands as a kubectl plugin, on kubectl's context and
namespace.

kubectl runs the executable ``kubectl-kubecurrent`` found on ``PATH`` for ``kubectl kubecurrent
ARGS`` and passes ARGS as typed (kubectl itself refuses flags written before the plugin's name).
``-n/--namespace``, ``--context`` and ``--kubeconfig`` may stand anywhere in ARGS; without them
the plugin acts, as kubectl does, on the kubeconfig's current context and that context's
namespace (``default`` when it names none; the pod's own inside a cluster). The rest runs as
``kubecurrent rollout ARGS --state k8s://CONTEXT/NAMESPACE``: the same commands, not a copy.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import click

from kubecurrent.errors import KubecurrentError, UsageError

__all__ = ["COMMANDS", "PluginArgs", "kubectl_main", "split_args"]

COMMANDS = ("approve", "status", "pause", "resume", "abort", "report", "history", "list")
"""The ``kubecurrent rollout`` commands the plugin offers (``start`` needs a fleet file: use
``kubecurrent rollout start --state k8s://…``, or apply a FleetUpgrade)."""

_OWN = {"-n": "namespace", "--namespace": "namespace", "--context": "context"}
_OWN["--kubeconfig"] = "kubeconfig"
_VALUED = {"--note", "--wave", "--as", "--out", "-o", "--output"}
"""Options of the rollout commands whose value is passed on untouched (a note may read ``-n``)."""

USAGE = """\
Usage: kubectl kubecurrent COMMAND [ARGS] [-n NAMESPACE] [--context CONTEXT] [--kubeconfig FILE]

Rollouts kept in the management cluster's custom resources (docs/controller.md), in the
current context and namespace unless -n/--context/--kubeconfig say otherwise.

Commands (the same as `kubecurrent rollout COMMAND`; `kubectl kubecurrent COMMAND --help`):
  approve ROLLOUT [--wave W] [--note N]   approve a gated wave, then drive on
  status [ROLLOUT]                        waves, clusters and steps
  pause ROLLOUT | resume ROLLOUT | abort ROLLOUT
  report [ROLLOUT]                        the change record (markdown or html)
  history [ROLLOUT] | list
"""


@dataclass(frozen=True)
class PluginArgs:
    """The plugin's command line: where to act, and the rollout command with its arguments."""

    kubeconfig: str | None
    context: str | None
    namespace: str | None
    command: str | None
    rest: tuple[str, ...]


def split_args(argv: list[str]) -> PluginArgs:
    """Take ``-n``/``--namespace``/``--context``/``--kubeconfig`` (``--x V``, ``--x=V``,
    ``-nV``) from anywhere before ``--``; the first other word is the command."""
    own: dict[str, str] = {}
    command: str | None = None
    rest: list[str] = []
    args = iter(argv)
    for arg in args:
        name, eq, value = arg.partition("=")
        if arg == "--":
            rest += [arg, *args]
        elif arg in _OWN:
            own[_OWN[arg]] = _value(arg, next(args, None))
        elif eq and name in _OWN and name != "-n":
            own[_OWN[name]] = _value(name, value)
        elif arg.startswith("-n") and not arg.startswith("--") and len(arg) > 2:
            own["namespace"] = arg[2:].removeprefix("=")
        elif arg in _VALUED:
            rest += [arg, *([v] if (v := next(args, None)) is not None else [])]
        elif command is None and not arg.startswith("-"):
            command = arg
        else:
            rest.append(arg)
    return PluginArgs(
        own.get("kubeconfig"), own.get("context"), own.get("namespace"), command, tuple(rest)
    )


def _value(flag: str, value: str | None) -> str:
    if not value:
        raise UsageError(f"{flag} needs a value", hint=f"e.g. {flag} NAME")
    return value


def state_argv(args: PluginArgs) -> list[str]:
    """The ``kubecurrent`` command line the plugin runs (checks the CRDs on the way)."""
    if args.command not in COMMANDS:
        raise UsageError(
            f"kubectl kubecurrent: no command {args.command!r}"
            if args.command
            else "kubectl kubecurrent: name a command",
            hint=f"one of {', '.join(COMMANDS)}; `kubectl kubecurrent --help` says more",
        )
    if any(a == "--state" or a.startswith("--state=") for a in args.rest):
        raise UsageError(
            "kubectl kubecurrent acts on the cluster's rollouts: --state is not for it",
            hint="choose the cluster with --context and the namespace with -n; for a state "
            f"file, run `kubecurrent rollout {args.command} --state FILE`",
        )
    from kubecurrent.kubestate import context_namespace

    kubeconfig = Path(args.kubeconfig) if args.kubeconfig else None
    context = args.context or ""
    namespace = args.namespace or context_namespace(kubeconfig, context)
    state = f"k8s://{context}/{namespace}"
    cut = args.rest.index("--") if "--" in args.rest else len(args.rest)
    tail = [*args.rest[:cut], "--state", state, *args.rest[cut:]]
    head = ["--kubeconfig", args.kubeconfig] if args.kubeconfig else []
    return [*head, "rollout", args.command, *tail]


def kubectl_main(argv: list[str] | None = None) -> None:
    """Console-script entry point of ``kubectl-kubecurrent`` (exits with the command's code)."""
    from kubecurrent.cli._app import EXIT_OK, _print_error, root

    args = split_args(sys.argv[1:] if argv is None else argv)
    if args.command is None and any(a in ("-h", "--help") for a in args.rest):
        click.echo(USAGE, nl=False)
        sys.exit(EXIT_OK)
    try:
        line = state_argv(args)
    except KubecurrentError as exc:
        _print_error(exc)
        sys.exit(exc.exit_code)
    root.main(args=line, prog_name="kubectl kubecurrent")
