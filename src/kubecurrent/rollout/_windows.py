"""Whether an upgrade may start on a cluster now, and if not, when it may next.

A cluster selected by no window may start at any time; one selected by windows may start only
inside one of them. Blackouts win over windows. Windows gate the *start* of a cluster's upgrade:
a cluster already upgrading finishes, so a window should be long enough for one cluster.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from kubecurrent.model.plan import Hold
from kubecurrent.rollout._strategy import Strategy, matches

__all__ = ["Opening", "hold_opening", "opening", "unenforced"]

HORIZON_DAYS = 400
"""How far ahead to look for the next opening before saying there is none."""


@dataclass(frozen=True)
class Opening:
    open: bool
    reason: str = ""
    """Why it is closed (``outside window prod-nights``, ``blackout year-end freeze``)."""
    next_open: dt.datetime | None = None
    """When it opens next (None: open now, or never within the horizon)."""


def _blackout(strategy: Strategy, labels: Mapping[str, str], when: dt.datetime) -> str | None:
    for b in strategy.blackouts:
        start, end = b.bounds()
        if matches(b.select, labels) and start <= when < end:
            return b.reason
    return None


def _closed_because(strategy: Strategy, labels: Mapping[str, str], when: dt.datetime) -> str:
    """Why an upgrade may not start at ``when`` (empty when it may)."""
    blackout = _blackout(strategy, labels, when)
    if blackout is not None:
        return f"blackout: {blackout}"
    windows = [w for w in strategy.windows if matches(w.select, labels)]
    if windows and not any(w.opening_before(when) is not None for w in windows):
        return "outside maintenance window " + ", ".join(w.name for w in windows)
    return ""


def opening(strategy: Strategy, labels: Mapping[str, str], now: dt.datetime) -> Opening:
    """May an upgrade start on a cluster with ``labels`` at ``now``; if not, when next."""
    reason = _closed_because(strategy, labels, now)
    if not reason:
        return Opening(True)
    candidates: set[dt.datetime] = set()
    for w in strategy.windows:
        if matches(w.select, labels):
            candidates.update(w.openings(now, HORIZON_DAYS))
    for b in strategy.blackouts:
        end = b.bounds()[1]
        if matches(b.select, labels) and end > now:
            candidates.add(end)
    for when in sorted(candidates):
        if not _closed_because(strategy, labels, when):
            return Opening(False, reason, when)
    return Opening(False, reason, None)


def _held_because(holds: Sequence[Hold], when: dt.datetime) -> str:
    """Why the provider's holds keep an upgrade from starting at ``when`` (empty: they do not)."""
    for h in holds:
        if h.kind == "blackout" and h.start <= when < h.end:
            note = f", {h.note}" if h.note else ""
            return f"{h.source} until {h.end.isoformat()}{note}"
    windows = [h for h in holds if h.kind == "window"]
    if windows and not any(w.opening_before(when) is not None for w in windows):
        return "outside " + ", ".join(w.source for w in windows)
    return ""


def hold_opening(holds: Sequence[Hold], now: dt.datetime) -> Opening:
    """May an upgrade start now as far as the cluster's provider holds (maintenance windows and
    exclusions, carried by its plan) say; if not, when next."""
    reason = _held_because(holds, now)
    if not reason:
        return Opening(True)
    candidates = {h.end for h in holds if h.kind == "blackout" and h.end > now}
    for w in holds:
        if w.kind == "window":
            candidates.update(w.openings(now, HORIZON_DAYS))
    for when in sorted(candidates):
        if not _held_because(holds, when):
            return Opening(False, reason, when)
    return Opening(False, reason, None)


def unenforced(holds: Sequence[Hold]) -> str:
    """The provider windows kubecurrent cannot enforce (``refused`` holds), with why, for the
    cluster's status: they hold nothing, and say so (empty when there are none)."""
    return "; ".join(
        f"window not enforced: {h.source} ({h.note})" for h in holds if h.kind == "refused"
    )
