"""A Helm release left ``pending-upgrade`` by a killed helm is waited for, rolled back, then upgraded."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

from kubecurrent import sandbox as sb
from kubecurrent.execute import read_audit
from kubecurrent.sandbox._build import binary_path
from kubecurrent.sandbox._components import HELM
from tests.integration.conftest import start_sandbox, wait_for
from tests.integration.execute.conftest import CHARTS, helm, install_demo, kubecurrent


def test_a_release_left_pending_by_a_killed_helm_is_recovered(
    sandbox_home: Path, tmp_path: Path
) -> None:
    box = start_sandbox(sandbox_home, "helm-pending", "1.36", ("default=2",))
    try:
        install_demo(box, "1.0.0")
        # 1.2.0 never becomes available, so this helm waits; killing it leaves pending-upgrade.
        stuck = subprocess.Popen(
            [
                str(binary_path(HELM, "helm")),
                "--kubeconfig",
                str(box.kubeconfig),
                "upgrade",
                "demo",
                str(CHARTS / "demo-addon-1.2.0"),
                "-n",
                "addons",
                "--wait",
                "--timeout",
                "300s",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

        def pending() -> bool:
            out = helm(box, "status", "demo", "-n", "addons", "-o", "json")
            return bool(json.loads(out)["info"]["status"] == "pending-upgrade")

        wait_for(pending, "the release to be pending-upgrade", timeout=60)
        stuck.send_signal(signal.SIGKILL)
        stuck.wait()
        plan = {
            "target": "1.36",
            "clusters": [
                {
                    "name": "helm-pending",
                    "status": "ok",
                    "from": "1.36.3",
                    "target": "1.36.3",
                    "reasons": [],
                    "alternatives": [],
                    "blue_green": None,
                    "totals": {},
                    "steps": [
                        {
                            "order": 1,
                            "hop": 0,
                            "why": "test",
                            "without": "test",
                            "type": "addon",
                            "target": "demo-addon",
                            "from": "1.0.0",
                            "to": "1.1.0",
                        }
                    ],
                }
            ],
            "groups": [],
        }
        plan_file = tmp_path / "plan.json"
        plan_file.write_text(json.dumps(plan))
        audit = tmp_path / "audit.jsonl"

        started = time.monotonic()
        done = kubecurrent(box, audit, "--plan", str(plan_file), "--helm-timeout", "10")

        assert done.returncode == 0, done.stdout + done.stderr
        assert time.monotonic() - started >= 10  # it waited for the other helm first
        history = json.loads(helm(box, "history", "demo", "-n", "addons", "-o", "json"))
        assert [h["chart"] for h in history] == [
            "demo-addon-1.0.0",
            "demo-addon-1.2.0",
            "demo-addon-1.0.0",
            "demo-addon-1.1.0",
        ]
        assert history[-1]["status"] == "deployed"
        recovered = [r for r in read_audit(audit) if r["action"] == "helm.recover"]
        assert len(recovered) == 1 and "pending-upgrade at revision 2" in recovered[0]["detail"]
    finally:
        sb.down(box.name)
