"""Google GKE end to end, against the GKE API test double backed by a real sandbox.

The double (``double.py``; Google Cloud cannot be reached from the tests) serves the GKE
cluster ``web`` of project ``shop`` in europe-west1 on the REGULAR channel: a 1.36 sandbox with
the surge node pool ``default-pool`` of two kwok nodes (``cloud.google.com/gke-nodepool``) and a
web Deployment behind a PodDisruptionBudget (minAvailable 3 of 4). Project ``legacy`` holds a
cluster on the STABLE channel (no 1.37 there), project ``denied`` refuses the credentials.
kubecurrent runs as a user runs it, in a subprocess whose environment points google-auth at a
service-account key of the double and the SDK at the double (``KUBECURRENT_GKE_ENDPOINT``):
``inventory``, ``plan`` and ``rollout start --provider gke`` to 1.37 with ``--discover gke``,
the PDB-protected Deployment watched throughout. The maintenance-exclusion test drives the
rollout engine in-process on a test clock.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from dateutil import rrule as oracle
from lightkube.resources.core_v1 import Node

from kubecurrent import sandbox as sb
from kubecurrent.catalog import load_catalog
from kubecurrent.collect.clouds import GkeRef
from kubecurrent.collect.gke import reset_clients
from kubecurrent.execute import Clock
from kubecurrent.rollout import ClusterRef, Engine, Store, create, default_strategy, snapshot
from kubecurrent.rollout import Member as StrategyMember
from kubecurrent.runner import RunSettings, SandboxAwareRun
from tests.integration.conftest import SessionSandbox
from tests.integration.execute.conftest import AvailabilityWatch, deploy_web
from tests.integration.rollout.test_budget_and_windows import ControlledClock

from .double import GkeDouble, PoolSpec

pytestmark = pytest.mark.integration

PROJECT, LOCATION, CLUSTER, SANDBOX = "shop", "europe-west1", "web", "gke-web"
MIN_AVAILABLE = 3


@pytest.fixture(scope="module")
def web(gke_double: GkeDouble, sandbox_home: Path) -> Iterator[SessionSandbox]:
    gke_double.start_sandbox(SANDBOX, "1.36")
    gke_double.add_cluster(
        PROJECT, LOCATION, CLUSTER, SANDBOX, pools=[PoolSpec("default-pool", 2, max_surge=1)]
    )
    gke_double.add_cluster("legacy", "us-central1", "old", SANDBOX, channel="STABLE")
    gke_double.deny_project("denied")
    box = SessionSandbox(SANDBOX, sandbox_home)
    deploy_web(box.client(), "shop", replicas=4, min_available=MIN_AVAILABLE)
    yield box


def kubecurrent(
    double: GkeDouble, *args: str, env: dict[str, str] | None = None, timeout: float = 1500
) -> subprocess.CompletedProcess[str]:
    """The CLI as a user runs it, its Google environment pointing at the double only."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("GOOGLE_", "CLOUDSDK_"))}
    return subprocess.run(
        [sys.executable, "-m", "kubecurrent", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=base | (double.env() if env is None else env) | {"KUBECURRENT_ACTOR": "alice"},
    )


def test_bad_input_names_the_cluster_or_project_and_the_next_step(
    gke_double: GkeDouble, web: SessionSandbox
) -> None:
    no_key = {k: v for k, v in gke_double.env().items() if k != "GOOGLE_APPLICATION_CREDENTIALS"}
    anonymous = kubecurrent(
        gke_double, "inventory", "--discover", "gke", "--projects", PROJECT, env=no_key
    )
    assert anonymous.returncode == 1, anonymous.stderr
    assert f"not discovered: GKE in {PROJECT}: no Google credentials found" in anonymous.stderr
    assert "gcloud auth application-default login" in anonymous.stderr

    partial = kubecurrent(
        gke_double,
        "-o",
        "json",
        "inventory",
        "--discover",
        "gke",
        "--projects",
        f"denied,{PROJECT}",
    )
    assert partial.returncode == 0, partial.stderr  # the other project went on
    assert [i["name"] for i in json.loads(partial.stdout)["inventories"]] == [CLUSTER]
    assert "not discovered: GKE in denied" in partial.stderr
    assert "PERMISSION_DENIED" in partial.stderr
    assert 'Required "container.clusters.list" permission(s)' in partial.stderr
    assert "roles/container.viewer" in partial.stderr

    listed = Path(gke_double.key_file).parent / "fleet.yaml"
    listed.write_text(
        f"clusters:\n  - gke: {{project: {PROJECT}, location: {LOCATION}, name: {CLUSTER}}}\n"
        f"  - gke: {{project: {PROJECT}, location: {LOCATION}, name: vanished}}\n"
    )
    gone = kubecurrent(gke_double, "-o", "json", "inventory", "--fleet", str(listed))
    assert gone.returncode == 5, gone.stderr  # partial: the listed cluster that exists was read
    assert f"GKE cluster projects/{PROJECT}/locations/{LOCATION}/clusters/vanished" in gone.stderr
    assert "NOT_FOUND" in gone.stderr and "may have been deleted" in gone.stderr

    stable = kubecurrent(
        gke_double, "-o", "json", "plan", "--discover", "gke", "--projects", "legacy",
        "--target", "1.37",
    )  # fmt: skip
    plan = json.loads(stable.stdout)["clusters"][0]
    assert plan["status"] == "blocked", plan
    reason = " ".join(plan["reasons"])
    assert "GKE does not offer Kubernetes 1.37 for cluster old" in reason
    assert "the STABLE channel in us-central1 (1.35, 1.36)" in reason
    assert "RAPID" in reason  # the next step: a channel that offers it


def test_discover_plan_and_roll_out_to_1_37(
    gke_double: GkeDouble, web: SessionSandbox, tmp_path: Path
) -> None:
    kubeconfig = tmp_path / "gke.kubeconfig"
    found = kubecurrent(
        gke_double, "-o", "json", "inventory", "--discover", "gke", "--projects", PROJECT,
        "--write-kubeconfig", str(kubeconfig),
    )  # fmt: skip
    assert found.returncode == 0, found.stderr
    written = yaml.safe_load(kubeconfig.read_text())
    assert [c["name"] for c in written["contexts"]] == [CLUSTER]
    assert written["users"][0]["user"]["exec"]["command"] == "gke-gcloud-auth-plugin"
    assert written["clusters"][0]["cluster"]["server"] == sb.require(SANDBOX).server
    inv = json.loads(found.stdout)["inventories"][0]
    managed = inv["managed"]
    assert managed["provider"] == "gke" and managed["channel"] == "REGULAR"
    assert managed["masterVersion"].startswith("1.36.") and "-gke." in managed["masterVersion"]
    pool = managed["nodePools"][0]
    assert (pool["name"], pool["strategy"], pool["maxSurge"]) == ("default-pool", "SURGE", 1)
    assert any(c["channel"] == "REGULAR" for c in managed["channels"])
    assert inv["labels"]["provider"] == "gke" and inv["labels"]["channel"] == "regular"
    assert [p["name"] for p in inv["nodePools"]] == ["default-pool"]

    planned = kubecurrent(
        gke_double, "-o", "json", "plan", "--discover", "gke", "--projects", PROJECT,
        "--target", "1.37",
    )  # fmt: skip
    assert planned.returncode == 0, planned.stderr
    steps = json.loads(planned.stdout)["clusters"][0]["steps"]
    kinds = [(s["type"], s["target"], s["managed_by"]) for s in steps]
    assert kinds.index(("control-plane", "control-plane", None)) < kinds.index(
        ("node-pool", "default-pool", "gke")
    )
    roll = next(s for s in steps if s["type"] == "node-pool")
    assert "surge (maxSurge 1, maxUnavailable 0)" in roll["why"]

    state = tmp_path / "rollouts.db"
    start = ("rollout", "start", "--discover", "gke", "--projects", PROJECT, "--provider", "gke",
             "--target", "1.37", "--state", str(state), "--poll", "0.2")  # fmt: skip
    gke_double.fail_next_operation(CLUSTER, "UPGRADE_MASTER", "Internal error: quota exhausted")
    failed = kubecurrent(gke_double, *start)
    assert failed.returncode == 4, failed.stdout + failed.stderr
    assert "GKE operation" in failed.stderr and "Internal error: quota exhausted" in failed.stderr
    rid = Store(state).latest()
    failure = next(r for r in Store(state).audit_records(rid) if r.action == "gke.operation-done")
    assert failure.outcome == "failed" and "quota exhausted" in failure.detail

    with AvailabilityWatch(web.client(), "shop") as watch:
        resumed = kubecurrent(
            gke_double, "rollout", "resume", rid, "--retry-failed", "--state", str(state),
            "--poll", "0.2",
        )  # fmt: skip
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert watch.samples and min(watch.samples) >= MIN_AVAILABLE, sorted(set(watch.samples))
    print(
        f"PDB watch: {len(watch.samples)} samples, available replicas {sorted(set(watch.samples))}"
    )

    assert gke_double.version_of(CLUSTER).startswith("1.37.")
    assert sb.require(SANDBOX).version.startswith("v1.37")
    kubelets = {
        n.status.nodeInfo.kubeletVersion
        for n in web.client().list(Node, labels={"cloud.google.com/gke-nodepool": "default-pool"})
        if n.status and n.status.nodeInfo
    }
    assert kubelets and all(k.startswith("v1.37.") for k in kubelets), kubelets

    audit = Store(state).audit_records(rid)
    calls = [(r.action, r.outcome) for r in audit]
    assert ("gke.UpdateMaster", "ok") in calls or any(a == "gke.UpdateMaster" for a, _ in calls)
    assert ("gke.operation-done", "failed") in calls  # the failed operation, audited
    assert any(a == "gke.UpdateNodePool" for a, _ in calls)
    pool_call = next(r for r in audit if r.action == "gke.UpdateNodePool")
    assert "strategy surge (maxSurge 1, maxUnavailable 0)" in pool_call.detail
    done = [r for r in audit if r.action == "step.done"]
    started = [r for r in audit if r.action == "step.start"]
    assert len(done) > 0 and len(started) >= len(done)  # every step audited from start to end
    print(f"audit: {len(audit)} records, {len(started)} steps started, {len(done)} done")
    updates = [rpc for rpc, _ in gke_double.requests() if rpc.startswith("Update")]
    print(f"GKE requests: {updates}")
    assert updates.count("UpdateMaster") == 2  # the failed one, and the one after resume
    assert updates.count("UpdateNodePool") == 1


def test_a_maintenance_exclusion_holds_the_wave_until_it_ends(
    gke_double: GkeDouble, web: SessionSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in gke_double.env().items():
        monkeypatch.setenv(key, value)
    reset_clients()  # this process's GKE client and credentials, from the double's environment
    start = dt.datetime.now(dt.UTC).replace(microsecond=0)
    ends = start + dt.timedelta(days=2)
    gke_double.add_exclusion(CLUSTER, "holiday-freeze", start - dt.timedelta(hours=1), ends)
    clock = ControlledClock(start)
    try:
        store, rid = _drive_on(clock, gke_double, tmp_path)
    finally:
        gke_double.clear_exclusions(CLUSTER)
        reset_clients()

    member = snapshot(store, rid)["waves"][0]["clusters"][0]
    assert member["state"] == "done"
    held = [
        j for j in store.journal(rid) if j.entity == "cluster" and j.to_state == "waiting-window"
    ]
    assert held, store.journal(rid)
    assert f'GKE maintenance exclusion "holiday-freeze" until {ends.isoformat()}' in held[0].detail
    assert "scope NO_UPGRADES" in held[0].detail
    assert clock.now() >= ends  # the wave waited for the end of the exclusion, on the test clock
    print(f"held: {held[0].detail}; test clock slept {sum(clock.slept):.0f}s")
    assert sum(clock.slept) >= (ends - start).total_seconds()


def _drive_on(clock: ControlledClock, double: GkeDouble, tmp_path: Path) -> tuple[Store, str]:
    """A rollout of the GKE cluster (nothing to upgrade) driven in-process on ``clock``."""
    store = Store(tmp_path / "rollouts.db")
    ref = ClusterRef(CLUSTER, labels={}, timeout=120, cloud=GkeRef(PROJECT, LOCATION, CLUSTER))
    minor = ".".join(double.version_of(CLUSTER).split(".")[:2])  # nothing to upgrade
    rid = create(
        store,
        clusters=[ref],
        target=minor,
        strategy=default_strategy([StrategyMember(CLUSTER, {})]),
        fleet="test",
        actor="tester",
        now=clock.now(),
    )
    settings = RunSettings(catalog=load_catalog(), today=clock.now().date(), provider="gke")
    engine = Engine(
        store=store,
        runners=lambda r: SandboxAwareRun(r, settings),
        actor="tester",
        clock=Clock(monotonic=clock.monotonic, sleep=clock.sleep, now=clock.now),
        poll=3600,
    )
    assert engine.drive(rid) == "done"
    return store, rid


def test_a_monthly_maintenance_window_holds_the_wave_until_its_next_opening(
    gke_double: GkeDouble, web: SessionSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in gke_double.env().items():
        monkeypatch.setenv(key, value)
    reset_clients()
    rule = "FREQ=MONTHLY;BYDAY=-1SU"  # the last Sunday of every month, 02:00-06:00 UTC
    first = dt.datetime(2026, 1, 25, 2, 0, tzinfo=dt.UTC)
    gke_double.set_recurring_window(CLUSTER, first, first + dt.timedelta(hours=4), rule)
    start = dt.datetime.now(dt.UTC).replace(microsecond=0)
    opens = oracle.rrulestr(rule, dtstart=first).after(start)  # RFC 5545, by dateutil
    if opens - start < dt.timedelta(hours=4):  # inside an opening now: wait for the next one
        start = opens + dt.timedelta(hours=4)
        opens = oracle.rrulestr(rule, dtstart=first).after(start)
    clock = ControlledClock(start)
    try:
        store, rid = _drive_on(clock, gke_double, tmp_path)
    finally:
        gke_double.clear_recurring_window(CLUSTER)
        reset_clients()

    moves = [j for j in store.journal(rid) if j.entity == "cluster"]
    held = [j for j in moves if j.to_state == "waiting-window"]
    assert held, moves
    assert held[0].detail == (
        f"outside GKE maintenance window ({rule}); opens {opens.isoformat(timespec='seconds')}"
    )
    went = next(j for j in moves if j.from_state == "waiting-window")
    assert went.to_state == "running" and opens <= went.time < opens + dt.timedelta(hours=4)
    print(f"held: {held[0].detail}; started at {went.time.isoformat()} on the test clock")
