"""Where the hand-written ``apis.yaml`` and upstream's generated lifecycle disagree.

``catalog check`` lists every disagreement. For each ``apis.yaml`` entry of a group upstream
ships: the kind must exist upstream, and ``deprecated_in``, ``removed_in`` and ``replacement``
must match upstream's tags (a replacement may also be a later step of upstream's own chain,
e.g. ``flowcontrol.apiserver.k8s.io/v1`` for a type upstream points at ``v1beta3``). Every
deprecated or removed non-alpha REST resource upstream knows must have an ``apis.yaml`` entry
(payloads, subresources and audit policy files are judged from the generated data alone).

An entry that records why upstream is wrong (``upstream_differs:`` with a source) turns its
disagreements into notes that do not fail the check.
"""

from __future__ import annotations

from dataclasses import dataclass

from kubecurrent.catalog._catalog import Catalog
from kubecurrent.catalog._lifecycle import Lifecycle, LifecycleApi
from kubecurrent.catalog._model import ApiDeprecation
from kubecurrent.model import MinorVersion


@dataclass(frozen=True, slots=True)
class Disagreement:
    """One fact where ``apis.yaml`` and upstream's lifecycle differ."""

    entry: str
    """``group/version Kind``."""
    field: str
    ours: str
    upstream: str
    source: str
    """Upstream's file (module@version/path)."""
    recorded: str | None = None
    """Why upstream is wrong, when ``apis.yaml`` records it."""


def upstream_removed(api: LifecycleApi, lifecycle: Lifecycle) -> MinorVersion | None:
    """The release that stopped serving ``api``: its removal tag, or the release after the last
    one that shipped it, whichever comes first."""
    return api.gone_from(lifecycle.newest(prerelease=True))


def replacement_chain(api: LifecycleApi, lifecycle: Lifecycle) -> list[str]:
    """Upstream's replacement, then that one's replacement, ... (apiVersions, in order)."""
    chain: list[str] = []
    current: LifecycleApi | None = api
    while current is not None and current.replacement and current.replacement not in chain:
        chain.append(current.replacement)
        group, _, version = current.replacement.rpartition("/")
        current = lifecycle.lookup(group, version, current.replacement_kind or current.kind)
    return chain


def _text(value: object) -> str:
    return "-" if value is None else str(value)


def _entry_disagreements(a: ApiDeprecation, up: LifecycleApi, lc: Lifecycle) -> list[Disagreement]:
    found: list[tuple[str, str, str]] = []
    if up.deprecated is not None and a.deprecated_in != up.deprecated:
        found.append(("deprecated_in", str(a.deprecated_in), str(up.deprecated)))
    removed = upstream_removed(up, lc)
    if a.removed_in != removed:
        found.append(("removed_in", _text(a.removed_in), _text(removed)))
    chain = replacement_chain(up, lc)
    if chain and a.replacement is not None and a.replacement not in chain:
        found.append(("replacement", a.replacement, " then ".join(chain)))
    return [
        Disagreement(a.label, f, ours, theirs, str(up.source), a.upstream_differs)
        for f, ours, theirs in found
    ]


def disagreements(catalog: Catalog) -> list[Disagreement]:
    """Every disagreement between ``catalog.apis`` and ``catalog.lifecycle`` (none without one)."""
    lc = catalog.lifecycle
    if not lc.apis:
        return []
    groups = lc.groups()
    out: list[Disagreement] = []
    listed = set()
    for a in catalog.apis:
        listed.add((a.group, a.version, a.kind))
        if a.group not in groups:
            continue
        up = lc.lookup(a.group, a.version, a.kind)
        if up is None:
            out.append(
                Disagreement(
                    a.label,
                    "kind",
                    "listed",
                    "never shipped in 1.19 or later",
                    "-",
                    a.upstream_differs,
                )
            )
            continue
        out += _entry_disagreements(a, up, lc)
    newest = lc.newest()
    for up in lc.apis:
        removed = upstream_removed(up, lc)
        gone = removed is not None and removed <= newest.offset(1)
        served_api = up.resource and up.component != "audit-policy-file"
        if up.stage == "alpha" or not served_api or not gone:
            continue
        if (up.group, up.version, up.kind) in listed:
            continue
        label = f"{up.api_version} {up.kind}"
        out.append(Disagreement(label, "entry", "missing", f"removed in {removed}", str(up.source)))
    return out
