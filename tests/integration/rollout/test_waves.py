"""A rollout in two waves with a canary and an approval gate, on a real sandbox fleet."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from kubecurrent.rollout import Store
from tests.integration.rollout.conftest import run_rollout, sandbox_fleet

STRATEGY = {
    "waves": [
        {"name": "canary", "select": {"env": "dev"}, "soak": "2s"},
        {"name": "prod", "approval": True, "concurrency": 2},
    ]
}


def test_canary_then_approved_wave_reaches_the_target_with_a_change_record(
    sandbox_home: Path, tmp_path: Path
) -> None:
    spec = [
        ("wv-dev", "1.36", ("default=2@1.35.4",), {"env": "dev"}),
        ("wv-prod-a", "1.36", ("system=1", "workers=2@1.34.3"), {"env": "prod"}),
        ("wv-prod-b", "1.36", ("workers=2@1.35.4",), {"env": "prod"}),
    ]
    strategy = tmp_path / "strategy.yaml"
    strategy.write_text(yaml.safe_dump(STRATEGY))
    with sandbox_fleet(sandbox_home, tmp_path, spec) as fleet:
        preview = run_rollout(
            fleet,
            "start",
            "--fleet",
            str(fleet.path),
            "--target",
            "1.36",
            "--strategy",
            str(strategy),
            "--dry-run",
            "-o",
            "json",
        )
        assert preview.returncode == 0, preview.stderr
        shown = json.loads(preview.stdout[preview.stdout.index("{") :])
        assert shown["waves"] == {"canary": ["wv-dev"], "prod": ["wv-prod-a", "wv-prod-b"]}
        assert {p["cluster"]: p["status"] for p in shown["plans"]} == {
            "wv-dev": "ok",
            "wv-prod-a": "ok",
            "wv-prod-b": "ok",
        }
        assert all(p["steps"] >= 2 for p in shown["plans"])  # pool rolls and the check
        assert not fleet.state.exists()  # a dry run records nothing

        # `kubecurrent plan` plans a live sandbox to the patches it runs (1.36.3), not the
        # catalog's newest 1.36 patch.
        planned = subprocess.run(
            [
                sys.executable,
                "-m",
                "kubecurrent",
                "plan",
                "--fleet",
                str(fleet.path),
                "--target",
                "1.36",
                "-o",
                "json",
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert planned.returncode == 0, planned.stderr
        tos = {s["to"] for c in json.loads(planned.stdout)["clusters"] for s in c["steps"]}
        assert tos == {"1.36.3"}, tos

        first = run_rollout(
            fleet,
            "start",
            "--fleet",
            str(fleet.path),
            "--target",
            "1.36",
            "--strategy",
            str(strategy),
            "--today",
            "2026-11-25",
            "--node-timeout",
            "240",
        )
        # The canary ran, then the gated wave stopped the driver: exit 3, waiting.
        assert first.returncode == 3, first.stdout + first.stderr
        rid = first.stdout.split()[1]
        status = json.loads(run_rollout(fleet, "status", rid, "-o", "json").stdout)
        waves = {w["name"]: w for w in status["waves"]}
        assert status["state"] == "waiting-approval"
        assert [c["state"] for c in waves["canary"]["clusters"]] == ["done"]
        assert waves["prod"]["state"] == "waiting-approval"
        assert {c["state"] for c in waves["prod"]["clusters"]} == {"pending"}

        # The approval repeats none of the start's options: the recorded ones are used.
        second = run_rollout(fleet, "approve", rid, "--note", "CAB-1234")
        assert second.returncode == 0, second.stdout + second.stderr

        status = json.loads(run_rollout(fleet, "status", rid, "-o", "json").stdout)
        assert status["state"] == "done"
        assert status["runner"]["node_timeout"] == 240.0
        assert status["runner"]["today"] == "2026-11-25"
        notes = [e.detail for e in Store(fleet.state).journal(rid)]
        assert not [n for n in notes if n.startswith("runner options changed")], notes
        clusters = [c for w in status["waves"] for c in w["clusters"]]
        assert {c["name"]: c["state"] for c in clusters} == {
            "wv-dev": "done",
            "wv-prod-a": "done",
            "wv-prod-b": "done",
        }
        for c in clusters:  # every pool rolled to the control plane's kubelet
            assert c["steps"] and all(s["state"] == "done" for s in c["steps"]), c
            assert {s["type"] for s in c["steps"]} >= {"node-pool"}
        approved = {w["name"]: w for w in status["waves"]}["prod"]
        assert approved["approved_by"] == "alice"

        # The canary finished before the prod wave started.
        canary_end = {w["name"]: w for w in status["waves"]}["canary"]["finished"]
        assert all(c["started"] >= canary_end for c in approved["clusters"])

        # Every step has exactly one completion in the journal.
        db = sqlite3.connect(fleet.state)
        done = db.execute(
            "SELECT ref, COUNT(*) FROM journal WHERE entity = 'step' AND to_state = 'done' "
            "GROUP BY ref"
        ).fetchall()
        assert done and all(n == 1 for _, n in done)
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            db.execute("DELETE FROM audit")
        db.rollback()
        db.close()

        md = run_rollout(fleet, "report", rid, "-o", "markdown").stdout
        assert "approved by alice" in md and "CAB-1234" in md
        assert "wv-prod-a: plan and steps" in md
        out = tmp_path / "report.html"
        run_rollout(fleet, "report", rid, "-o", "html", "--out", str(out))
        page = out.read_text()
        assert page.startswith("<!DOCTYPE html>") and "wv-prod-b" in page
