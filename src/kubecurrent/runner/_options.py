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

from kubecurrent.catalog import extra_from_env, load_catalog
from kubecurrent.runner._run import RunSettings
from kubecurrent.runner._setup import promql_flags

__all__ = [
    "DEFAULTS",
    "RUNNER_OPTIONS",
    "from_record",
    "in_force",
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
"""The runner options' defaults (the command line's, the dashboard's and the controller's)."""

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
