"""Cluster-scan fixtures: a 1.31 sandbox (still serving flowcontrol v1beta3) shared by this
package, a namespace per test on it, and helpers that collect and judge an inventory."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from lightkube.core.exceptions import ApiError
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.core_v1 import Namespace

from kubecurrent import sandbox as sb
from kubecurrent.analyze.cluster import check_inventory
from kubecurrent.catalog import Catalog, load_catalog
from kubecurrent.collect.cluster import ClusterTarget, CollectOptions, collect_cluster
from kubecurrent.model import MinorVersion
from kubecurrent.model.findings import Finding
from kubecurrent.model.inventory import ClusterInventory
from tests.integration.conftest import SessionSandbox, guard, start_sandbox

TODAY = dt.date(2026, 11, 25)


@pytest.fixture(scope="session")
def cluster131(sandbox_home: Path) -> Iterator[SessionSandbox]:
    box = start_sandbox(sandbox_home, "k131", "1.31", ("default=2", "old=1@1.29.4"))
    yield box
    sb.down(box.name)


@pytest.fixture
def ns131(cluster131: SessionSandbox) -> Iterator[str]:
    name = f"t131-{uuid.uuid4().hex[:8]}"
    client = cluster131.client()
    client.create(Namespace(metadata=ObjectMeta(name=name)))
    yield name
    with contextlib.suppress(ApiError):
        client.delete(Namespace, name)


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()


def collect(
    box: SessionSandbox, catalog: Catalog, kubeconfig: Path | None = None, **opts: object
) -> ClusterInventory:
    path = kubeconfig or box.kubeconfig
    guard(box, path)
    target = ClusterTarget(name=box.name, kubeconfig=path)
    options = CollectOptions(today=TODAY, **opts)  # type: ignore[arg-type]
    return asyncio.run(collect_cluster(target, catalog, options))


def findings(inv: ClusterInventory, catalog: Catalog, target: str) -> list[Finding]:
    return check_inventory(inv, catalog, MinorVersion.parse(target), TODAY)
