"""One fleet across clouds: an EKS, a GKE and an AKS cluster (each on its cloud's API test double,
backed by a sandbox) and a plain sandbox reached through its kubeconfig, all at 1.36, named in
one fleet file that the module's tests share (one fleet: the clouds' end-to-end tests are the
slow part of the suite).

The CLI, run as a user runs it (a subprocess whose AWS, Google and Azure environments point the
SDKs at the doubles), reads the fleet: ``inventory`` (with ``--write-kubeconfig``: one context per
cloud cluster, each running its cloud's exec plugin), ``scan cluster`` (support summed per
provider) and ``plan``, each naming the provider per cluster. Then the dashboard (``kubecurrent
serve`` with the same environment, in headless Chromium) shows the provider per cluster and the
support per provider, and its Upgrade button rolls the fleet out to 1.37 in two waves (the plain
sandbox as the canary, then the three clouds); ``rollout status`` and the audit trail in the
state file show every cluster's steps, done by the web user.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import Browser, expect

from kubecurrent import sandbox as sb
from kubecurrent.rollout import Store
from tests.integration.aks.conftest import aks_double  # noqa: F401 (fixture)
from tests.integration.aks.double import AksDouble, PoolSpec
from tests.integration.conftest import SessionSandbox, side_by_side, start_sandbox
from tests.integration.eks.conftest import eks_double  # noqa: F401 (fixture)
from tests.integration.eks.double import EksDouble, NodegroupSpec
from tests.integration.gke.conftest import gke_double  # noqa: F401 (fixture)
from tests.integration.gke.double import GkeDouble
from tests.integration.gke.double import PoolSpec as GkePool
from tests.integration.web.conftest import (  # noqa: F401 (fixtures)
    OPERATOR,
    browser,
    log_in,
    run_serve,
    screenshots,
    shot,
    write_users,
)

pytestmark = pytest.mark.integration

REGION = "eu-west-1"
PROVIDERS = {"lab": "-", "shop-eks": "eks", "shop-gke": "gke", "shop-aks": "aks"}
"""The provider each cluster shows (``-``: a cluster reached through its kubeconfig)."""


@pytest.fixture(scope="module")
def fleet_file(
    eks_double: EksDouble,  # noqa: F811
    gke_double: GkeDouble,  # noqa: F811
    aks_double: AksDouble,  # noqa: F811
    sandbox_home: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Path]:
    try:
        side_by_side(  # the four sandboxes start together; each double stops its own
            partial(eks_double.start_sandbox, "mix-eks", "1.36"),
            partial(gke_double.start_sandbox, "mix-gke", "1.36"),
            partial(aks_double.start_sandbox, "mix-aks", "1.36"),
            partial(start_sandbox, sandbox_home, "mix-lab", "1.36", pools=("default=1",)),
        )
        lab = SessionSandbox("mix-lab", sandbox_home)
        eks_double.add_cluster(
            "shop-eks", REGION, "mix-eks", nodegroups=[NodegroupSpec("general", 1)]
        )
        gke_double.add_cluster(
            "shop", "europe-west1", "shop-gke", "mix-gke", pools=[GkePool("pool", 1)]
        )
        aks_double.add_cluster(
            "shop-aks", "sub-mix", "rg-mix", "mix-aks", pools=[PoolSpec("system", 1, mode="System")]
        )
        context = yaml.safe_load(lab.kubeconfig.read_text())["current-context"]
        path = tmp_path_factory.mktemp("mixed") / "fleet.yaml"
        path.write_text(
            yaml.safe_dump(
                {
                    "clusters": [
                        {
                            "name": "lab",
                            "kubeconfig": str(lab.kubeconfig),
                            "context": context,
                            "labels": {"ring": "canary"},
                        },
                        {"eks": {"region": REGION, "name": "shop-eks"}, "labels": {"ring": "main"}},
                        {
                            "gke": {
                                "project": "shop",
                                "location": "europe-west1",
                                "name": "shop-gke",
                            },
                            "labels": {"ring": "main"},
                        },
                        {
                            "aks": {
                                "subscription": "sub-mix",
                                "resourceGroup": "rg-mix",
                                "name": "shop-aks",
                            },
                            "labels": {"ring": "main"},
                        },
                    ]
                }
            )
        )
        yield path
    finally:
        if sb.load("mix-lab") is not None:  # the doubles stop their own sandboxes
            sb.down("mix-lab")


def kubecurrent(
    eks: EksDouble, gke: GkeDouble, aks: AksDouble, *args: str, timeout: float = 1500
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kubecurrent", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=cloud_env(eks, gke, aks) | {"KUBECURRENT_ACTOR": "alice"},
    )


def cloud_env(eks: EksDouble, gke: GkeDouble, aks: AksDouble) -> dict[str, str]:
    """The session's environment without any real cloud's settings, the SDKs on the doubles."""
    clouds = ("AWS_", "AZURE_", "GOOGLE_", "CLOUDSDK_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(clouds)}
    return env | eks.env(REGION) | gke.env() | aks.env()


def test_inventory_scan_and_plan_name_the_provider_per_cluster(
    eks_double: EksDouble,  # noqa: F811
    gke_double: GkeDouble,  # noqa: F811
    aks_double: AksDouble,  # noqa: F811
    fleet_file: Path,
    tmp_path: Path,
) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return kubecurrent(eks_double, gke_double, aks_double, *args)

    kubeconfig = tmp_path / "clouds.kubeconfig"
    found = run(
        "-o", "json", "inventory", "--fleet", str(fleet_file), "--write-kubeconfig", str(kubeconfig)
    )  # fmt: skip
    assert found.returncode == 0, found.stderr
    written = yaml.safe_load(kubeconfig.read_text())
    assert stat.S_IMODE(kubeconfig.stat().st_mode) == 0o600
    users = {u["name"]: u["user"]["exec"]["command"] for u in written["users"]}
    assert users == {
        "shop-eks": "aws",
        "shop-gke": "gke-gcloud-auth-plugin",
        "shop-aks": "kubelogin",
    }
    servers = {c["name"]: c["cluster"]["server"] for c in written["clusters"]}
    for name, box in (("shop-eks", "mix-eks"), ("shop-gke", "mix-gke"), ("shop-aks", "mix-aks")):
        assert servers[name] == sb.require(box).server, name
    providers = {
        i["name"]: (i.get("managed") or {}).get("provider")
        for i in json.loads(found.stdout)["inventories"]
    }
    assert providers == {"lab": None, "shop-eks": "eks", "shop-gke": "gke", "shop-aks": "aks"}
    table = run("inventory", "--fleet", str(fleet_file))
    assert table.returncode == 0, table.stderr
    words = [line.split() for line in table.stdout.splitlines()]
    rows = {w[0]: w[1] for w in words if len(w) > 1 and w[0] in providers}
    assert rows == {"lab": "-", "shop-eks": "eks", "shop-gke": "gke", "shop-aks": "aks"}

    scanned = run("-o", "json", "scan", "cluster", "--fleet", str(fleet_file))
    assert scanned.returncode in (0, 3, 4), scanned.stderr  # findings, no collection error
    per = {p["provider"]: p for p in json.loads(scanned.stdout)["support"]["providers"]}
    assert set(per) == {"aks", "eks", "gke"}  # every provider's calendar knows 1.36
    assert all(p["clusters"] == 1 and p["standard"] == 1 for p in per.values())

    planned = run("-o", "json", "plan", "--fleet", str(fleet_file), "--target", "1.37")
    assert planned.returncode == 0, planned.stderr
    plans = {p["name"]: p for p in json.loads(planned.stdout)["clusters"]}
    assert {n: p["provider"] for n, p in plans.items()} == providers
    assert all(p["status"] == "ok" for p in plans.values())


WAVES = """waves:
  - {name: canary, select: {ring: canary}}
  - {name: clouds, select: {ring: main}, concurrency: 3}
