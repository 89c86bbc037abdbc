"""Failure budgets (halt, or mark and go on) and a closed maintenance window holding a wave."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from kubecurrent import sandbox as sb
from kubecurrent.catalog import load_catalog
from kubecurrent.execute import Clock
from kubecurrent.rollout import ClusterRef, Engine, Store, create, load_strategy, snapshot
from kubecurrent.runner import RunSettings, SandboxAwareRun
from tests.integration.conftest import guard, start_sandbox, start_sandboxes
from tests.integration.rollout.conftest import Fleet, FleetMember, run_rollout, write_fleet


def test_failure_budget_halts_or_marks_the_failed_cluster_and_goes_on(
    sandbox_home: Path, tmp_path: Path
) -> None:
    doomed, *live = start_sandboxes(
        sandbox_home,
        [
            ("bd-a-gone", "1.36", ("default=1",)),
            ("bd-b", "1.36", ("default=2@1.35.4",)),
            ("bd-c", "1.36", ("default=2@1.35.4",)),
        ],
    )
    try:
        guard(doomed, doomed.kubeconfig)
        kept = Path(shutil.copy(doomed.kubeconfig, tmp_path / "gone.kubeconfig"))
        sb.down(doomed.name)
        members = [FleetMember(b, {"env": "prod"}) for b in live]
        path = write_fleet(members, tmp_path / "fleet.yaml")
        data = yaml.safe_load(path.read_text())
        data["clusters"].insert(
            0,
            {
                "name": "bd-a-gone",
                "kubeconfig": str(kept),
                "context": "bd-a-gone",
                "labels": {"env": "prod"},
                "timeout": 10,
            },
        )
        path.write_text(yaml.safe_dump(data))
        fleet = Fleet(members, path, tmp_path / "rollouts.db")

        strict = tmp_path / "strict.yaml"
        strict.write_text(yaml.safe_dump({"waves": [{"name": "prod", "concurrency": 1}]}))
        halted = run_rollout(
            fleet, "start", "--fleet", str(path), "--target", "1.36", "--strategy", str(strict)
        )
        assert halted.returncode == 4, halted.stdout + halted.stderr
        assert "halted" in halted.stdout
        assert "bd-a-gone" in halted.stderr and "no cluster may fail" in halted.stderr
        status = json.loads(run_rollout(fleet, "status", "-o", "json").stdout)
        assert status["state"] == "halted" and "bd-a-gone" in status["detail"]
        states = {c["name"]: c["state"] for c in status["waves"][0]["clusters"]}
        assert states == {"bd-a-gone": "failed", "bd-b": "pending", "bd-c": "pending"}
        gone = status["waves"][0]["clusters"][0]
        assert "bd-a-gone" in gone["detail"] or "reach" in gone["detail"], gone

        lenient = tmp_path / "lenient.yaml"
        lenient.write_text(
            yaml.safe_dump(
                {"waves": [{"name": "prod", "concurrency": 1, "failureBudget": {"clusters": 1}}]}
            )
        )
        went_on = run_rollout(
            fleet, "start", "--fleet", str(path), "--target", "1.36", "--strategy", str(lenient)
        )
        assert went_on.returncode == 1, went_on.stdout + went_on.stderr  # done, one failed
        status = json.loads(run_rollout(fleet, "status", "-o", "json").stdout)
        states = {c["name"]: c["state"] for c in status["waves"][0]["clusters"]}
        assert states == {"bd-a-gone": "failed", "bd-b": "done", "bd-c": "done"}
        assert status["state"] == "done" and "bd-a-gone" in status["detail"]
    finally:
        sb.down_many(b.name for b in (doomed, *live) if sb.load(b.name) is not None)


class ControlledClock:
    """A wall clock the test moves: ``sleep`` advances it instead of waiting."""

    def __init__(self, start: dt.datetime) -> None:
        self.current = start
        self.slept: list[float] = []

    def now(self) -> dt.datetime:
        return self.current

    def monotonic(self) -> float:
        return self.current.timestamp()

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.current += dt.timedelta(seconds=seconds)


def test_closed_window_holds_the_wave_until_it_opens(sandbox_home: Path, tmp_path: Path) -> None:
    box = start_sandbox(sandbox_home, "win-prod", "1.36", ("default=2@1.35.4",))
    try:
        guard(box, box.kubeconfig)
        strategy_file = tmp_path / "strategy.yaml"
        strategy_file.write_text(
            yaml.safe_dump(
                {
                    "waves": [{"name": "prod"}],
                    "windows": [
                        {
                            "name": "prod-nights",
                            "select": {"env": "prod"},
                            "days": ["mon"],
                            "start": "22:00",
                            "duration": "2h",
                            "timezone": "Europe/Berlin",
                        }
                    ],
                }
            )
        )
        berlin = ZoneInfo("Europe/Berlin")
        clock = ControlledClock(dt.datetime(2026, 11, 30, 10, 0, tzinfo=berlin))  # a Monday
        store = Store(tmp_path / "rollouts.db")
        ref = ClusterRef("win-prod", box.kubeconfig, box.name, {"env": "prod"}, 60)
        rid = create(
            store,
            clusters=[ref],
            target="1.36",
            strategy=load_strategy(strategy_file),
            fleet="test",
            actor="tester",
            now=clock.now(),
        )
        settings = RunSettings(catalog=load_catalog(), today=dt.date(2026, 11, 30))
        engine = Engine(
            store=store,
            runners=lambda r: SandboxAwareRun(r, settings),
            actor="tester",
            clock=Clock(monotonic=clock.monotonic, sleep=clock.sleep, now=clock.now),
            poll=600,
        )

        assert engine.drive(rid) == "done"

        snap = snapshot(store, rid)
        member = snap["waves"][0]["clusters"][0]
        opens = dt.datetime(2026, 11, 30, 22, 0, tzinfo=berlin)
        assert dt.datetime.fromisoformat(member["started"]) == opens
        assert member["state"] == "done"
        held = [
            j
            for j in store.journal(rid)
            if j.entity == "cluster" and j.to_state == "waiting-window"
        ]
        assert len(held) == 1
        assert "outside maintenance window prod-nights" in held[0].detail
        assert "2026-11-30T21:00:00+00:00" in held[0].detail  # 22:00 in Berlin
        assert sum(clock.slept) == (opens - dt.datetime(2026, 11, 30, 10, 0, tzinfo=berlin)).seconds
    finally:
        sb.down(box.name)
