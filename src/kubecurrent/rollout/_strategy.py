"""A rollout strategy: ordered waves, soak, approvals, failure budgets, windows and blackouts.

A strategy file (every key optional; ``docs/rollout.md`` has the reference)::

    waves:
    - name: canary
      select: {env: dev}          # cluster labels that must all match ({} = every cluster)
      count: 1                    # or percent: 25 — of the matching clusters still unassigned
    - name: prod-slice
      select: {env: prod}
      percent: 50
      approval: true              # a person approves before this wave starts
      approvals: 2                # …or two different people (implies approval: true)
      soak: 30m                   # wait after the wave, then check its clusters again
    - name: rest
      concurrency: 3
      failureBudget: {clusters: 1, percent: 10}   # halt when more fail than this
    windows:                       # when upgrades may START on the clusters they select
    - {name: prod-nights, select: {env: prod}, days: [mon, tue, wed, thu],
       start: "22:00", duration: 4h, timezone: Europe/Berlin}
    blackouts:                     # never start inside these, whatever the windows say
    - {select: {env: prod}, from: 2026-12-20, to: 2027-01-04, timezone: Europe/Berlin,
       reason: year-end freeze}
    health:                        # PromQL that must hold at every gate (a wave may replace it)
      prometheus: https://prometheus.example:9090
      queries: ['sum(up{job="apiserver"}) >= 1']
      ca: ca.pem                   # relative to the strategy file; default: the system's CAs
      timeout: 3m
    starterMayApprove: false       # the person who started the rollout cannot approve its waves
    notify: {...}                  # webhooks, Slack, Teams, email (see ``_notify_spec``)

Each cluster joins the first wave that selects it; a cluster no wave selects is an error that
names it, so nothing is left out silently.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from kubecurrent.errors import UsageError
from kubecurrent.execute import PromQLCheck, check_prometheus_url, tls_context
from kubecurrent.rollout._duration import Duration
from kubecurrent.rollout._notify_spec import Notify
from kubecurrent.useryaml import parse_user_yaml

__all__ = [
    "Blackout",
    "FailureBudget",
    "Health",
    "Member",
    "Strategy",
    "Wave",
    "Window",
    "assign_waves",
    "default_strategy",
    "load_strategy",
    "parse_strategy",
]

Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
DAYS: tuple[Day, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
TIERS = ("dev", "development", "test", "qa", "staging", "stage", "preprod")
"""``env`` label values taken as canaries by the default strategy, most expendable first."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class FailureBudget(_Model):
    """How many clusters of a wave may fail before the rollout halts (default: none may)."""

    clusters: int | None = Field(None, ge=0)
    """Halt when more than this many clusters of the wave failed."""
    percent: float | None = Field(None, ge=0, le=100)
    """Halt when more than this share of the wave failed."""

    def exceeded(self, failed: int, size: int) -> bool:
        if self.clusters is None and self.percent is None:
            return failed > 0
        over_count = self.clusters is not None and failed > self.clusters
        over_share = self.percent is not None and size > 0 and 100 * failed / size > self.percent
        return over_count or over_share

    def describe(self) -> str:
        parts = [f"{self.clusters} cluster(s)" if self.clusters is not None else ""]
        parts.append(f"{self.percent:g}%" if self.percent is not None else "")
        allowed = " or ".join(p for p in parts if p)
        return f"at most {allowed} may fail" if allowed else "no cluster may fail"


