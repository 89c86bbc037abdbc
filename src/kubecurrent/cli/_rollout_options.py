"""How a rollout's clusters are upgraded: the runner options recorded with the rollout.

``rollout start`` records them; ``resume`` and ``approve`` (and the dashboard) use what was
recorded, so an approval given days later never silently drops a PromQL gate, an add-on chart
or a timeout the rollout was started with. An option given again on their command line (or in
its environment variable) replaces the recorded value, and the change is journalled old → new.
Secrets are never recorded: the Prometheus token is read from its environment variable each time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource

from kubecurrent.catalog import extra_from_env, load_catalog
from kubecurrent.cli._options import (
    ADDON_CHART,
    CATALOG_EXTRA,
    EKS_ADDON_CONFLICTS,
    EKS_FORCE,
    FC,
    TODAY,
    promql_options,
)
from kubecurrent.cli._rollout_run import RunSettings
from kubecurrent.cli._types import SECONDS
from kubecurrent.cli._upgrade_run import promql_flags

__all__ = [
    "DEFAULTS",
    "RUNNER_OPTIONS",
    "from_record",
    "given",
    "in_force",
    "runner_flags",
    "settings_from",
    "to_record",
]

DEFAULTS: dict[str, Any] = {
    "provider": "auto",
    "node_timeout": 300.0,
    "gate_timeout": 180.0,
    "helm_timeout": 300.0,
    "poll": 1.0,
    "addon_chart": {},
    "extra": (),
    "today": None,
    "prometheus_url": None,
    "health_query": (),
    "prometheus_ca": None,
    "prometheus_timeout": None,
    "eks_force": False,
    "eks_addon_conflicts": "PRESERVE",
}
"""The runner options' defaults (the command line's and the dashboard's)."""

RUNNER_OPTIONS = tuple(DEFAULTS)
_PATHS = ("prometheus_ca",)
_PATH_LISTS = ("extra",)


def _chart(ref: str) -> str:
    """A local chart path made absolute (a resume may run elsewhere); repo and OCI refs kept."""
    if "://" in ref or ref.startswith("oci:"):
        return ref
    local = Path(ref.replace("{version}", "0"))
    if ref.startswith((".", "/", "~")) or (local.parent.is_dir() and local.parent != Path()):
        return str(Path(ref).expanduser().absolute())
    return ref


def to_record(values: Mapping[str, Any]) -> dict[str, Any]:
    """The runner options as plain JSON data (paths absolute, dates as YYYY-MM-DD)."""
    out: dict[str, Any] = {}
    for name in RUNNER_OPTIONS:
        value = values.get(name)
        if isinstance(value, dt.datetime):
            value = value.date().isoformat()
        elif name in _PATHS and value is not None:
            value = str(Path(value).absolute())
        elif name in _PATH_LISTS:
            value = [str(Path(v).absolute()) for v in value or ()]
        elif name == "addon_chart":
            value = {k: _chart(v) for k, v in sorted(dict(value or {}).items())}
        elif isinstance(value, tuple):
            value = list(value)
        out[name] = value
    return out


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


def from_record(recorded: Mapping[str, Any]) -> dict[str, Any]:
    """Recorded options back as option values (defaults for any not recorded)."""
    return {
        name: _from_record(name, recorded[name]) if name in recorded else DEFAULTS[name]
        for name in RUNNER_OPTIONS
    }


def _from_record(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name == "today":
        return dt.datetime.strptime(value, "%Y-%m-%d")
    if name in _PATHS:
        return Path(value)
    if name == "addon_chart":
        return dict(value)
    if isinstance(value, list):
        return tuple(value)
    return value


def given(ctx: click.Context) -> set[str]:
    """The runner options this command line (or the environment) sets explicitly."""
    explicit = (ParameterSource.COMMANDLINE, ParameterSource.ENVIRONMENT, ParameterSource.PROMPT)
    return {n for n in RUNNER_OPTIONS if ctx.get_parameter_source(n) in explicit}


def in_force(
    recorded: Mapping[str, Any], values: Mapping[str, Any], explicit: set[str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The options to run with — recorded ones unless given explicitly — and the recorded
    values that change (``{name: new record}``)."""
    fresh = to_record(values)
    out = dict(values)
    changes: dict[str, Any] = {}
    for name in RUNNER_OPTIONS:
        if name in explicit or name not in recorded:
            if recorded.get(name, fresh[name]) != fresh[name] or name not in recorded:
                changes[name] = fresh[name]
            continue
        out[name] = _from_record(name, recorded[name])
    return out, changes


def settings_from(values: Mapping[str, Any], tell: Callable[[str], None]) -> RunSettings:
    """The runner settings for option values (bad values stop here, naming the option)."""
    today = values["today"]
    catalog = load_catalog([*extra_from_env(), *map(Path, values["extra"])])
    promql = promql_flags(
        values["prometheus_url"],
        tuple(values["health_query"]),
        values["prometheus_ca"],
        values["prometheus_timeout"],
        values["gate_timeout"],
    )
    return RunSettings(
        catalog=catalog,
        today=today.date() if today else dt.date.today(),
        provider=values["provider"],
        addon_chart=dict(values["addon_chart"]),
        node_timeout=values["node_timeout"],
        gate_timeout=values["gate_timeout"],
        helm_timeout=values["helm_timeout"],
        promql=promql,
        eks_force=bool(values["eks_force"]),
        eks_addon_conflicts=str(values["eks_addon_conflicts"]),
        tell=tell,
    )