"""
ROLLOUT_TIMEOUT = 1_500_000
"""Milliseconds: the whole rollout (four control planes, their pools) on a loaded machine."""


@pytest.fixture(scope="module")
def dashboard(
    eks_double: EksDouble,  # noqa: F811
    gke_double: GkeDouble,  # noqa: F811
    aks_double: AksDouble,  # noqa: F811
    fleet_file: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, Path]]:
    """``kubecurrent serve`` on the fleet file, the SDKs on the doubles: (URL, state file)."""
    work = tmp_path_factory.mktemp("mixed-serve")
    state = work / "rollouts.db"
    args = ["--fleet", str(fleet_file), "--users", str(write_users(work / "users.yaml"))]
    args += ["--state", str(state), "--provider", "auto"]
    with run_serve(work, args, cloud_env(eks_double, gke_double, aks_double)) as (url, _log):
        yield url, state


def test_the_upgrade_button_rolls_the_mixed_fleet_out_in_waves(
    browser: Browser,  # noqa: F811
    dashboard: tuple[str, Path],
    screenshots: Path,  # noqa: F811
) -> None:
    url, state = dashboard
    ctx = browser.new_context(base_url=url, viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(30_000)
    try:
        page = ctx.new_page()
        log_in(page, *OPERATOR)
        clusters = page.get_by_role("table", name="Clusters")
        for name, provider in PROVIDERS.items():
            row = clusters.get_by_role("row", name=re.compile(rf"^{name} "))
            expect(row.get_by_role("cell").first).to_have_text(provider)
            expect(row).to_contain_text("v1.36")
        support = page.get_by_role("table", name="Managed support per provider")
        for provider in ("aks", "eks", "gke"):  # one cluster each, in standard support
            expect(
                support.get_by_role("row", name=re.compile(rf"^{provider} 1 1 0 0"))
            ).to_be_visible()
        shot(page, screenshots, "mixed-fleet")

        # The Upgrade button: every cluster, 1.37, the two waves, reviewed, then started.
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Upgrade").click()
        for name in PROVIDERS:
            expect(page.get_by_role("checkbox", name=name)).to_be_checked()
        page.get_by_label("Target").select_option("1.37")
        page.get_by_role("radio", name=re.compile(r"^This strategy")).check()
        page.get_by_label("Strategy YAML").fill(WAVES)
        page.get_by_role("button", name="Review the rollout").click()
        waves = page.get_by_role("table", name="Waves, in order")
        expect(waves.get_by_role("row", name=re.compile(r"^canary"))).to_contain_text("lab")
        expect(waves.get_by_role("row", name=re.compile(r"^clouds"))).to_contain_text(
            "shop-aks, shop-eks, shop-gke"
        )
        for name in PROVIDERS:
            plan = page.locator("summary").filter(has_text=re.compile(rf"^\s*{name}:\s"))
            expect(plan).to_contain_text(re.compile(r"→ v?1\.37\S*,\s+ok,\s+\d+ steps"))
        shot(page, screenshots, "mixed-upgrade-review")
        page.get_by_role("button", name="Start the rollout").click()
        page.wait_for_url(re.compile(r"/rollouts/r-[\w-]+\?done=started$"))
        rid = re.search(r"/rollouts/(r-[\w-]+)", page.url).group(1)  # type: ignore[union-attr]

        # Followed live until done; each wave's table names the provider of its clusters.
        status = page.locator("#rollout-status")  # the engine stops at done, or with a reason
        stopped = re.compile(r"^\s*(done|halted|aborted|paused|waiting-approval)\b")
        expect(status).to_have_text(stopped, timeout=ROLLOUT_TIMEOUT)
        expect(status).to_contain_text("done (4 of 4 clusters done)")
        for wave, names in (("canary", ["lab"]), ("clouds", ["shop-eks", "shop-gke", "shop-aks"])):
            table = page.get_by_role("table", name=f"Clusters of wave {wave}")
            for name in names:
                row = table.get_by_role("row", name=re.compile(rf"^{name} "))
                expect(row.get_by_role("cell").first).to_have_text(PROVIDERS[name])
                expect(row).to_contain_text("1.37")
        shot(page, screenshots, "mixed-rollout-done")
    finally:
        ctx.close()

    for box in ("mix-eks", "mix-gke", "mix-aks", "mix-lab"):
        assert sb.require(box).version.startswith("v1.37"), box
    status = subprocess.run(
        [sys.executable, "-m", "kubecurrent", "-o", "json", "rollout", "status", "--state",
         str(state)],
        capture_output=True, text=True, timeout=60, env=os.environ,
    )  # fmt: skip
    assert status.returncode == 0, status.stderr
    snap = json.loads(status.stdout)
    assert snap["id"] == rid and snap["state"] == "done" and snap["actor"] == OPERATOR[0]
    waves = {w["name"]: {c["name"]: c["provider"] for c in w["clusters"]} for w in snap["waves"]}
    assert waves == {
        "canary": {"lab": None},
        "clouds": {"shop-eks": "eks", "shop-gke": "gke", "shop-aks": "aks"},
    }

    # The audit trail: each cluster's control plane and pool steps, done by the web user.
    audit = Store(state, create=False).audit_records(rid)
    done = {(r.cluster, r.type) for r in audit if r.action == "step.done"}
    for name in PROVIDERS:
        assert {(name, "control-plane"), (name, "node-pool")} <= done, (name, sorted(done))
    assert {r.user for r in audit} == {OPERATOR[0]}
    started = [r for r in audit if r.action == "step.start"]
    assert len(started) == len([r for r in audit if r.action == "step.done"])
