"""A real API server's ``/metrics`` read in protobuf (what the scan asks for first) names the
same deprecated API requests as its text format."""

from __future__ import annotations

import asyncio

from lightkube.generic_resource import create_global_resource

from kubecurrent.collect.cluster import ClusterTarget, connection
from kubecurrent.collect.cluster._api import ClusterApi
from kubecurrent.collect.cluster._metrics import ACCEPT, DeprecatedRequest, deprecated_requests
from tests.integration.conftest import SessionSandbox, guard

FlowSchemaV1beta3 = create_global_resource(
    "flowcontrol.apiserver.k8s.io", "v1beta3", "FlowSchema", "flowschemas"
)


async def _both(
    box: SessionSandbox,
) -> tuple[str, list[DeprecatedRequest], list[DeprecatedRequest]]:
    api = ClusterApi(connection(ClusterTarget(name=box.name, kubeconfig=box.kubeconfig)))
    try:
        content_type, body = await api.typed_body("/metrics", ACCEPT)
        text_type, text = await api.typed_body("/metrics", "text/plain")
    finally:
        await api.close()
    assert text_type.startswith("text/plain")
    return (
        content_type,
        deprecated_requests(content_type, body),
        deprecated_requests(text_type, text),
    )


def test_protobuf_and_text_metrics_name_the_same_deprecated_requests(
    cluster131: SessionSandbox,
) -> None:
    guard(cluster131, cluster131.kubeconfig)
    list(cluster131.client().list(FlowSchemaV1beta3))  # a request through a deprecated API

    content_type, from_protobuf, from_text = asyncio.run(_both(cluster131))

    assert content_type.startswith("application/vnd.google.protobuf")
    assert from_protobuf == from_text
    assert ("flowcontrol.apiserver.k8s.io/v1beta3", "flowschemas") in {
        (r.api_version, r.resource) for r in from_protobuf
    }
