"""``kubecurrent upgrade`` on sandboxes: a whole 1.36 → 1.37 upgrade, and the ways it stops safely."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from lightkube.resources.core_v1 import Node

from kubecurrent import sandbox as sb
from kubecurrent.execute import read_audit
from tests.integration.conftest import SessionSandbox, start_sandbox
from tests.integration.execute.conftest import (
    AvailabilityWatch,
    available,
    deploy_web,
    helm,
    install_demo,
    kubecurrent,
)


@pytest.fixture(scope="module")
def stuck(sandbox_home: Path) -> Iterator[SessionSandbox]:
    """A 1.36 sandbox the failure tests share (nothing on it is ever upgraded)."""
    box = start_sandbox(sandbox_home, "stuck", "1.36", ("default=2@1.35.4",))
    yield box
    sb.down(box.name)


def pools(box: SessionSandbox) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for node in box.client().list(Node):
        pool = (node.metadata.labels or {}).get(sb.POOL_LABEL, "")
        out.setdefault(pool, set()).add(node.status.nodeInfo.kubeletVersion.removeprefix("v"))
    return out


def test_upgrade_136_to_137_end_to_end_never_breaks_the_pdb(
    sandbox_home: Path, tmp_path: Path
) -> None:
    box = start_sandbox(sandbox_home, "e2e", "1.36", ("default=3@1.35.4",))
    try:
        client = box.client()
        deploy_web(client, "shop", replicas=3, min_available=2)
        install_demo(box, "1.0.0")
        audit = tmp_path / "audit.jsonl"

        with AvailabilityWatch(client, "shop") as watch:
            done = kubecurrent(box, audit, "--target", "1.37")
        assert done.returncode == 0, done.stdout + done.stderr

        assert sb.require("e2e").version == "v1.37.2"
        assert pools(box) == {"default": {"1.37.2"}}
        assert {n.status.nodeInfo.kubeletVersion for n in box.client().list(Node)} == {"v1.37.2"}
        assert [(p.name, p.kubelet_version) for p in sb.require("e2e").pools] == [
            ("default", "v1.37.2")
        ]
        assert len(list(client.list(Node))) == 3
        releases = json.loads(helm(box, "list", "-n", "addons", "-o", "json"))
        assert [(r["name"], r["chart"]) for r in releases] == [("demo", "demo-addon-1.1.0")]
        values = json.loads(helm(box, "get", "values", "demo", "-n", "addons", "-o", "json"))
        assert values == {"greeting": "custom"}  # --reuse-values kept the user's values
        assert available(client, "shop") == 3
        assert watch.samples and min(watch.samples) >= 2, watch.samples
        assert (
            "now: control plane v1.37.2; node pools default v1.37.2; add-ons demo-addon 1.1.0"
            in done.stdout
        )

        records = read_audit(audit)
        actions = [r["action"] for r in records]
        assert actions[0] == "upgrade.start" and actions[-1] == "upgrade.end"
        assert records[-1]["outcome"] == "ok"
        done_steps = {(r["type"], r["after"]) for r in records if r["action"] == "step.done"}
        assert {
            ("control-plane", "v1.37.2"),
            ("node-pool", "v1.37.2"),
            ("addon", "1.1.0"),
        } <= done_steps
        assert actions.count("node.delete") == 3 and "pod.evict" in actions
        assert all(r["user"] and r["cluster"] == "e2e" and r["time"] for r in records)

        again = kubecurrent(box, audit, "--target", "1.37")
        assert again.returncode == 0, again.stderr
        assert "upgrade.start" in [r["action"] for r in read_audit(audit)[len(records) :]]
    finally:
        sb.down(box.name)


def _plan_file(tmp_path: Path, steps: list[dict[str, object]]) -> Path:
    plan = {
        "target": "1.36",
        "clusters": [
            {
                "name": "stuck",
                "status": "ok",
                "from": "1.36.3",
                "target": "1.36.3",
                "reasons": [],
                "alternatives": [],
                "blue_green": None,
                "totals": {},
                "steps": [
                    {"order": i, "hop": 0, "why": "test", "without": "test", **s}
                    for i, s in enumerate(steps, start=1)
                ],
            }
        ],
        "groups": [],
    }
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan))
    return path


def test_a_drain_blocked_by_a_pdb_stops_and_names_it(stuck: SessionSandbox, tmp_path: Path) -> None:
    client = stuck.client()
    deploy_web(client, "locked", replicas=2, min_available=2)
    plan = _plan_file(
        tmp_path,
        [
            {"type": "node-pool", "target": "default", "from": "1.35.4", "to": "1.36.3"},
        ],
    )
    audit = tmp_path / "audit.jsonl"

    done = kubecurrent(stuck, audit, "--plan", str(plan), "--node-timeout", "8")

    assert done.returncode == 1, done.stdout + done.stderr
    assert "PodDisruptionBudget locked/web (minAvailable 2, 0 disruptions allowed)" in done.stderr
    assert "Deployment locked/web" in done.stderr
    assert available(client, "locked") == 2  # nothing was deleted behind the PDB's back
    records = read_audit(audit)
    assert records[-1]["action"] == "upgrade.end" and records[-1]["outcome"] == "failed"
    assert not any(r["action"] == "pod.force-delete" for r in records)


def test_a_failing_addon_upgrade_is_rolled_back(stuck: SessionSandbox, tmp_path: Path) -> None:
    install_demo(stuck, "1.0.0")
    plan = _plan_file(
        tmp_path,
        [
            {"type": "addon", "target": "demo-addon", "from": "1.0.0", "to": "1.2.0"},
        ],
    )
    audit = tmp_path / "audit.jsonl"

    done = kubecurrent(stuck, audit, "--plan", str(plan), "--helm-timeout", "15")

    assert done.returncode == 1, done.stdout + done.stderr
    assert (
        "upgrading add-on demo-addon" in done.stderr and "rolled back to revision 1" in done.stderr
    )
    history = json.loads(helm(stuck, "history", "demo", "-n", "addons", "-o", "json"))
    assert [h["chart"] for h in history] == [
        "demo-addon-1.0.0",
        "demo-addon-1.2.0",
        "demo-addon-1.0.0",
    ]
    assert history[-1]["status"] == "deployed"
    assert any(r["action"] == "helm.rollback" and r["outcome"] == "ok" for r in read_audit(audit))
