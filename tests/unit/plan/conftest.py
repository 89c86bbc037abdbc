"""Shared fixtures: the built-in catalog and a compact way to write a cluster."""

from __future__ import annotations

from typing import Any

import pytest

from kubecurrent.catalog import Catalog, load_catalog
from kubecurrent.model.inventory import ClusterInventory


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()


def cluster(
    cp: str,
    pools: dict[str, str] | None = None,
    addons: dict[str, str] | None = None,
    name: str = "c1",
    **extra: Any,
) -> ClusterInventory:
    """``cluster("1.27.9", {"general": "1.26.12"}, {"cert-manager": "1.12.3"})``."""
    return ClusterInventory.model_validate(
        {
            "name": name,
            "controlPlane": cp,
            "nodePools": [{"name": n, "kubelet": v, "nodes": 3} for n, v in (pools or {}).items()],
            "addons": [{"name": n, "version": v} for n, v in (addons or {}).items()],
            **extra,
        }
    )
