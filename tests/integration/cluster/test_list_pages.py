"""A list is read in one request after its first page when it is small, paginated otherwise:
the same objects either way, against a real API server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.core_v1 import ConfigMap

from kubecurrent.collect.cluster import ClusterTarget, _api, connection
from kubecurrent.collect.cluster._api import ClusterApi, Resource
from kubecurrent.collect.cluster._metadata import METADATA_PAGE
from tests.integration.conftest import SessionSandbox, guard

CONFIGMAPS = Resource("", "v1", "configmaps", "ConfigMap")
LIMIT = 5
LABEL = "kubecurrent.dev/list-pages"


def _names(pages: list[list[str]]) -> set[str]:
    return {name for page in pages for name in page}


async def _read(box: SessionSandbox, mode: str, labels: str | None = None) -> list[list[str]]:
    """The names of every ConfigMap page by page, read as ``mode`` says."""
    api = ClusterApi(connection(ClusterTarget(name=box.name, kubeconfig=box.kubeconfig)))
    try:
        pages: AsyncIterator[Sequence[Any]]
        if mode == "records":
            pages = api.records(CONFIGMAPS, METADATA_PAGE, metadata_only=True, limit=LIMIT)
            return [[f"{i.metadata.namespace}/{i.metadata.name}" for i in p] async for p in pages]
        pages = api.pages(CONFIGMAPS, labels=labels, limit=LIMIT)
        return [
            [f"{o['metadata']['namespace']}/{o['metadata']['name']}" for o in p]
            async for p in pages
        ]
    finally:
        await api.close()


@pytest.fixture
def configmaps(cluster: SessionSandbox, namespace: str) -> set[str]:
    guard(cluster, cluster.kubeconfig)
    client = cluster.client()
    names = {f"list-{i}" for i in range(3 * LIMIT)}
    for name in names:
        meta = ObjectMeta(name=name, namespace=namespace, labels={LABEL: namespace})
        client.create(ConfigMap(metadata=meta, data={"k": "v"}))
    return {f"{namespace}/{n}" for n in names}


@pytest.mark.parametrize("mode", ["dicts", "records"])
def test_a_small_list_comes_whole_in_one_page_with_the_objects_pages_give(
    mode: str, cluster: SessionSandbox, configmaps: set[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = asyncio.run(_read(cluster, mode))
    monkeypatch.setattr(_api, "WHOLE_LIST_BYTES", 0)  # no list is small: every one paginated
    paged = asyncio.run(_read(cluster, mode))

    assert len(whole) == 1 and len(whole[0]) > LIMIT  # one unpaginated read
    assert len(paged) > 1 and all(len(p) <= LIMIT for p in paged)
    # Only this test's objects are compared: other tests' namespaces may still be going away.
    assert _names(whole) & configmaps == _names(paged) & configmaps == configmaps
    assert sum(map(len, whole)) == len(_names(whole))  # the first page was not kept twice


def test_a_list_the_server_does_not_count_stays_paginated(
    cluster: SessionSandbox, namespace: str, configmaps: set[str]
) -> None:
    selector = f"{LABEL}={namespace}"  # with a label selector the server counts nothing
    pages = asyncio.run(_read(cluster, "dicts", labels=selector))

    assert [len(p) for p in pages if p] == [LIMIT, LIMIT, LIMIT]  # (a last page may be empty)
    assert _names(pages) == configmaps
