"""Minted users authenticate with client certificates and RBAC applies to them."""

from __future__ import annotations

import pytest
from lightkube import codecs
from lightkube.core.exceptions import ApiError
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.core_v1 import ConfigMap

from kubecurrent import sandbox as sb
from tests.integration.conftest import SessionSandbox


def test_read_only_user_reads_but_cannot_write(cluster: SessionSandbox, namespace: str) -> None:
    admin = cluster.client()
    admin.create(
        ConfigMap(metadata=ObjectMeta(name="settings", namespace=namespace), data={"a": "1"})
    )
    admin.create(
        codecs.from_dict(
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "RoleBinding",
                "metadata": {"name": "readers-view", "namespace": namespace},
                "roleRef": {
                    "apiGroup": "rbac.authorization.k8s.io",
                    "kind": "ClusterRole",
                    "name": "view",
                },
                "subjects": [
                    {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "auditors"}
                ],
            }
        )
    )
    reader = cluster.client(sb.mint_user(cluster.name, "alice", ("auditors",)))

    assert [
        c.metadata.name
        for c in reader.list(ConfigMap, namespace=namespace)
        if c.metadata.name == "settings"
    ] == ["settings"]
    assert reader.get(ConfigMap, "settings", namespace=namespace).data == {"a": "1"}

    with pytest.raises(ApiError) as denied:
        reader.create(ConfigMap(metadata=ObjectMeta(name="mine", namespace=namespace)))
    assert denied.value.status.code == 403
    assert "alice" in (denied.value.status.message or "")

    with pytest.raises(ApiError) as other_ns:
        reader.list(ConfigMap, namespace="kube-system").__iter__().__next__()
    assert other_ns.value.status.code == 403
