"""Node pool specs and the Node objects kwok manages."""

from __future__ import annotations

import pytest

from kubecurrent.errors import UsageError
from kubecurrent.sandbox._nodes import KWOK_ANNOTATION, POOL_LABEL, node_manifest, parse_pool


def test_pool_with_and_without_kubelet_version() -> None:
    assert parse_pool("workers=3@1.34.2", "1.36").kubelet_version == "v1.34.2"
    infra = parse_pool("infra=2", "v1.36.3")
    assert (infra.name, infra.count, infra.kubelet_version) == ("infra", 2, "v1.36.3")
    assert parse_pool("old=1@v1.33", "1.36").kubelet_version == "v1.33.0"


@pytest.mark.parametrize(
    "bad", ["workers", "workers=x", "Workers=1", "w=1@latest", "=3", "w=99999"]
)
def test_bad_pool_specs_are_refused_with_an_example(bad: str) -> None:
    with pytest.raises(UsageError) as err:
        parse_pool(bad, "1.36")
    assert bad in err.value.message


def test_node_carries_pool_label_kwok_annotation_and_kubelet_version() -> None:
    node = node_manifest(parse_pool("gpu=2@1.35.1", "1.36"), 1)
    assert node["metadata"]["name"] == "gpu-1"
    assert node["metadata"]["labels"][POOL_LABEL] == "gpu"
    assert node["metadata"]["annotations"][KWOK_ANNOTATION[0]] == KWOK_ANNOTATION[1]
    assert node["status"]["nodeInfo"]["kubeletVersion"] == "v1.35.1"
    assert "spec" in node and "taints" not in node["spec"]  # workloads must land on it
