"""How a rollout's clusters are upgraded, recorded with it: ``RunnerSettings`` and its codec.

``kubecurrent rollout start``, the dashboard and the controller record one ``RunnerSettings``
with each rollout; a resume, an approval or another process reads it back and upgrades the
clusters exactly as the rollout was started. The field names are the runner options' names
(``--helm-timeout`` is ``helm_timeout``), so the flags, the record and the journal's
"runner options changed" lines speak one vocabulary.

Recorded shapes, oldest first (``decode_settings`` reads every one; both stores keep the text):

======  =====================================================================================
format  shape
======  =====================================================================================
0       a JSON object of option names to values, any subset of them (files of schema 2 and
        the first custom resources); ``{}`` (also the SQLite column's default) records nothing
1       the same object with every option present, plus ``"format": 1``
======  =====================================================================================

An option a format-0 record lacks reads as its default. Secrets are never recorded: the
Prometheus token is read from its environment variable each time.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from kubecurrent.errors import UsageError

__all__ = ["FORMAT", "RunnerSettings", "decode_settings", "encode_settings", "settings_json"]

FORMAT = 1
"""The shape ``encode_settings`` writes (see the module docstring for every shape read)."""


@dataclass(frozen=True, slots=True)
class RunnerSettings:
    """How every cluster of one rollout is upgraded; each field is one runner option."""

    provider: str = "auto"
    """Who upgrades control planes and node pools: auto, sandbox, eks, gke, aks or none."""
    node_timeout: float = 300.0
    """Seconds to drain one node."""
    gate_timeout: float = 180.0
    """Seconds a health gate waits."""
    helm_timeout: float = 300.0
    """Seconds helm waits for an add-on upgrade."""
    poll: float = 1.0
    """Seconds between the engine's looks at a rollout (a test knob, not shown to people)."""
    addon_chart: tuple[tuple[str, str], ...] = ()
    """Add-on name and chart reference (``--addon-chart NAME=REF``), sorted by name; local
    chart paths absolute, so a resume may run elsewhere."""
    extra: tuple[str, ...] = ()
    """Catalog extension files (``--catalog-extra``), absolute paths."""
    today: dt.date | None = None
    """The day support is judged on (``--today``); None: the day each drive runs."""
    prometheus_url: str | None = None
    """Where the PromQL health gate asks (None: no PromQL gate)."""
    health_query: tuple[str, ...] = ()
    """PromQL queries that must return nothing (or true) for the gate to pass."""
    prometheus_ca: str | None = None
    """CA bundle for Prometheus, absolute path."""
    prometheus_timeout: float | None = None
    """Seconds a PromQL gate waits [None: ``gate_timeout``]."""
    eks_force: bool = False
    """EKS: upgrade even when the cluster insights say it will break something."""
    eks_addon_conflicts: str = "PRESERVE"
    """EKS add-on updates: how configuration conflicts are resolved (PRESERVE, OVERWRITE)."""

    @property
    def charts(self) -> dict[str, str]:
        """``addon_chart`` as a mapping."""
        return dict(self.addon_chart)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RunnerSettings:
        """From the plain JSON form (``settings_json``); absent options take their defaults,
        unknown keys are ignored (a newer release's additions)."""
        defaults = cls()
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name not in data or data[f.name] is None:
                values[f.name] = getattr(defaults, f.name)
                continue
            values[f.name] = _decode(f.name, data[f.name])
        return cls(**values)


_FLOATS = ("node_timeout", "gate_timeout", "helm_timeout", "poll", "prometheus_timeout")
_LISTS = ("extra", "health_query")


def _decode(name: str, value: Any) -> Any:
    try:
        if name == "today":
            return dt.date.fromisoformat(str(value))
        if name == "addon_chart":
            return tuple(sorted((str(k), str(v)) for k, v in dict(value).items()))
        if name in _LISTS:
            return tuple(str(v) for v in value)
        if name in _FLOATS:
            return float(value)
        if name == "eks_force":
            return bool(value)
        return str(value)
    except (TypeError, ValueError) as exc:
        raise UsageError(
            f"the recorded runner option {name} is not readable ({value!r}: {exc})",
            hint="give the option again on the command line (`kubecurrent rollout resume ID "
            f"--{name.replace('_', '-')} …`); it replaces the recorded value",
        ) from None


def settings_json(settings: RunnerSettings | None) -> dict[str, Any]:
    """The plain JSON form, keys sorted (what ``rollout status -o json`` shows as ``runner``);
    ``{}`` when nothing was recorded."""
    if settings is None:
        return {}
    out: dict[str, Any] = {}
    for f in sorted(fields(settings), key=lambda f: f.name):
        value = getattr(settings, f.name)
        if f.name == "addon_chart":
            value = dict(value)
        elif isinstance(value, dt.date):
            value = value.isoformat()
        elif isinstance(value, tuple):
            value = list(value)
        out[f.name] = value
    return out


def encode_settings(settings: RunnerSettings | None) -> str:
    """The text both stores keep: the JSON form with its ``format``; ``{}`` for nothing."""
    if settings is None:
        return "{}"
    return json.dumps({"format": FORMAT, **settings_json(settings)}, sort_keys=True)


def decode_settings(text: str | None) -> RunnerSettings | None:
    """Any recorded shape (the module docstring) back as settings; None when nothing was
    recorded. A record from a newer release's format is refused, naming the upgrade."""
    try:
        data = json.loads(text or "{}")
    except json.JSONDecodeError:
        data = None
    if not isinstance(data, dict) or not data:
        return None
    shape = data.get("format", 0)
    if not isinstance(shape, int) or shape > FORMAT:
        raise UsageError(
            f"the rollout's runner settings were recorded in format {shape!r}, newer than this "
            f"kubecurrent reads ({FORMAT})",
            hint="upgrade kubecurrent to the release that recorded the rollout",
        )
    return RunnerSettings.from_json(data)
