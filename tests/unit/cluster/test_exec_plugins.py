"""A kubeconfig's exec credential plugin is bounded in time and never left running (issue #18).

The plugin here is a shell script that starts a child and then hangs, like a plugin waiting for
a browser login. The clients are lightkube's own, configured from a kubeconfig as kubecurrent
configures them; the API server address is never reached because the token never comes.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import psutil
import pytest
from lightkube import AsyncClient, Client, KubeConfig
from lightkube.core.exceptions import ConfigError
from lightkube.resources.core_v1 import Namespace

import kubecurrent.collect.cluster  # noqa: F401 - installs the bounded runners, as the CLI does
from kubecurrent.collect import exec_plugins


def hanging_plugin(tmp_path: Path) -> tuple[Path, Path]:
    pid_file = tmp_path / "child.pid"
    script = tmp_path / "get-token"
    script.write_text(f"#!/bin/sh\nsleep 300 &\necho $! > {pid_file}\nwait\n")
    script.chmod(0o755)
    return script, pid_file


def config(plugin: Path) -> KubeConfig:
    return KubeConfig.from_dict(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:9"}}],
            "users": [
                {
                    "name": "u",
                    "user": {
                        "exec": {
                            "apiVersion": "client.authentication.k8s.io/v1beta1",
                            "command": str(plugin),
                            "args": ["--cluster-name", "prod"],
                        }
                    },
                }
            ],
            "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
            "current-context": "x",
        }
    )


def wait_gone(pid_file: Path) -> bool:
    deadline = time.monotonic() + 10
    while not pid_file.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    pid = int(pid_file.read_text())
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.05)
    return False


def test_a_hanging_plugin_is_stopped_at_its_time_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(exec_plugins, "EXEC_TIMEOUT", 1.0)
    plugin, pid_file = hanging_plugin(tmp_path)
    client = Client(config(plugin))
    started = time.monotonic()
    with pytest.raises(ConfigError, match="exec credential plugin get-token did not finish"):
        client.get(Namespace, "default")
    assert time.monotonic() - started < 15
    assert wait_gone(pid_file), "the plugin's child is still running"


def test_a_cancelled_request_stops_its_plugin(tmp_path: Path) -> None:
    plugin, pid_file = hanging_plugin(tmp_path)

    async def give_up() -> None:
        client = AsyncClient(config(plugin))
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(client.get(Namespace, "default"), 1.0)

    asyncio.run(give_up())
    assert wait_gone(pid_file), "a cancelled request left its plugin running"


def test_a_failing_plugin_says_why() -> None:
    with pytest.raises(ConfigError, match=r"exited with code 3: no SSO session"):
        exec_plugins.sync_check_output(["sh", "-c", "echo no SSO session >&2; exit 3"], {})
