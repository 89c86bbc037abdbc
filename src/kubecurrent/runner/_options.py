"""How a rollout's clusters are upgraded: the runner options of a command line as the
``RunnerSettings`` recorded with the rollout, and back.

``rollout start`` records them; ``resume`` and ``approve`` (and the dashboard) use what was
recorded, so an approval given days later never silently drops a PromQL gate, an add-on chart
or a timeout the rollout was started with. An option given again on their command line (or in
its environment variable) replaces the recorded value, and the change is journalled old → new.
Secrets are never recorded: the Prometheus token is read from its environment variable each time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

from kubecurrent.catalog import extra_from_env, load_catalog
from kubecurrent.rollout import RunnerSettings
from kubecurrent.runner._run import RunSettings
from kubecurrent.runner._setup import promql_flags

__all__ = [
    "DEFAULTS",
    "RUNNER_OPTIONS",
    "from_values",
    "in_force",
    "run_settings",
    "to_values",
]

_PATHS = ("prometheus_ca",)
_PATH_LISTS = ("extra",)


def to_values(settings: RunnerSettings) -> dict[str, Any]:
    """Settings as the runner options' values (what click gives a command: ``today`` a
    datetime, paths as ``Path``, ``addon_chart`` a dict)."""
    values: dict[str, Any] = {f.name: getattr(settings, f.name) for f in fields(settings)}
    values["addon_chart"] = settings.charts
    if settings.today is not None:
        values["today"] = dt.datetime.combine(settings.today, dt.time())
    if settings.prometheus_ca is not None:
        values["prometheus_ca"] = Path(settings.prometheus_ca)
    return values


DEFAULTS: dict[str, Any] = to_values(RunnerSettings())
"""The runner options' defaults (the command line's, the dashboard's and the controller's),
those of ``RunnerSettings``."""

RUNNER_OPTIONS = tuple(DEFAULTS)


def _chart(ref: str) -> str:
    """A local chart path made absolute (a resume may run elsewhere); repo and OCI refs kept."""
    if "://" in ref or ref.startswith("oci:"):
        return ref
    local = Path(ref.replace("{version}", "0"))
    if ref.startswith((".", "/", "~")) or (local.parent.is_dir() and local.parent != Path()):
        return str(Path(ref).expanduser().absolute())
    return ref


def from_values(values: Mapping[str, Any]) -> RunnerSettings:
    """The settings a command's runner option values give (paths absolute; absent: defaults)."""
    get = {**DEFAULTS, **{k: v for k, v in values.items() if k in DEFAULTS}}
    today = get["today"]
    return RunnerSettings(
        provider=str(get["provider"]),
        node_timeout=float(get["node_timeout"]),
        gate_timeout=float(get["gate_timeout"]),
        helm_timeout=float(get["helm_timeout"]),
        poll=float(get["poll"]),
        addon_chart=tuple(
            sorted((k, _chart(v)) for k, v in dict(get["addon_chart"] or {}).items())
        ),
        extra=tuple(str(Path(v).absolute()) for v in get["extra"] or ()),
        today=today.date() if isinstance(today, dt.datetime) else today,
        prometheus_url=get["prometheus_url"],
        health_query=tuple(get["health_query"] or ()),
        prometheus_ca=str(Path(get["prometheus_ca"]).absolute())
        if get["prometheus_ca"] is not None
        else None,
        prometheus_timeout=None
        if get["prometheus_timeout"] is None
        else float(get["prometheus_timeout"]),
        eks_force=bool(get["eks_force"]),
        eks_addon_conflicts=str(get["eks_addon_conflicts"]),
    )


def in_force(
    recorded: RunnerSettings | None, values: Mapping[str, Any], explicit: set[str]
) -> RunnerSettings:
    """The settings to run with: the recorded ones, with the options given explicitly
    (``explicit``) replaced by their ``values``; nothing recorded: ``values`` entirely."""
    fresh = from_values(values)
    if recorded is None:
        return fresh
    return replace(recorded, **{n: getattr(fresh, n) for n in RUNNER_OPTIONS if n in explicit})


def run_settings(settings: RunnerSettings, tell: Callable[[str], None]) -> RunSettings:
    """What every cluster's runner shares, from the settings (bad values stop here, naming
    the option)."""
    catalog = load_catalog([*extra_from_env(), *map(Path, settings.extra)])
    promql = promql_flags(
        settings.prometheus_url,
        settings.health_query,
        Path(settings.prometheus_ca) if settings.prometheus_ca is not None else None,
        settings.prometheus_timeout,
        settings.gate_timeout,
    )
    return RunSettings(
        catalog=catalog,
        today=settings.today or dt.date.today(),
        provider=settings.provider,
        addon_chart=settings.charts,
        node_timeout=settings.node_timeout,
        gate_timeout=settings.gate_timeout,
        helm_timeout=settings.helm_timeout,
        promql=promql,
        eks_force=settings.eks_force,
        eks_addon_conflicts=settings.eks_addon_conflicts,
        tell=tell,
    )
