"""A fleet of sandboxes from a fleet file, reachable through one kubeconfig."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml
from lightkube import Client, KubeConfig
from lightkube.resources.core_v1 import Node

from kubecurrent import sandbox as sb
from kubecurrent.sandbox import _fleet
from tests.integration.conftest import SessionSandbox, guard


def test_three_sandbox_fleet_with_one_kubeconfig(sandbox_home: Path, tmp_path: Path) -> None:
    spec_file = tmp_path / "fleet.yaml"
    spec_file.write_text(
        yaml.safe_dump(
            {
                "name": "trio",
                "clusters": [
                    {"name": "f-dev", "version": "1.36", "pools": ["default=1"]},
                    {"name": "f-stage", "version": "1.36", "pools": ["a=1@1.35.4", "b=1@1.34.3"]},
                    {"name": "f-prod", "version": "1.37", "pools": ["default=2@1.36.3"]},
                ],
            }
        )
    )
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "kubecurrent",
            "sandbox",
            "fleet",
            "up",
            "--file",
            str(spec_file),
            "-o",
            "yaml",
        ],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    try:
        rows = yaml.safe_load(out.stdout)
        assert [(r["name"], r["version"], r["phase"]) for r in rows] == [
            ("f-dev", "v1.36.3", "running"),
            ("f-stage", "v1.36.3", "running"),
            ("f-prod", "v1.37.2", "running"),
        ]
        kubeconfig = _fleet.kubeconfig_path("trio")
        assert kubeconfig.is_file() and oct(kubeconfig.stat().st_mode & 0o777) == "0o600"
        config = KubeConfig.from_file(kubeconfig)
        assert sorted(config.contexts) == ["f-dev", "f-prod", "f-stage"]
        kubelets = {}
        for name in config.contexts:
            guard(SessionSandbox(name, sandbox_home), sb.run_dir(name) / "kubeconfig")
            client = Client(config.get(context_name=name))
            kubelets[name] = sorted(n.status.nodeInfo.kubeletVersion for n in client.list(Node))
        assert kubelets == {
            "f-dev": ["v1.36.3"],
            "f-stage": ["v1.34.3", "v1.35.4"],
            "f-prod": ["v1.36.3", "v1.36.3"],
        }
    finally:
        stopped = _fleet.down("trio")
    assert sorted(stopped) == ["f-dev", "f-prod", "f-stage"]
    assert not _fleet.kubeconfig_path("trio").exists()
