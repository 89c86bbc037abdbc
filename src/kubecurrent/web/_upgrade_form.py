"""The Upgrade form: what the operator chose, checked the way ``kubecurrent rollout start`` checks
it, and the confirmation rule for production clusters (pure: no I/O, no store).

- clusters: a subset of the fleet (by name), at least one, each reachable (a ``ClusterRef``);
- target: ``latest-supported`` (the default, as ``rollout start``), ``latest``, ``X.Y`` or
  ``X.Y.Z``, resolved with the catalog;
- strategy: the default (a canary, then the rest two at a time) or YAML pasted in a textarea,
  validated with the model ``load_strategy`` uses (``parse_strategy``), errors shown inline;
- approval: optionally gate every wave after the first;
- confirmation: when a chosen cluster is labelled production (``env``, ``environment`` or
  ``tier`` = ``prod``/``production``), the operator types the exact text the page asks for:
  the cluster's name when there is one such cluster, ``N production clusters`` otherwise.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from kubecurrent.catalog import Catalog
from kubecurrent.errors import UsageError
from kubecurrent.plan import resolve_target
from kubecurrent.rollout import (
    ClusterRef,
    Member,
    Strategy,
    assign_waves,
    default_strategy,
    parse_strategy,
)

PRODUCTION_KEYS = ("env", "environment", "tier")
PRODUCTION_VALUES = frozenset({"prod", "production"})
DEFAULT_TARGET = "latest-supported"
STRATEGY_SOURCE = "the strategy field"


@dataclass(frozen=True)
class StartForm:
    """The Upgrade form as submitted (every field a plain value)."""

    clusters: tuple[str, ...] = ()
    target: str = DEFAULT_TARGET
    custom_strategy: bool = False
    strategy: str = ""
    """YAML, used when ``custom_strategy``."""
    approve_later: bool = False
    """Gate every wave after the first behind an approval."""
    confirm: str = ""

    @classmethod
    def from_fields(cls, get: Mapping[str, str], clusters: Sequence[str]) -> StartForm:
        """From a form or query string (``get`` the single fields, ``clusters`` the checked)."""
        return cls(
            clusters=tuple(dict.fromkeys(c for c in clusters if c)),
            target=(get.get("target") or DEFAULT_TARGET).strip(),
            custom_strategy=get.get("strategy_mode") == "custom",
            strategy=get.get("strategy", ""),
            approve_later=get.get("approve_later") in ("on", "true", "1"),
            confirm=get.get("confirm", ""),
        )


@dataclass(frozen=True)
class Proposal:
    """A checked form: the waves it makes and what confirming needs, or the errors per field."""

    form: StartForm
    refs: tuple[ClusterRef, ...] = ()
    version: str = ""
    strategy: Strategy | None = None
    waves: tuple[tuple[str, bool, tuple[str, ...]], ...] = ()
    """(wave name, needs approval, cluster names) in order."""
    production: tuple[str, ...] = ()
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def reviewable(self) -> bool:
        """Everything but the confirmation is right: show the waves, plans and the button."""
        return set(self.errors) <= {"confirm"}

    @property
    def confirmation(self) -> str | None:
        return confirmation_text(self.production)

    def confirmed(self) -> bool:
        wanted = self.confirmation
        return wanted is None or self.form.confirm.strip() == wanted


def is_production(labels: Mapping[str, str]) -> bool:
    return any(labels.get(k, "").strip().lower() in PRODUCTION_VALUES for k in PRODUCTION_KEYS)


def confirmation_text(production: Sequence[str]) -> str | None:
    """What the operator must type to start: None when no production cluster is chosen."""
    if not production:
        return None
    if len(production) == 1:
        return production[0]
    return f"{len(production)} production clusters"


def with_approvals(strategy: Strategy) -> Strategy:
    """Every wave after the first needs an approval."""
    waves = tuple(
        w if i == 0 or w.approval else w.model_copy(update={"approval": True, "approvals": 1})
        for i, w in enumerate(strategy.waves)
    )
    return strategy.model_copy(update={"waves": waves})


def propose(
    form: StartForm, fleet: Sequence[ClusterRef], catalog: Catalog, today: dt.date
) -> Proposal:
    """Check ``form`` against the fleet and the catalog; the errors name the field and the fix."""
    errors: dict[str, str] = {}
    known = {r.name: r for r in fleet}
    unknown = [c for c in form.clusters if c not in known]
    if not form.clusters:
        errors["clusters"] = "choose at least one cluster"
    elif unknown:
        errors["clusters"] = (
            f"not in this dashboard's fleet: {', '.join(unknown)} (reload the Upgrade page)"
        )
    refs = tuple(known[c] for c in form.clusters if c in known)
    version = ""
    try:
        version = str(resolve_target(catalog, form.target, today))
    except UsageError as exc:
        errors["target"] = _text(exc)
    members = [Member(r.name, r.labels) for r in refs]
    strategy: Strategy | None = None
    if form.custom_strategy:
        if not form.strategy.strip():
            errors["strategy"] = "paste a strategy (YAML), or choose the default strategy"
        else:
            try:
                strategy = parse_strategy(form.strategy, STRATEGY_SOURCE)
            except UsageError as exc:
                errors["strategy"] = _text(exc)
            if strategy is not None and not strategy.waves:
                errors["strategy"] = f"{STRATEGY_SOURCE}: name at least one wave under `waves:`"
                strategy = None
    elif members:
        strategy = default_strategy(members)
    waves: tuple[tuple[str, bool, tuple[str, ...]], ...] = ()
    if strategy is not None and form.approve_later:
        strategy = with_approvals(strategy)
    if strategy is not None and members:
        try:
            assigned = assign_waves(strategy, members)
            waves = tuple(
                (w.name, w.approval, tuple(names))
                for w, names in zip(strategy.waves, assigned, strict=True)
            )
        except UsageError as exc:
            errors["strategy"] = _text(exc)
    production = tuple(sorted(r.name for r in refs if is_production(r.labels)))
    return Proposal(form, refs, version, strategy, waves, production, errors)


def _text(exc: UsageError) -> str:
    return exc.message + (f" ({exc.hint})" if exc.hint else "")
