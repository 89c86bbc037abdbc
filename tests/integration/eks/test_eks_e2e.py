"""Amazon EKS end to end, against the EKS API test double backed by two real sandboxes.

The double (``double.py``; AWS cannot be reached from the tests) serves two EKS clusters in
eu-west-1, ``orders`` on a 1.35 sandbox (two hops to 1.37) and ``payments`` on a 1.36 sandbox
(one hop), each with a managed node group ``general`` of two kwok nodes and the EKS add-on
coredns at a version EKS does not offer for 1.37, so the plan moves it. A web Deployment behind a
PodDisruptionBudget (minAvailable 3 of 4) runs on each. kubecurrent runs as a user runs it, in
a subprocess whose AWS environment points boto3 at the double (``AWS_ENDPOINT_URL_EKS``):
``inventory --discover eks``, ``plan --discover eks``, ``rollout start --discover eks
--provider eks`` to 1.37, while the PDB-protected Deployment is watched throughout.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import boto3
import pytest
import yaml

from kubecurrent import sandbox as sb
from kubecurrent.rollout import Store
from tests.integration.conftest import SessionSandbox, side_by_side
from tests.integration.execute.conftest import AvailabilityWatch, deploy_web

from .double import AddonSpec, EksDouble, NodegroupSpec

pytestmark = pytest.mark.integration

REGION = "eu-west-1"
CLUSTERS = {"orders": ("eks-orders", "1.35"), "payments": ("eks-payments", "1.36")}
MIN_AVAILABLE = 3


@pytest.fixture(scope="module")
def fleet(eks_double: EksDouble, sandbox_home: Path) -> Iterator[dict[str, SessionSandbox]]:
    side_by_side(*(partial(eks_double.start_sandbox, *box) for box in CLUSTERS.values()))
    boxes = {}
    for cluster, (sandbox, _version) in CLUSTERS.items():
        eks_double.add_cluster(
            cluster,
            REGION,
            sandbox,
            nodegroups=[NodegroupSpec("general", 2, max_unavailable=1)],
            addons=[AddonSpec("coredns", "v1.12.2-eksbuild.4")],
        )
        box = SessionSandbox(sandbox, sandbox_home)
        deploy_web(box.client(), "shop", replicas=4, min_available=MIN_AVAILABLE)
        boxes[cluster] = box
    yield boxes


def kubecurrent(
    double: EksDouble, *args: str, timeout: float = 1500
) -> subprocess.CompletedProcess[str]:
    """The CLI as a user runs it, its AWS environment pointing at the double only."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env |= double.env(REGION) | {"KUBECURRENT_ACTOR": "alice"}
    return subprocess.run(
        [sys.executable, "-m", "kubecurrent", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


def test_bad_input_names_the_cluster_or_region_and_the_next_step(
    eks_double: EksDouble, fleet: dict[str, SessionSandbox], tmp_path: Path
) -> None:
    listed = tmp_path / "fleet.yaml"
    listed.write_text(
        f"clusters:\n  - eks: {{region: {REGION}, name: orders}}\n"
        f"  - eks: {{region: {REGION}, name: vanished}}\n"
    )
    partial = kubecurrent(eks_double, "-o", "json", "inventory", "--fleet", str(listed))
    assert partial.returncode == 5, partial.stderr  # partial: the other cluster was read
    assert [i["name"] for i in json.loads(partial.stdout)["inventories"]] == ["orders"]
    assert "EKS cluster vanished (eu-west-1)" in partial.stderr
    assert "ResourceNotFoundException" in partial.stderr
    assert "may have been deleted" in partial.stderr

    region = kubecurrent(eks_double, "inventory", "--discover", "eks", "--regions", "eu-nowhere-9")
    assert region.returncode == 2
    assert "unknown AWS region for EKS: 'eu-nowhere-9'" in region.stderr

    env_keys = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
    saved = {k: os.environ.pop(k, None) for k in env_keys}
    try:
        anonymous = subprocess.run(
            [sys.executable, "-m", "kubecurrent", "inventory", "--discover", "eks"],
            capture_output=True,
            text=True,
            timeout=120,
            env={
                **{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
                **{k: v for k, v in eks_double.env(REGION).items() if k not in env_keys},
            },
        )
    finally:
        os.environ.update({k: v for k, v in saved.items() if v is not None})
    assert anonymous.returncode == 1
    assert f"EKS in {REGION}: list EKS clusters ({REGION}): no AWS credentials found" in (
        anonymous.stderr
    )
    assert "aws configure" in anonymous.stderr

    eks_double.expire_credentials()
    try:
        expired = kubecurrent(eks_double, "inventory", "--discover", "eks", "--regions", REGION)
    finally:
        eks_double.expire_credentials(False)
    assert expired.returncode == 1
    assert "ExpiredTokenException" in expired.stderr
    assert "expired credentials must be refreshed" in expired.stderr

    eks_double.throttle_next(50)  # more than botocore's attempts with backoff
    try:
        throttled = kubecurrent(eks_double, "inventory", "--discover", "eks", "--regions", REGION)
    finally:
        eks_double.throttle_next(0)
    assert throttled.returncode == 1
    assert "ThrottlingException" in throttled.stderr
    assert "kept throttling after 5 attempts" in throttled.stderr


def test_discover_plan_and_roll_out_two_eks_clusters_to_1_37(
    eks_double: EksDouble, fleet: dict[str, SessionSandbox], tmp_path: Path
) -> None:
    kubeconfig = tmp_path / "eks.kubeconfig"
    found = kubecurrent(
        eks_double, "-o", "json", "inventory", "--discover", "eks", "--regions", REGION,
        "--write-kubeconfig", str(kubeconfig),
    )  # fmt: skip
    assert found.returncode == 0, found.stderr
    written = yaml.safe_load(kubeconfig.read_text())
    assert sorted(c["name"] for c in written["contexts"]) == ["orders", "payments"]
    exec_args = written["users"][0]["user"]["exec"]["args"]
    assert exec_args[2:5] == ["eks", "get-token", "--cluster-name"]
    inventories = {i["name"]: i for i in json.loads(found.stdout)["inventories"]}
    assert set(inventories) == {"orders", "payments"}
    orders = inventories["orders"]
    assert orders["managed"]["minor"] == "1.35"
    assert orders["managed"]["account"] == eks_double.account_id
    assert orders["managed"]["nodegroups"][0]["name"] == "general"
    assert orders["managed"]["addons"][0]["compatible"]["1.37"][0] == "v1.12.4-eksbuild.1"
    assert orders["labels"]["region"] == REGION
    assert orders["labels"]["support-type"] == "standard"
    assert {p["name"] for p in orders["nodePools"]} == {"general"}  # the node label, read live

    planned = kubecurrent(
        eks_double,
        "-o",
        "json",
        "plan",
        "--discover",
        "eks",
        "--regions",
        REGION,
        "--target",
        "1.37",
    )
    assert planned.returncode == 0, planned.stderr
    plans = {p["name"]: p for p in json.loads(planned.stdout)["clusters"]}
    steps = [(s["type"], s["target"], s["to"]) for s in plans["orders"]["steps"]]
    hops = [to for kind, _, to in steps if kind == "control-plane"]
    assert [h.rsplit(".", 1)[0] if h.count(".") == 2 else h for h in hops] == ["1.36", "1.37"]
    rolls = [
        i for i, (kind, target, _) in enumerate(steps) if (kind, target) == ("node-pool", "general")
    ]
    cps = [i for i, (kind, *_) in enumerate(steps) if kind == "control-plane"]
    assert rolls == [cp + 1 for cp in cps]  # the managed node group rolls right after each hop
    moved = [
        s for s in plans["orders"]["steps"] if s["type"] == "addon" and s["managed_by"] == "eks"
    ]
    assert moved and moved[0]["target"] == "coredns"

    state = tmp_path / "rollouts.db"
    watches = {n: AvailabilityWatch(b.client(), "shop") for n, b in fleet.items()}
    for w in watches.values():
        w.__enter__()
    try:
        rolled = kubecurrent(
            eks_double,
            "rollout", "start", "--discover", "eks", "--regions", REGION, "--provider", "eks",
            "--target", "1.37", "--state", str(state), "--poll", "0.2",
        )  # fmt: skip
    finally:
        for w in watches.values():
            w.__exit__()
    assert rolled.returncode == 0, rolled.stdout + rolled.stderr

    eks = boto3.Session(**eks_double.session_kwargs(REGION)).client(
        "eks", endpoint_url=eks_double.endpoint_url
    )
    for cluster, box in fleet.items():
        assert eks.describe_cluster(name=cluster)["cluster"]["version"] == "1.37"
        group = eks.describe_nodegroup(clusterName=cluster, nodegroupName="general")["nodegroup"]
        assert group["version"] == "1.37"
        assert sb.require(box.name).version.startswith("v1.37")
        samples = watches[cluster].samples
        assert samples and min(samples) >= MIN_AVAILABLE, f"{cluster}: {sorted(set(samples))}"
    addon = eks.describe_addon(clusterName="orders", addonName="coredns")["addon"]
    assert addon["addonVersion"] == "v1.12.4-eksbuild.1"

    store = Store(state)
    rid = store.latest()
    audit = store.audit_records(rid)
    calls = [(r.cluster, r.action, r.after) for r in audit]
    assert ("orders", "eks.UpdateClusterVersion", "1.36") in calls
    assert ("orders", "eks.UpdateClusterVersion", "1.37") in calls
    assert ("orders", "eks.UpdateNodegroupVersion", "1.36") in calls
    assert ("payments", "eks.UpdateClusterVersion", "1.37") in calls
    assert ("orders", "eks.UpdateNodegroupVersion", "1.37") in calls
    assert any(a == "eks.UpdateAddon" and c == "orders" for c, a, _ in calls)
    addon_record = next(r for r in audit if r.action == "eks.UpdateAddon")
    assert "resolveConflicts PRESERVE (default)" in addon_record.detail
    done = [r for r in audit if r.action == "step.done"]
    started = [r for r in audit if r.action == "step.start"]
    assert len(done) == len(started) > 0  # every step audited from start to end
    updates = [op for op, _ in eks_double.requests() if op.startswith("Update")]
    assert updates.count("UpdateClusterVersion") == 3  # orders 2 hops, payments 1; once each
