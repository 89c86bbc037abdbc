"""Consistency rules across entries: sorted, no duplicates, references that resolve.

A user's extra file may add entries but never replace a built-in one: a duplicate is a problem
that names both places. Every broken rule is recorded; nothing stops at the first.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from pydantic import BaseModel

from kubecurrent.catalog._addon import Addon
from kubecurrent.catalog._cve import Cve
from kubecurrent.catalog._model import ApiDeprecation, KubernetesRelease, Meta, SkewRule
from kubecurrent.catalog._problems import Problems
from kubecurrent.catalog._provider import ProviderPrice, ProviderRelease

STALE_AFTER_DAYS = 90


@dataclass(frozen=True)
class Entry:
    """A validated entry and where it came from (file and ``entry N (label)``)."""

    origin: str
    label: str
    value: BaseModel


def _key(section: str) -> Callable[[BaseModel], Hashable]:
    def key(value: BaseModel) -> Hashable:
        if isinstance(value, KubernetesRelease):
            return value.version
        if isinstance(value, ApiDeprecation):
            return (value.group, value.version, value.kind)
        if isinstance(value, Cve | SkewRule):
            return value.id
        if isinstance(value, Addon):
            return value.name
        if isinstance(value, ProviderRelease):
            return (value.provider, value.version)
        if isinstance(value, ProviderPrice):
            return (value.provider, value.support)
        return getattr(value, "id", id(value))

    return key


def _no_duplicates(section: str, entries: list[Entry], builtin: int, problems: Problems) -> None:
    seen: dict[Hashable, tuple[int, Entry]] = {}
    key = _key(section)
    for n, entry in enumerate(entries):
        k = key(entry.value)
        if k not in seen:
            seen[k] = (n, entry)
            continue
        first_n, first = seen[k]
        if n >= builtin > first_n:
            problems.add(
                entry.origin,
                entry.label,
                f"duplicates the built-in {first.label} in {first.origin}",
                "extra catalog files may only add entries; remove it, or report the "
                "built-in entry as wrong so it gets fixed upstream",
            )
            continue
        problems.add(
            entry.origin,
            entry.label,
            f"duplicate {section} entry, already defined as {first.label} in {first.origin}",
            "keep one of the two entries",
        )


def _releases_sorted(entries: list[Entry], problems: Problems) -> None:
    for prev, cur in itertools.pairwise(entries):
        a, b = prev.value, cur.value
        assert isinstance(a, KubernetesRelease) and isinstance(b, KubernetesRelease)
        if b.version < a.version and cur.origin == prev.origin:
            problems.add(
                cur.origin,
                cur.label,
                f"releases must be sorted oldest first ({b.version} comes after {a.version})",
                "move the entry to its place in version order",
            )


def _provider_releases_sorted(entries: list[Entry], problems: Problems) -> None:
    for prev, cur in itertools.pairwise(entries):
        a, b = prev.value, cur.value
        assert isinstance(a, ProviderRelease) and isinstance(b, ProviderRelease)
        if a.provider == b.provider and b.version < a.version and cur.origin == prev.origin:
            problems.add(
                cur.origin,
                cur.label,
                f"releases must be sorted oldest first ({b.version} comes after {a.version})",
                "move the entry to its place in version order",
            )


def _replacement_addons_exist(entries: list[Entry], problems: Problems) -> None:
    """Names in replacement_addons resolve (an add-on whose own file is broken counts)."""
    names = {e.value.name for e in entries if isinstance(e.value, Addon)}
    for entry in entries:
        addon = entry.value
        assert isinstance(addon, Addon)
        for other in addon.replacement_addons:
            if other == addon.name:
                problems.add(
                    entry.origin,
                    entry.label,
                    "an add-on cannot replace itself",
                    "remove its own name from replacement_addons",
                )
            elif other not in names and not problems.in_file(f"addons/{other}.yaml"):
                problems.add(
                    entry.origin,
                    entry.label,
                    f"replacement_addons names {other!r}, which is not a catalog add-on",
                    f"add addons/{other}.yaml or remove {other!r} from replacement_addons",
                )


def check_entries(
    entries: dict[str, list[Entry]], builtin: dict[str, int], problems: Problems
) -> None:
    """Record every cross-entry problem (duplicates, order, references) in ``problems``."""
    for section, found in entries.items():
        _no_duplicates(section, found, builtin.get(section, len(found)), problems)
    _releases_sorted(entries["releases"], problems)
    _provider_releases_sorted(entries["provider_releases"], problems)
    _replacement_addons_exist(entries["addons"], problems)


def staleness_warning(meta: Meta, now: dt.date) -> str | None:
    """A warning when the catalog was last verified more than 90 days before ``now``."""
    age = (now - meta.last_verified).days
    if age <= STALE_AFTER_DAYS:
        return None
    return (
        f"the catalog was last verified on {meta.last_verified} ({age} days ago); facts about "
        "new releases, removals and CVEs may be missing. Run `kubecurrent catalog update` or "
        "upgrade kubecurrent."
    )
