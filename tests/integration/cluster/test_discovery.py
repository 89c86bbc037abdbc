"""Discovery in one request (aggregated, 1.30+) finds what a request per group version finds."""

from __future__ import annotations

import asyncio

import pytest

from kubecurrent.catalog import Catalog
from kubecurrent.collect.cluster import ClusterTarget, connection
from kubecurrent.collect.cluster._api import ClusterApi, Resource
from kubecurrent.collect.cluster._discovery import Discovery
from kubecurrent.collect.cluster._watch import Watch
from tests.integration.conftest import SessionSandbox, guard


async def _both(box: SessionSandbox, catalog: Catalog) -> tuple[list[Resource], list[Resource]]:
    wanted = Watch.from_catalog(catalog).resources
    api = ClusterApi(connection(ClusterTarget(name=box.name, kubeconfig=box.kubeconfig)))
    try:
        at_once = await Discovery(api).resources(wanted)
        one_by_one = await Discovery(api, aggregated=False).resources(wanted)
    finally:
        await api.close()
    return at_once, one_by_one


@pytest.mark.parametrize("box", ["cluster", "cluster131"])
def test_aggregated_discovery_finds_the_resources_and_versions_of_group_requests(
    box: str, request: pytest.FixtureRequest, catalog: Catalog
) -> None:
    sandbox: SessionSandbox = request.getfixturevalue(box)
    guard(sandbox, sandbox.kubeconfig)

    at_once, one_by_one = asyncio.run(_both(sandbox, catalog))

    assert at_once == one_by_one
    found = {(r.group, r.plural): r for r in at_once}
    assert found[("autoscaling", "horizontalpodautoscalers")].version == "v2"  # preferred first
    assert found[("", "endpoints")].namespaced and not found[("", "componentstatuses")].namespaced
    assert ("extensions", "ingresses") not in found  # removed long ago: not served
