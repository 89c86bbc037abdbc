"""A real control-plane upgrade: new binaries over the same etcd data."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.core_v1 import ConfigMap, Node

from kubecurrent import sandbox as sb
from kubecurrent.errors import UsageError
from tests.integration.conftest import start_sandbox, wait_for


def test_upgrade_136_to_137_keeps_objects_and_serves_137(sandbox_home: Path) -> None:
    box = start_sandbox(sandbox_home, "upgrade", "1.36", ("default=2@1.35.4",))
    try:
        client = box.client()
        client.create(
            ConfigMap(metadata=ObjectMeta(name="survivor", namespace="default"), data={"k": "v"})
        )
        assert sb.server_version(sb.require(box.name)) == "v1.36.3"

        for refused in ("1.38", "1.35", "1.36"):
            with pytest.raises(UsageError, match="one minor at a time"):
                sb.upgrade(box.name, refused)
        assert sb.server_version(sb.require(box.name)) == "v1.36.3"

        state = sb.upgrade(box.name, "1.37")

        assert sb.server_version(state) == "v1.37.2"
        binary = Path(state.processes["kube-apiserver"].argv[0])
        out = subprocess.run([str(binary), "--version"], capture_output=True, text=True, check=True)
        assert out.stdout.strip() == "Kubernetes v1.37.2"
        client = box.client()
        assert client.get(ConfigMap, "survivor", namespace="default").data == {"k": "v"}
        nodes = list(client.list(Node))
        assert {n.status.nodeInfo.kubeletVersion for n in nodes} == {"v1.35.4"}
        wait_for(
            lambda: all(
                c.status == "True"
                for n in client.list(Node)
                for c in n.status.conditions
                if c.type == "Ready"
            ),
            "nodes Ready after the upgrade",
        )
        assert any("v1.36.3 -> v1.37.2" in e for e in sb.require(box.name).events)
    finally:
        sb.down(box.name)
