"""``catalog coverage``: how much the catalog knows, which facts are unverified, and its gaps.

``catalog_coverage()`` returns plain JSON-ready data; ``coverage_tables()`` turns it into titled
tables (``_coverage_report``) that the CLI prints for a terminal or as Markdown.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from kubecurrent.catalog._addon import Addon
from kubecurrent.catalog._catalog import Catalog
from kubecurrent.catalog._common import Sourced
from kubecurrent.model import MinorVersion


def _counts(values: list[str]) -> dict[str, int]:
    return dict(sorted(Counter(values).items()))


def _sections(cat: Catalog) -> dict[str, Any]:
    minors = sorted(r.version for r in cat.releases)
    removed = Counter(str(a.removed_in) if a.removed_in else "not scheduled" for a in cat.apis)
    by_removed = {k: removed[k] for k in sorted(removed, key=_minor_key)}
    return {
        "releases": {
            "total": len(minors),
            "min": str(minors[0]) if minors else None,
            "max": str(minors[-1]) if minors else None,
        },
        "apis": {"total": len(cat.apis), "by_removed_in": by_removed},
        "skew": {"total": len(cat.skew), "upgrade_rules": len(cat.upgrade)},
        "cves": {
            "total": len(cat.cves),
            "verified": sum(1 for c in cat.cves if not c.unverified),
            "by_component": _counts([c.component for c in cat.cves]),
        },
        "addons": {
            "total": len(cat.addons),
            "reaching_newest": sum(1 for a in cat.addons if _reaches(a, minors[-1]))
            if minors
            else 0,
            "by_status": _counts([a.status for a in cat.addons]),
            "by_category": _counts([a.category for a in cat.addons]),
        },
    }


def _reaches(addon: Addon, newest: MinorVersion) -> bool:
    """Whether some release of ``addon`` lists the newest Kubernetes minor."""
    return any(r.kubernetes_max >= newest for r in addon.releases)


def _minor_key(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split(".")) if text[0].isdigit() else (10**6,)


def _addon_row(addon: Addon) -> dict[str, Any]:
    oldest, newest = addon.releases[0], addon.latest_release()
    return {
        "name": addon.name,
        "status": addon.status,
        "category": addon.category,
        "releases": len(addon.releases),
        "oldest": str(oldest.version),
        "newest": str(newest.version),
        "newest_released": str(newest.released),
        "newest_kubernetes": str(max(r.kubernetes_max for r in addon.releases)),
        "newest_release_kubernetes_max": str(newest.kubernetes_max),
    }


def _unverified(cat: Catalog) -> list[dict[str, str]]:
    labelled: list[tuple[str, str, Sourced]] = [
        *(("releases", str(r.version), r) for r in cat.releases),
        *(("apis", a.label, a) for a in cat.apis),
        *(("skew", r.id, r) for r in cat.skew),
        *(("upgrade", r.id, r) for r in cat.upgrade),
        *(("cves", c.id, c) for c in cat.cves),
    ]
    for addon in cat.addons:
        labelled += [("addons", f"{addon.name} {r.version}", r) for r in addon.releases]
        labelled += [("addons", f"{addon.name} API {a.group}/{a.version}", a) for a in addon.apis]
    return [
        {"section": section, "entry": entry, "note": " ".join((value.note or "").split())}
        for section, entry, value in labelled
        if value.unverified
    ]


def _gaps(cat: Catalog) -> list[dict[str, str]]:
    newest = cat.newest_release().version
    return [
        {
            "name": a.name,
            "status": a.status,
            "newest_release": str(a.latest_release().version),
            "kubernetes_max": str(a.latest_release().kubernetes_max),
            "missing_up_to": str(newest),
        }
        for a in cat.addons
        if a.latest_release().kubernetes_max < newest
    ]


def catalog_coverage(cat: Catalog) -> dict[str, Any]:
    """Counts per section, add-on release coverage, unverified entries and add-on data gaps.

    An add-on has a gap when its newest release's ``kubernetes_max`` is below the newest
    Kubernetes minor in the catalog: the planner cannot name a release for that minor.
    """
    return {
        "last_verified": str(cat.meta.last_verified),
        "newest_kubernetes": str(cat.newest_release().version),
        "sections": _sections(cat),
        "addons": [_addon_row(a) for a in cat.addons],
        "unverified": _unverified(cat),
        "addon_gaps": _gaps(cat),
    }