class Health(_Model):
    """PromQL queries that must hold at every health gate (docs/rollout.md, docs/upgrade.md)."""

    prometheus: str
    queries: tuple[str, ...] = Field(min_length=1)
    ca: str | None = None
    """PEM CA bundle for Prometheus's TLS certificate; a relative path is taken from the
    strategy file's folder (``load_strategy`` makes it absolute)."""
    timeout: Duration = dt.timedelta(minutes=3)

    @field_validator("prometheus")
    @classmethod
    def _url(cls, value: str) -> str:
        try:
            return check_prometheus_url(value)
        except UsageError as exc:
            raise ValueError(exc.message) from None

    @field_validator("queries")
    @classmethod
    def _queries(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if any(not q.strip() for q in value):
            raise ValueError("a PromQL query cannot be empty")
        return tuple(q.strip() for q in value)

    @field_validator("timeout")
    @classmethod
    def _positive(cls, value: dt.timedelta) -> dt.timedelta:
        if value <= dt.timedelta(0):
            raise ValueError("the PromQL timeout must be more than 0")
        return value

    def check(self) -> PromQLCheck:
        return PromQLCheck(
            self.prometheus,
            self.queries,
            Path(self.ca) if self.ca else None,
            self.timeout.total_seconds(),
        )


class Wave(_Model):
    name: str = Field(min_length=1)
    select: dict[str, str] = Field(default_factory=dict)
    count: int | None = Field(None, ge=1)
    percent: float | None = Field(None, gt=0, le=100)
    concurrency: int = Field(1, ge=1)
    soak: Duration = dt.timedelta(0)
    approval: bool = False
    approvals: int = Field(0, ge=0, le=10)
    """How many different people must approve before the wave starts (``approval: true`` is
    one)."""
    failure_budget: FailureBudget = Field(default_factory=FailureBudget, alias="failureBudget")
    health: Health | None = None
    """PromQL checks for this wave's clusters, replacing the strategy's ``health``."""

    @model_validator(mode="before")
    @classmethod
    def _gate(cls, data: Any) -> Any:
        """``approval`` and ``approvals`` agree: either one alone sets the other."""
        if not isinstance(data, dict):
            return data
        approval, approvals = data.get("approval"), data.get("approvals")
        if approval is False and isinstance(approvals, int) and approvals > 0:
            raise ValueError(
                f"approval: false contradicts approvals: {approvals}; give only approvals: N"
            )
        if approval is True and not approvals:
            return {**data, "approvals": 1}
        if isinstance(approvals, int) and approvals > 0:
            return {**data, "approval": True}
        return data

    @model_validator(mode="after")
    def _one_size(self) -> Wave:
        if self.count is not None and self.percent is not None:
            raise ValueError(f"wave {self.name}: give count or percent, not both")
        return self

    @property
    def approvals_needed(self) -> int:
        """Different people who must approve before the wave starts (0: no gate)."""
        return max(self.approvals, int(self.approval))


class Window(_Model):
    """A recurring maintenance window in a time zone; it may run past midnight."""

    name: str = "window"
    select: dict[str, str] = Field(default_factory=dict)
    days: tuple[Day, ...] = DAYS
    start: dt.time
    duration: Duration
    timezone: str = "UTC"

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        _zone(value)
        return value

    @field_validator("start", mode="before")
    @classmethod
    def _clock_time(cls, value: object) -> object:
        if isinstance(value, str) and re.fullmatch(r"([01]?\d|2[0-3]):[0-5]\d(:[0-5]\d)?", value):
            return value
        raise ValueError(
            f'{value!r} is not a time of day: write it quoted as HH:MM, e.g. start: "22:00"'
        )

    @field_validator("duration")
    @classmethod
    def _length(cls, value: dt.timedelta) -> dt.timedelta:
        if not dt.timedelta(0) < value <= dt.timedelta(days=7):
            raise ValueError("a window lasts more than 0 and at most 7 days")
        return value

    def opening_before(self, when: dt.datetime) -> dt.datetime | None:
        """The start of the occurrence that contains ``when``, if ``when`` is inside one."""
        local = when.astimezone(_zone(self.timezone))
        for back in range(8):
            day = local.date() - dt.timedelta(days=back)
            if DAYS[day.weekday()] not in self.days:
                continue
            opens = dt.datetime.combine(day, self.start, tzinfo=local.tzinfo)
            if opens <= local < opens + self.duration:
                return opens
        return None

    def openings(self, after: dt.datetime, days: int) -> list[dt.datetime]:
        """Every start of this window in the ``days`` days after ``after``."""
        local = after.astimezone(_zone(self.timezone))
        found = []
        for ahead in range(days + 1):
            day = local.date() + dt.timedelta(days=ahead)
            if DAYS[day.weekday()] in self.days:
                opens = dt.datetime.combine(day, self.start, tzinfo=local.tzinfo)
                if opens > after:
                    found.append(opens)
        return found


class Blackout(_Model):
    """Dates on which no upgrade may start (from ``from`` to the start of ``to``)."""

    select: dict[str, str] = Field(default_factory=dict)
    start: dt.date = Field(alias="from")
    end: dt.date = Field(alias="to")
    timezone: str = "UTC"
    reason: str = "blackout"

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        _zone(value)
        return value

    @model_validator(mode="after")
    def _order(self) -> Blackout:
        if self.end <= self.start:
            raise ValueError(f"blackout {self.reason!r}: `to` must be after `from`")
        return self

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        zone = _zone(self.timezone)
        return (
            dt.datetime.combine(self.start, dt.time(), tzinfo=zone),
            dt.datetime.combine(self.end, dt.time(), tzinfo=zone),
        )


class Strategy(_Model):
    waves: tuple[Wave, ...] = ()
    windows: tuple[Window, ...] = ()
    blackouts: tuple[Blackout, ...] = ()
    health: Health | None = None
    """PromQL checks for every wave that does not set its own."""
    starter_may_approve: bool = Field(True, alias="starterMayApprove")
    """Whether the approval of the person who started the rollout counts."""
    notify: Notify | None = None
    """Who is told about the rollout, and how (``kubecurrent.notify`` delivers)."""

    def health_of(self, wave: int) -> Health | None:
        """The PromQL checks of wave number ``wave``: its own, else the strategy's."""
        own = self.waves[wave].health if 0 <= wave < len(self.waves) else None
        return own or self.health

    @model_validator(mode="after")
    def _unique(self) -> Strategy:
        names = [w.name for w in self.waves]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"wave names must be unique: {', '.join(dupes)}")
        return self


