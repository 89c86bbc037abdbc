"""The runner options as command-line flags (``rollout``, ``serve``), and which of them a command
line sets; what they mean and how they are recorded is ``kubecurrent.runner``."""

from __future__ import annotations

from collections.abc import Callable

import click
from click.core import ParameterSource

from kubecurrent.cli._options import (
    ADDON_CHART,
    CATALOG_EXTRA,
    EKS_ADDON_CONFLICTS,
    EKS_FORCE,
    FC,
    TODAY,
    promql_options,
)
from kubecurrent.cli._types import SECONDS
from kubecurrent.runner import DEFAULTS, RUNNER_OPTIONS

__all__ = ["given", "runner_flags"]


def _seconds(flag: str, name: str, help_text: str) -> Callable[[FC], FC]:
    return click.option(
        flag, type=SECONDS, default=DEFAULTS[name], show_default=True, help=help_text
    )


def runner_flags(f: FC, *, today: bool) -> FC:
    """The runner options as command-line flags (``--today`` only where asked for)."""
    options = [
        click.option(
            "--provider",
            type=click.Choice(["auto", "sandbox", "eks", "gke", "aks", "none"]),
            default=DEFAULTS["provider"],
            show_default=True,
            help="Who upgrades control planes and node pools (as for `kubecurrent upgrade`).",
        ),
        _seconds("--node-timeout", "node_timeout", "Seconds to drain one node."),
        _seconds("--gate-timeout", "gate_timeout", "Seconds a health gate waits."),
        _seconds("--helm-timeout", "helm_timeout", "Seconds helm waits for an add-on upgrade."),
        click.option(
            "--poll", type=SECONDS, default=DEFAULTS["poll"], show_default=True, hidden=True
        ),
        ADDON_CHART,
        EKS_FORCE,
        EKS_ADDON_CONFLICTS,
        CATALOG_EXTRA,
        *([TODAY] if today else []),
    ]
    for option in reversed(options):
        f = option(f)
    return promql_options(f)


def given(ctx: click.Context) -> set[str]:
    """The runner options this command line (or the environment) sets explicitly."""
    explicit = (ParameterSource.COMMANDLINE, ParameterSource.ENVIRONMENT, ParameterSource.PROMPT)
    return {n for n in RUNNER_OPTIONS if ctx.get_parameter_source(n) in explicit}
