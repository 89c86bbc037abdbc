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