@dataclass(frozen=True)
class Member:
    """A cluster of the fleet as the strategy sees it: a name and its labels."""

    name: str
    labels: Mapping[str, str]


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {name!r}: use an IANA name such as Europe/Berlin or UTC"
        ) from None


def matches(select: Mapping[str, str], labels: Mapping[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in select.items())


def load_strategy(path: Path) -> Strategy:
    """The strategy in ``path``; every error names the file and the field."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror}", hint="check --strategy") from None
    return _with_ca_paths(parse_strategy(data, str(path)), path)


def parse_strategy(text: str | bytes, source: str) -> Strategy:
    """The strategy written in ``text`` (YAML); every error names ``source`` and the field."""
    data = parse_user_yaml(text, source, "rollout strategy") or {}
    try:
        strategy = Strategy.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'file'}: {e['msg']}" for e in exc.errors()
        )
        raise UsageError(
            f"{source}: not a rollout strategy: {problems}",
            hint="see docs/rollout.md for the format",
        ) from None
    return strategy


def _with_ca_paths(strategy: Strategy, path: Path) -> Strategy:
    """``health.ca`` made absolute (from the strategy file's folder) and checked to be a PEM
    CA bundle."""

    def fix(health: Health | None, where: str) -> Health | None:
        if health is None or health.ca is None:
            return health
        ca = (path.parent / health.ca).resolve()
        if not ca.is_file():
            raise UsageError(
                f"{path}: {where}.ca: no file {ca}",
                hint="give the PEM CA bundle's path, relative to the strategy file",
            )
        try:
            tls_context(ca)
        except UsageError as exc:
            raise UsageError(f"{path}: {where}.ca: {exc.message}", hint=exc.hint) from None
        return health.model_copy(update={"ca": str(ca)})

    waves = tuple(
        w.model_copy(update={"health": fix(w.health, f"waves.{i}.health")})
        for i, w in enumerate(strategy.waves)
    )
    return strategy.model_copy(update={"waves": waves, "health": fix(strategy.health, "health")})


def default_strategy(members: Sequence[Member]) -> Strategy:
    """One canary from the most expendable tier, then everyone else two at a time."""
    if len(members) < 2:
        return Strategy(waves=(Wave(name="all"),))

    def rank(m: Member) -> tuple[int, str]:
        env = m.labels.get("env", m.labels.get("environment", "")).lower()
        return (TIERS.index(env) if env in TIERS else len(TIERS), m.name)

    canary = min(members, key=rank)
    return Strategy(
        waves=(
            Wave(name="canary", select={"kubecurrent.dev/cluster": canary.name}),
            Wave(name="rest", concurrency=2),
        )
    )


def assign_waves(strategy: Strategy, members: Sequence[Member]) -> list[list[str]]:
    """The cluster names of each wave, in wave order; every member in exactly one wave."""
    left = sorted(members, key=lambda m: m.name)
    waves: list[list[str]] = []
    for wave in strategy.waves:
        chosen = [m for m in left if matches(wave.select, _with_name(m))]
        size = len(chosen)
        if wave.count is not None:
            size = min(size, wave.count)
        elif wave.percent is not None:
            size = min(size, max(1, math.ceil(len(chosen) * wave.percent / 100))) if chosen else 0
        picked = chosen[:size]
        waves.append([m.name for m in picked])
        left = [m for m in left if m not in picked]
    if left:
        raise UsageError(
            f"no wave selects these clusters: {', '.join(m.name for m in left)}",
            hint="add a last wave without `select` to take every remaining cluster",
        )
    return waves


def _with_name(m: Member) -> dict[str, str]:
    return {**m.labels, "kubecurrent.dev/cluster": m.name}
