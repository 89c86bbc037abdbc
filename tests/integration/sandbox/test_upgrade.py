"""A real control-plane upgrade: new binaries over the same etcd data."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.core_v1 import ConfigMap, Node

from kubecurrent import sandbox as sb
from kubecurrent.errors import SandboxStateError, UsageError
from kubecurrent.sandbox import _launch, _process
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

        # The API server ends kwok's open watches when told to stop: it exits on SIGTERM, well
        # within the grace period, instead of being killed after it (every swap would wait).
        processes = sb.require(box.name).processes
        assert _process.alive(processes["kwok"])
        for component in ("kube-scheduler", "kube-controller-manager"):
            _process.stop(processes[component])
        stopped = _process.stop(processes["kube-apiserver"], timeout=10)
        assert stopped is _process.Stopped.TERMINATED
    finally:
        sb.down(box.name)


def test_failed_upgrade_rolls_back_to_the_previous_control_plane(
    sandbox_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    box = start_sandbox(sandbox_home, "rollback", "1.36", ("default=1",))
    try:
        box.client().create(ConfigMap(metadata=ObjectMeta(name="keep", namespace="default")))
        real = _launch.apiserver_argv

        def broken_137(binary: Path, *rest: Any) -> list[str]:
            argv = real(binary, *rest)
            return [*argv, "--no-such-flag"] if "v1.37" in str(binary) else argv

        monkeypatch.setattr(_launch, "apiserver_argv", broken_137)
        with pytest.raises(SandboxStateError, match=r"rolled back to v1\.36\.3") as failed:
            sb.upgrade(box.name, "1.37", timeout=60)
        assert "unknown flag: --no-such-flag" in str(failed.value.__cause__)

        state = sb.require(box.name)
        assert state.version == "v1.36.3" and state.phase() == "running"
        assert sb.server_version(state) == "v1.36.3"
        assert box.client().get(ConfigMap, "keep", namespace="default").metadata is not None
        assert "rolled back to v1.36.3" in state.events[-1]
    finally:
        sb.down(box.name)
