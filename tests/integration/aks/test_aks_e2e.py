"""Azure Kubernetes Service end to end, against the AKS ARM test double backed by a real sandbox.

The double (``double.py``; Azure cannot be reached from the tests) serves one AKS cluster,
``orders`` in subscription ``sub-shop`` on a 1.35 sandbox (two hops to 1.37), with a System
agent pool ``system`` (one node) and a User pool ``general`` (two nodes, maxSurge 1). A web
Deployment behind a PodDisruptionBudget (minAvailable 3 of 4) runs on it. kubecurrent runs as a
user runs it, in a subprocess whose Azure environment points the SDK at the double
(``KUBECURRENT_AKS_ENDPOINT``, ``AZURE_AUTHORITY_HOST``, a service principal in the environment):
``inventory --discover aks``, ``plan --discover aks``, ``rollout start --provider aks`` to 1.37,
while the PDB-protected Deployment is watched throughout.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kubecurrent import sandbox as sb
from kubecurrent.rollout import Store
from tests.integration.conftest import SessionSandbox
from tests.integration.execute.conftest import AvailabilityWatch, deploy_web

from .double import AksDouble, PoolSpec

pytestmark = pytest.mark.integration

SUBSCRIPTION = "sub-shop"
MIN_AVAILABLE = 3


@pytest.fixture(scope="module")
def orders(aks_double: AksDouble, sandbox_home: Path) -> Iterator[SessionSandbox]:
    aks_double.start_sandbox("aks-e2e-orders", "1.35")
    aks_double.add_cluster(
        "orders",
        SUBSCRIPTION,
        "rg-shop",
        "aks-e2e-orders",
        pools=[PoolSpec("system", 1, mode="System"), PoolSpec("general", 2, max_surge="1")],
    )
    box = SessionSandbox("aks-e2e-orders", sandbox_home)
    deploy_web(box.client(), "shop", replicas=4, min_available=MIN_AVAILABLE)
    yield box


def kubecurrent(
    double: AksDouble, *args: str, timeout: float = 1500, drop: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    """The CLI as a user runs it, its Azure environment pointing at the double only."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "KUBECURRENT_AKS"))}
    env |= {k: v for k, v in double.env().items() if k not in drop}
    env |= {"KUBECURRENT_ACTOR": "alice"}
    return subprocess.run(
        [sys.executable, "-m", "kubecurrent", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


def test_bad_input_names_the_cluster_or_subscription_and_the_next_step(
    aks_double: AksDouble, orders: SessionSandbox, tmp_path: Path
) -> None:
    aks_double.deny_subscription("sub-locked")
    partial = kubecurrent(
        aks_double, "-o", "json", "inventory", "--discover", "aks",
        "--subscriptions", f"sub-locked,{SUBSCRIPTION}",
    )  # fmt: skip
    assert partial.returncode in (0, 5), partial.stderr
    assert [i["name"] for i in json.loads(partial.stdout)["inventories"]] == ["orders"]
    assert "sub-locked" in partial.stderr and "AuthorizationFailed" in partial.stderr

    anonymous = kubecurrent(
        aks_double, "inventory", "--discover", "aks", "--subscriptions", SUBSCRIPTION,
        drop=("AZURE_CLIENT_SECRET",), timeout=300,
    )  # fmt: skip
    assert anonymous.returncode == 1
    assert "az login" in anonymous.stderr

    listed = tmp_path / "fleet.yaml"
    listed.write_text(
        f"clusters:\n  - aks: {{subscription: {SUBSCRIPTION}, resourceGroup: rg-shop, "
        "name: orders}\n"
        f"  - aks: {{subscription: {SUBSCRIPTION}, resourceGroup: rg-shop, name: vanished}}\n"
    )
    gone = kubecurrent(aks_double, "-o", "json", "inventory", "--fleet", str(listed))
    assert gone.returncode == 5, gone.stderr
    assert "AKS cluster vanished" in gone.stderr and "ResourceNotFound" in gone.stderr


def test_discover_plan_and_roll_out_an_aks_cluster_to_1_37(
    aks_double: AksDouble, orders: SessionSandbox, tmp_path: Path
) -> None:
    found = kubecurrent(
        aks_double, "-o", "json", "inventory", "--discover", "aks", "--subscriptions", SUBSCRIPTION
    )
    assert found.returncode == 0, found.stderr
    [inventory] = json.loads(found.stdout)["inventories"]
    managed = inventory["managed"]
    assert managed["provider"] == "aks" and managed["resourceGroup"] == "rg-shop"
    assert managed["currentKubernetesVersion"].startswith("1.35.")
    assert managed["upgrades"][0]["kubernetesVersion"].startswith("1.36.")
    assert {p["name"] for p in managed["agentPools"]} == {"system", "general"}
    assert inventory["labels"]["provider"] == "aks"
    assert {p["name"] for p in inventory["nodePools"]} == {"system", "general"}  # read live

    planned = kubecurrent(
        aks_double, "-o", "json", "plan", "--discover", "aks", "--subscriptions", SUBSCRIPTION,
        "--target", "1.37",
    )  # fmt: skip
    assert planned.returncode == 0, planned.stderr
    [plan] = json.loads(planned.stdout)["clusters"]
    steps = [(s["type"], s["target"], s["managed_by"]) for s in plan["steps"]]
    cps = [i for i, (kind, *_) in enumerate(steps) if kind == "control-plane"]
    assert len(cps) == 2
    for cp in cps:  # the control plane alone, then every agent pool
        assert steps[cp + 1 : cp + 3] == [
            ("node-pool", "system", "aks"),
            ("node-pool", "general", "aks"),
        ]

    state = tmp_path / "rollouts.db"
    with AvailabilityWatch(orders.client(), "shop") as watch:
        rolled = kubecurrent(
            aks_double,
            "rollout", "start", "--discover", "aks", "--subscriptions", SUBSCRIPTION,
            "--provider", "aks", "--target", "1.37", "--state", str(state), "--poll", "0.2",
        )  # fmt: skip
    assert rolled.returncode == 0, rolled.stdout + rolled.stderr
    version, pools = aks_double.cluster_state("orders")
    assert version.startswith("1.37.") and all(v.startswith("1.37.") for v in pools.values())
    assert sb.require(orders.name).version.startswith("v1.37")
    assert watch.samples and min(watch.samples) >= MIN_AVAILABLE, sorted(set(watch.samples))

    store = Store(state)
    rid = store.latest()
    audit = store.audit_records(rid)
    calls = [(r.action, r.after) for r in audit]
    upgrades = [a for a, _ in calls if a == "aks.managedClusters.createOrUpdate"]
    assert len(upgrades) == 2
    assert [a for a, _ in calls].count("aks.agentPools.createOrUpdate") == 4
    done = [r for r in audit if r.action == "step.done"]
    started = [r for r in audit if r.action == "step.start"]
    assert len(done) == len(started) > 0
    writes = [op for op, _ in aks_double.requests() if op.endswith("createOrUpdate")]
    assert writes.count("managedClusters.createOrUpdate") == 2  # once per hop, never twice
    print(  # the figures the closing note asks for (pytest -s shows them)
        f"\nAKS e2e: control plane {version}, pools {pools}; web available replicas during the "
        f"rollout min {min(watch.samples)} max {max(watch.samples)} over {len(watch.samples)} "
        f"samples (PDB minAvailable {MIN_AVAILABLE}); steps done {len(done)}; audit actions "
        f"{sorted({a for a, _ in calls if a.startswith('aks.')})}; ARM writes {len(writes)}"
    )
