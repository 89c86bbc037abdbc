"""Options shared by several commands, defined once.

The global flags (``--kubeconfig``, ``--context``, ``-o``) are accepted before the verb and
after it, as kubectl accepts them: each is one definition here, used by the root command and by
every command that reads a kubeconfig or prints data; wherever it is given, it lands in the one
``GlobalOptions`` object of the run (a flag after the verb wins).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
from click.core import ParameterSource

from kubecurrent.cli._types import SECONDS
from kubecurrent.errors import UsageError

if TYPE_CHECKING:
    from kubecurrent.catalog import ScanFacts

FC = TypeVar("FC", bound=Callable[..., Any])
OUTPUT_FORMATS = ("table", "wide", "json", "yaml")


@dataclass
class GlobalOptions:
    """What the global flags said; reachable from every command as ``ctx.obj``."""

    kubeconfig: str | None = None
    context: str | None = None
    output: str = "table"
    given: set[str] = field(default_factory=set)
    """The fields set by a flag on the command line: the environment never overrides those."""


def _remember(name: str) -> Callable[[click.Context, click.Parameter, Any], None]:
    def store(ctx: click.Context, param: click.Parameter, value: Any) -> None:
        if value is None:
            return
        opts = ctx.ensure_object(GlobalOptions)
        typed = ctx.get_parameter_source(param.name or "") is ParameterSource.COMMANDLINE
        if typed or name not in opts.given:
            setattr(opts, name, value)
        if typed:
            opts.given.add(name)

    return store


def output_option(*formats: str, default: str = "table") -> Callable[[FC], FC]:
    """``-o/--output``, before or after the verb; ``formats`` are the command's choices and
    ``default`` names what the command prints without one (one of ``formats``)."""
    if default not in (formats or OUTPUT_FORMATS):
        raise ValueError(f"-o default {default!r} is not one of {formats}")
    return click.option(
        "-o",
        "--output",
        type=click.Choice(formats or OUTPUT_FORMATS),
        default=None,
        expose_value=False,
        callback=_remember("output"),
        help=f"Output format [default: {default}].",
    )


KUBECONFIG = click.option(
    "--kubeconfig",
    type=click.Path(dir_okay=False),
    default=None,
    expose_value=False,
    callback=_remember("kubeconfig"),
    envvar="KUBECURRENT_KUBECONFIG",
    help="Path to a kubeconfig file (also KUBECURRENT_KUBECONFIG).",
)
CONTEXT = click.option(
    "--context",
    "global_context",
    default=None,
    expose_value=False,
    callback=_remember("context"),
    envvar="KUBECURRENT_CONTEXT",
    help="The kubeconfig context to use (also KUBECURRENT_CONTEXT).",
)


def global_flags(f: FC) -> FC:
    """``--kubeconfig`` and ``--context`` on a command (for commands without their own
    ``--context``)."""
    return KUBECONFIG(CONTEXT(f))


TIMEOUT = click.option(
    "--timeout",
    type=SECONDS,
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


def _addon_charts(_: click.Context, __: click.Parameter, values: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for value in values:
        name, sep, ref = value.partition("=")
        if not sep or not name or not ref:
            raise click.BadParameter(
                f"{value!r}: write ADDON=CHART, e.g. demo=./charts/demo-{{version}}"
            )
        out[name] = ref
    return out


ADDON_CHART = click.option(
    "--addon-chart",
    multiple=True,
    callback=_addon_charts,
    help="ADDON=CHART: chart of an add-on; {version} in CHART is replaced, else --version is "
    "passed (repeatable).",
)


def _addon_versions(
    _: click.Context, __: click.Parameter, values: tuple[str, ...]
) -> dict[str, str]:
    out = {}
    for value in values:
        name, sep, version = value.partition("=")
        try:
            from kubecurrent.catalog import DottedVersion  # the catalog only when used

            DottedVersion.parse(version)
        except ValueError:
            sep = ""
        if not sep or not name:
            raise click.BadParameter(
                f"{value!r}: write ADDON=VERSION with the add-on's catalog name and a dotted "
                "version, e.g. cert-manager=1.5"
            )
        out[name] = version
    return out


ADDON_VERSION = click.option(
    "--addon-version",
    "addon_versions",
    multiple=True,
    callback=_addon_versions,
    help="ADDON=VERSION: judge the add-on's own APIs against this installed version "
    "(repeatable; default: report the add-on release that removes them).",
)


def check_addon_names(facts: ScanFacts, versions: dict[str, str]) -> None:
    """UsageError naming every ``--addon-version`` add-on the catalog does not know."""
    unknown = sorted(set(versions) - set(facts.addons))
    if unknown:
        with_apis = ", ".join(facts.addons_with_apis)
        raise UsageError(
            f"--addon-version: no add-on named {', '.join(map(repr, unknown))} in the catalog",
            hint=f"use a catalog name; add-ons with API history: {with_apis}",
        )


class _Query(click.ParamType[str]):
    """A PromQL query; from the environment, one per line (queries contain spaces)."""

    name = "PROMQL"

    def split_envvar_value(self, rv: str) -> list[str]:
        return [line for line in rv.splitlines() if line.strip()]

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> str:
        text = str(value).strip()
        if not text:
            self.fail("a PromQL query cannot be empty", param, ctx)
        return text


def promql_options(f: FC) -> FC:
    """``--prometheus-url``, ``--health-query`` (repeatable), ``--prometheus-ca`` and
    ``--prometheus-timeout``: the optional PromQL health gate (docs/upgrade.md)."""
    for option in reversed(
        [
            click.option(
                "--prometheus-url",
                metavar="URL",
                help="Prometheus base URL for --health-query (bearer token: "
                "$KUBECURRENT_PROMETHEUS_TOKEN).",
            ),
            click.option(
                "--health-query",
                multiple=True,
                type=_Query(),
                help="PromQL that must hold at every health gate: a non-empty result whose "
                "every value is non-zero (repeatable; from the environment, one per line).",
            ),
            click.option(
                "--prometheus-ca",
                type=click.Path(dir_okay=False, exists=True, path_type=Path),
                help="PEM CA bundle to verify Prometheus's TLS certificate [default: the system's].",
            ),
            click.option(
                "--prometheus-timeout",
                type=SECONDS,
                help="Seconds the queries may take to hold at each gate [default: --gate-timeout].",
            ),
        ]
    ):
        f = option(f)
    return f


ONLY_REMOVED = click.option(
    "--only-removed",
    is_flag=True,
    help="Only findings whose status is removed, in the output and in the exit code.",
)
NO_HEADERS = click.option(
    "--no-headers",
    is_flag=True,
    help="Table, wide and csv output without the header line (the summary goes to stderr).",
)
EKS_FORCE = click.option(
    "--eks-force",
    is_flag=True,
    help="EKS node groups: replace nodes even when a PodDisruptionBudget blocks their drain "
    "(UpdateNodegroupVersion force; written to the audit log).",
)
EKS_ADDON_CONFLICTS = click.option(
    "--eks-addon-conflicts",
    type=click.Choice(["PRESERVE", "OVERWRITE"]),
    default="PRESERVE",
    show_default=True,
    help="EKS add-ons: keep (PRESERVE) or take back (OVERWRITE) fields someone else changed "
    "(UpdateAddon resolveConflicts; the choice is audited).",
)
