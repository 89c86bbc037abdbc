"""``catalog export``: the whole catalog as plain JSON-ready data (a stable contract)."""

from __future__ import annotations

from typing import Any

from kubecurrent.catalog._catalog import Catalog


def export_catalog(catalog: Catalog) -> dict[str, Any]:
    """The catalog as dicts and lists of JSON types.

    Contract (more keys may be added, these stay): ``kubernetes.releases[]`` with ``version``,
    ``released``, ``end_of_life``, ``latest_patch``; ``apis[]`` with ``group``, ``version``,
    ``kind``, ``deprecated_in``, ``removed_in``, ``replacement``; ``addons[]`` with ``name``,
    ``status`` and ``releases[]`` (``version``, ``released``, ``kubernetes_min``,
    ``kubernetes_max``); ``providers.releases[]`` with ``provider``, ``version``,
    ``available``, ``end_of_standard_support``, ``end_of_extended_support``;
    ``providers.prices[]`` with ``provider``, ``support``, ``usd_per_cluster_hour`` (a string).
    """
    dump = _dump
    return {
        "meta": dump(catalog.meta),
        "kubernetes": {
            "releases": [dump(r) for r in catalog.releases],
            "skew": [dump(r) for r in catalog.skew],
            "upgrade": [dump(r) for r in catalog.upgrade],
        },
        "apis": [dump(a) for a in catalog.apis],
        "addons": [dump(a) for a in catalog.addons],
        "cves": [dump(c) for c in catalog.cves],
        "providers": {
            "releases": [dump(r) for r in catalog.provider_releases],
            "prices": [dump(p) for p in catalog.provider_prices],
        },
    }


def _dump(model: Any) -> Any:
    return model.model_dump(mode="json")
