"""The Cluster API provider against Cluster API's real CRDs, with its controllers played by a
test double (``CapiControllersDouble``): the right fields patched, in the right order.

The workload cluster cannot exist here either, so the executor verifies each step through the
Cluster API objects' status (``ClusterApiProvider.observe``) — what Cluster API itself reports
— on top of a fixed inventory; the CLI test collects the sandbox for real.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from lightkube.types import PatchType

from kubecurrent.catalog import load_catalog
from kubecurrent.execute import (
    AuditLog,
    ClusterApiProvider,
    Drainer,
    DrainOptions,
    ExecutionReport,
    Executor,
    HealthGate,
    Providers,
    RetryPolicy,
    Runtime,
    connect,
    read_audit,
    step_actions,
)
from kubecurrent.execute import Clock as ExecClock
from kubecurrent.model.inventory import ClusterInventory
from kubecurrent.model.plan import ClusterPlan, Step
from tests.integration.conftest import SessionSandbox, guard
from tests.integration.execute.capi_double import (
    KINDS,
    CapiControllersDouble,
    capi_cluster,
    create_all,
    specs,
)
from tests.integration.execute.conftest import kubecurrent

pytestmark = pytest.mark.usefixtures("capi_crds")

KCP, MD, MP = "KubeadmControlPlane", "MachineDeployment", "MachinePool"
CP_FIELD, MD_FIELD = "spec.version", "spec.template.spec.version"


def plan_of(*steps: tuple[str, str, str, str]) -> ClusterPlan:
    return ClusterPlan(
        name="prod",
        status="ok",
        from_version=steps[0][2],
        target=steps[-1][3],
        steps=tuple(
            Step.read(
                {
                    "order": i,
                    "type": t,
                    "target": tg,
                    "from": f,
                    "to": to,
                    "why": "w",
                    "without": "x",
                    "hop": 1,
                }
            )
            for i, (t, tg, f, to) in enumerate(steps, start=1)
        ),
    )


def cp(frm: str, to: str) -> tuple[str, str, str, str]:
    return ("control-plane", "control-plane", frm, to)


def pool(name: str, frm: str, to: str) -> tuple[str, str, str, str]:
    return ("node-pool", name, frm, to)


@pytest.fixture
def double(cluster: SessionSandbox, namespace: str) -> Iterator[CapiControllersDouble]:
    """A Cluster and its objects at v1.35.4, then the controllers' double settling them."""
    client = cluster.client()
    create_all(client, namespace, capi_cluster("prod", "v1.35.4"))
    with CapiControllersDouble(client, namespace) as running:
        yield running


def run(
    box: SessionSandbox, namespace: str, plan: ClusterPlan, audit: Path, timeout: float = 60.0
) -> ExecutionReport:
    """The executor as ``kubecurrent upgrade --provider cluster-api`` wires it, in-process."""
    guard(box, box.kubeconfig)
    kube, clock = connect(box.kubeconfig, None), ExecClock()
    log = AuditLog(audit, "prod")
    capi = ClusterApiProvider(kube, namespace, "prod", log, clock, timeout=timeout, poll=0.2)
    workload = ClusterInventory(name="prod", control_plane="1.36.3")  # cannot exist here
    runtime = Runtime(
        catalog=load_catalog(),
        providers=Providers(control_plane=capi, node_pools=capi),
        drainer=Drainer(kube, log, DrainOptions(), clock),
        audit=log,
        clock=clock,
        roll_timeout=timeout,
    )
    return Executor(
        plan=plan,
        actions=step_actions(runtime),
        collect=lambda: capi.observe(workload),
        gate=HealthGate(kube, clock, timeout=60),
        audit=log,
        retry=RetryPolicy(attempts=2, initial=0.5),
        clock=clock,
    ).run()


def patches(audit: Path) -> list[tuple[str, str, str, str]]:
    return [
        (r["object"], r["field"], r["before"], r["after"])
        for r in read_audit(audit)
        if r["action"] == "capi.patch"
    ]


def with_versions(before: dict[Any, Any], **versions: str) -> dict[Any, Any]:
    """``before`` with only the version fields changed: key ``kind:name`` → version."""
    after = copy.deepcopy(before)
    for key, version in versions.items():
        kind, name = key.split(":")
        spec = after[(kind, name)]
        if kind == "Cluster":
            spec["topology"]["version"] = version
        elif kind == KCP:
            spec["version"] = version
        else:
            spec["template"]["spec"]["version"] = version
    return after


def test_kubeadm_control_plane_then_each_machine_deployment_one_minor_per_hop(
    cluster: SessionSandbox, namespace: str, tmp_path: Path
) -> None:
    client = cluster.client()
    create_all(client, namespace, capi_cluster("prod", "v1.35.4"))
    before = specs(client, namespace)
    plan = plan_of(
        cp("1.35.4", "1.36.3"),
        pool("prod-md-a", "1.35.4", "1.36.3"),
        pool("prod-md-b", "1.35.4", "1.36.3"),
        cp("1.36.3", "1.37.2"),
        pool("prod-md-a", "1.36.3", "1.37.2"),
        pool("prod-md-b", "1.36.3", "1.37.2"),
    )
    audit = tmp_path / "audit.jsonl"

    with CapiControllersDouble(client, namespace) as double:
        report = run(cluster, namespace, plan, audit)

    assert report.ok, report.error
    assert [r.outcome for r in report.results] == ["done"] * 6
    hops = [("v1.35.4", "v1.36.3"), ("v1.36.3", "v1.37.2")]
    expected = [
        change
        for old, new in hops
        for change in (
            (KCP, "prod-cp", CP_FIELD, old, new),
            (MD, "prod-md-a", MD_FIELD, old, new),
            (MD, "prod-md-b", MD_FIELD, old, new),
        )
    ]
    assert double.by("kubecurrent") == expected  # exactly these fields, in this order
    assert double.by("double") == []
    for _, new in hops:  # each MachineDeployment only after the control plane reports the hop
        reached = double.seq(KCP, "prod-cp", "status.version", new)
        assert reached < double.seq(MD, "prod-md-a", MD_FIELD, new)
        assert reached < double.seq(MD, "prod-md-b", MD_FIELD, new)
    assert specs(client, namespace) == with_versions(
        before,
        **{f"{KCP}:prod-cp": "v1.37.2", f"{MD}:prod-md-a": "v1.37.2", f"{MD}:prod-md-b": "v1.37.2"},
    )
    assert patches(audit) == [
        (f"{kind} {namespace}/{name}", field, old, new) for kind, name, field, old, new in expected
    ]
    final = report.final
    assert final is not None and str(final.control_plane) == "v1.37.2"
    assert {p.name: str(p.kubelet) for p in final.node_pools} == {
        "prod-md-a": "v1.37.2",
        "prod-md-b": "v1.37.2",
    }


def test_a_topology_cluster_gets_only_its_topology_version_patched(
    cluster: SessionSandbox, namespace: str, tmp_path: Path
) -> None:
    client = cluster.client()
    create_all(client, namespace, capi_cluster("prod", "v1.35.4", topology=True))
    before = specs(client, namespace)
    plan = plan_of(
        cp("1.35.4", "1.36.3"),
        pool("prod-md-a", "1.35.4", "1.36.3"),
        pool("prod-md-b", "1.35.4", "1.36.3"),
    )
    audit = tmp_path / "audit.jsonl"

    with CapiControllersDouble(client, namespace) as double:
        report = run(cluster, namespace, plan, audit)

    assert report.ok, report.error
    assert double.by("kubecurrent") == [
        ("Cluster", "prod", "spec.topology.version", "v1.35.4", "v1.36.3")
    ]
    assert double.by("double") == [  # Cluster API's topology controller did the rest
        (KCP, "prod-cp", CP_FIELD, "v1.35.4", "v1.36.3"),
        (MD, "prod-md-a", MD_FIELD, "v1.35.4", "v1.36.3"),
        (MD, "prod-md-b", MD_FIELD, "v1.35.4", "v1.36.3"),
    ]
    assert specs(client, namespace) == with_versions(
        before,
        **{
            "Cluster:prod": "v1.36.3",
            f"{KCP}:prod-cp": "v1.36.3",
            f"{MD}:prod-md-a": "v1.36.3",
            f"{MD}:prod-md-b": "v1.36.3",
        },
    )
    assert patches(audit) == [
        (f"Cluster {namespace}/prod", "spec.topology.version", "v1.35.4", "v1.36.3")
    ]
    pools = [r.detail for r in report.results if r.step.type == "node-pool"]
    assert all("rolled by the Cluster topology to v1.36.3" in d for d in pools), pools


def test_a_skipped_minor_or_a_pool_ahead_of_the_control_plane_is_refused(
    cluster: SessionSandbox, namespace: str, double: CapiControllersDouble, tmp_path: Path
) -> None:
    skip = run(cluster, namespace, plan_of(cp("1.35.4", "1.37.2")), tmp_path / "a.jsonl")
    ahead = run(
        cluster, namespace, plan_of(pool("prod-md-a", "1.35.4", "1.36.3")), tmp_path / "b.jsonl"
    )

    assert skip.error is not None and ahead.error is not None
    assert (
        f"KubeadmControlPlane {namespace}/prod-cp spec.version is at v1.35.4" in skip.error.message
    )
    assert "would skip Kubernetes 1.36" in skip.error.message
    assert skip.error.hint and "upgrade the control plane to 1.36 first" in skip.error.hint
    assert f"MachineDeployment {namespace}/prod-md-a cannot move to v1.36.3" in ahead.error.message
    assert ahead.error.hint and "control-plane step to 1.36 first" in ahead.error.hint
    assert double.by("kubecurrent") == []


def test_a_stuck_control_plane_times_out_naming_it_and_its_condition(
    cluster: SessionSandbox, namespace: str, double: CapiControllersDouble, tmp_path: Path
) -> None:
    double.stuck.add((KCP, "prod-cp"))
    plan = plan_of(cp("1.35.4", "1.36.3"), pool("prod-md-a", "1.35.4", "1.36.3"))

    report = run(cluster, namespace, plan, tmp_path / "audit.jsonl", timeout=3)

    assert report.error is not None
    message = report.error.message
    assert (
        f"KubeadmControlPlane {namespace}/prod-cp did not finish rolling out to v1.36.3" in message
    )
    assert "condition RollingOut=True (RollingOut: Rolling out 3 not up-to-date replicas" in message
    assert "status.version v1.35.4 (expected v1.36.3)" in message
    assert [r.outcome for r in report.results] == ["failed", "not-run"]
    assert double.by("kubecurrent") == [(KCP, "prod-cp", CP_FIELD, "v1.35.4", "v1.36.3")]


# -- MachinePools -----------------------------------------------------------------------------

MIXED = {"deployments": ("md-a",), "machine_pools": ("mp-a",)}


def test_a_machine_deployment_and_a_machine_pool_follow_the_control_plane_each_hop(
    cluster: SessionSandbox, namespace: str, tmp_path: Path
) -> None:
    client = cluster.client()
    create_all(client, namespace, capi_cluster("prod", "v1.35.4", **MIXED))
    before = specs(client, namespace)
    plan = plan_of(
        cp("1.35.4", "1.36.3"),
        pool("prod-md-a", "1.35.4", "1.36.3"),
        pool("prod-mp-a", "1.35.4", "1.36.3"),
        cp("1.36.3", "1.37.2"),
        pool("prod-md-a", "1.36.3", "1.37.2"),
        pool("prod-mp-a", "1.36.3", "1.37.2"),
    )
    audit = tmp_path / "audit.jsonl"

    with CapiControllersDouble(client, namespace) as double:
        report = run(cluster, namespace, plan, audit)

    assert report.ok, report.error
    assert [r.outcome for r in report.results] == ["done"] * 6
    hops = [("v1.35.4", "v1.36.3"), ("v1.36.3", "v1.37.2")]
    expected = [
        change
        for old, new in hops
        for change in (
            (KCP, "prod-cp", CP_FIELD, old, new),
            (MD, "prod-md-a", MD_FIELD, old, new),
            (MP, "prod-mp-a", MD_FIELD, old, new),
        )
    ]
    assert double.by("kubecurrent") == expected  # exactly these fields, in this order
    assert double.by("double") == []
    for _, new in hops:  # the pools only after the control plane reports the hop
        reached = double.seq(KCP, "prod-cp", "status.version", new)
        assert reached < double.seq(MD, "prod-md-a", MD_FIELD, new)
        assert reached < double.seq(MP, "prod-mp-a", MD_FIELD, new)
    # the MachinePool step waited for its nodes: the next hop began only once they ran v1.36.3
    assert double.seq(MP, "prod-mp-a", "status.version", "v1.36.3") < double.seq(
        KCP, "prod-cp", CP_FIELD, "v1.37.2"
    )
    assert specs(client, namespace) == with_versions(
        before,
        **{f"{KCP}:prod-cp": "v1.37.2", f"{MD}:prod-md-a": "v1.37.2", f"{MP}:prod-mp-a": "v1.37.2"},
    )
    assert patches(audit) == [
        (f"{kind} {namespace}/{name}", field, old, new) for kind, name, field, old, new in expected
    ]
    final = report.final
    assert final is not None and str(final.control_plane) == "v1.37.2"
    assert {p.name: (str(p.kubelet), p.label) for p in final.node_pools} == {
        "prod-md-a": ("v1.37.2", "cluster.x-k8s.io/deployment-name"),
        "prod-mp-a": ("v1.37.2", "cluster.x-k8s.io/owner-name"),
    }
    pools = [r.detail for r in report.results if r.step.type == "node-pool"]
    assert f"MachinePool {namespace}/prod-mp-a rolled to v1.37.2" in pools[-1], pools


def test_a_topology_cluster_rolls_its_machine_pool_after_the_control_plane(
    cluster: SessionSandbox, namespace: str, tmp_path: Path
) -> None:
    client = cluster.client()
    create_all(client, namespace, capi_cluster("prod", "v1.35.4", topology=True, **MIXED))
    before = specs(client, namespace)
    plan = plan_of(
        cp("1.35.4", "1.36.3"),
        pool("prod-mp-a", "1.35.4", "1.36.3"),
        pool("prod-md-a", "1.35.4", "1.36.3"),
    )
    audit = tmp_path / "audit.jsonl"

    with CapiControllersDouble(client, namespace) as double:
        report = run(cluster, namespace, plan, audit)

    assert report.ok, report.error
    assert double.by("kubecurrent") == [
        ("Cluster", "prod", "spec.topology.version", "v1.35.4", "v1.36.3")
    ]
    assert double.by("double") == [  # Cluster API's topology controller did the rest
        (KCP, "prod-cp", CP_FIELD, "v1.35.4", "v1.36.3"),
        (MD, "prod-md-a", MD_FIELD, "v1.35.4", "v1.36.3"),
        (MP, "prod-mp-a", MD_FIELD, "v1.35.4", "v1.36.3"),
    ]
    assert double.seq(KCP, "prod-cp", "status.version", "v1.36.3") < double.seq(
        MP, "prod-mp-a", MD_FIELD, "v1.36.3"
    )
    assert specs(client, namespace) == with_versions(
        before,
        **{
            "Cluster:prod": "v1.36.3",
            f"{KCP}:prod-cp": "v1.36.3",
            f"{MD}:prod-md-a": "v1.36.3",
            f"{MP}:prod-mp-a": "v1.36.3",
        },
    )
    assert patches(audit) == [
        (f"Cluster {namespace}/prod", "spec.topology.version", "v1.35.4", "v1.36.3")
    ]
    results = {r.step.target: r for r in report.results}
    assert results["prod-mp-a"].outcome == "done"
    assert (
        f"MachinePool {namespace}/prod-mp-a rolled by the Cluster topology to v1.36.3"
        in results["prod-mp-a"].detail
    )
    # Cluster API rolls MachineDeployments and MachinePools side by side: the MachineDeployment
    # may have finished while the MachinePool step waited
    assert results["prod-md-a"].outcome in ("done", "skipped")
    final = report.final
    assert final is not None
    assert {p.name: str(p.kubelet) for p in final.node_pools} == {
        "prod-md-a": "v1.36.3",
        "prod-mp-a": "v1.36.3",
    }


def test_a_stuck_machine_pool_times_out_naming_it_and_its_nodes_versions(
    cluster: SessionSandbox, namespace: str, tmp_path: Path
) -> None:
    client = cluster.client()
    create_all(client, namespace, capi_cluster("prod", "v1.35.4", **MIXED))
    plan = plan_of(
        cp("1.35.4", "1.36.3"),
        pool("prod-mp-a", "1.35.4", "1.36.3"),
        pool("prod-md-a", "1.35.4", "1.36.3"),
    )

    with CapiControllersDouble(client, namespace, stuck={(MP, "prod-mp-a")}) as double:
        report = run(cluster, namespace, plan, tmp_path / "audit.jsonl", timeout=3)

    assert report.error is not None
    message = report.error.message
    assert f"MachinePool {namespace}/prod-mp-a did not finish rolling out to v1.36.3" in message
    # its counters say done (as Cluster API's do without MachinePool Machines); its nodes do not
    assert "stuck on: status.versions v1.35.4 (expected only v1.36.3)" in message
    assert "upToDateReplicas" not in message
    assert report.error.hint and f"kubectl describe machinepool -n {namespace} prod-mp-a" in (
        report.error.hint
    )
    assert [r.outcome for r in report.results] == ["done", "failed", "not-run"]
    assert double.by("kubecurrent") == [
        (KCP, "prod-cp", CP_FIELD, "v1.35.4", "v1.36.3"),
        (MP, "prod-mp-a", MD_FIELD, "v1.35.4", "v1.36.3"),
    ]


def test_a_machine_pool_ahead_of_the_control_plane_or_an_unknown_pool_is_refused(
    cluster: SessionSandbox, namespace: str, tmp_path: Path
) -> None:
    client = cluster.client()
    create_all(client, namespace, capi_cluster("prod", "v1.35.4", **MIXED))

    with CapiControllersDouble(client, namespace) as double:
        ahead = run(
            cluster, namespace, plan_of(pool("prod-mp-a", "1.35.4", "1.36.3")), tmp_path / "a"
        )
        unknown = run(
            cluster, namespace, plan_of(pool("prod-gone", "1.35.4", "1.35.4")), tmp_path / "b"
        )

    assert ahead.error is not None and unknown.error is not None
    assert f"MachinePool {namespace}/prod-mp-a cannot move to v1.36.3" in ahead.error.message
    assert ahead.error.hint and "control-plane step to 1.36 first" in ahead.error.hint
    assert (
        "has no MachineDeployment or MachinePool of that name (found: MachineDeployment "
        "prod-md-a, MachinePool prod-mp-a)" in unknown.error.message
    )
    assert unknown.error.hint and "annotation cluster.x-k8s.io/owner-name" in unknown.error.hint
    assert double.by("kubecurrent") == []


def test_a_machine_pool_that_cannot_report_its_nodes_is_refused_before_any_patch(
    cluster: SessionSandbox, namespace: str, tmp_path: Path
) -> None:
    client = cluster.client()
    create_all(client, namespace, capi_cluster("prod", "v1.35.4", **MIXED))
    plan = plan_of(cp("1.35.4", "1.36.3"), pool("prod-mp-a", "1.35.4", "1.36.3"))

    with CapiControllersDouble(client, namespace) as double:
        client.patch(  # as Cluster API before v1.14 has it: no status.versions
            KINDS[MP].Status,
            "prod-mp-a",
            {"status": {"versions": None}},
            namespace=namespace,
            patch_type=PatchType.MERGE,
        )
        report = run(cluster, namespace, plan, tmp_path / "audit.jsonl")

    assert report.error is not None
    assert f"MachinePool {namespace}/prod-mp-a reports no status.versions" in report.error.message
    assert report.error.hint and "v1.14 or later" in report.error.hint
    assert [r.outcome for r in report.results] == ["done", "failed"]
    assert double.by("kubecurrent") == [(KCP, "prod-cp", CP_FIELD, "v1.35.4", "v1.36.3")]


def test_the_cli_finds_the_cluster_by_its_endpoint_and_upgrades_it(
    cluster: SessionSandbox, namespace: str, tmp_path: Path
) -> None:
    client = cluster.client()
    server = urlsplit(client.config.cluster.server)
    endpoint = (str(server.hostname), int(server.port or 443))
    create_all(client, namespace, capi_cluster("prod", "v1.35.4", endpoint=endpoint))
    steps = [
        {"type": "control-plane", "target": "control-plane", "from": "1.35.4", "to": "1.36.3"},
        {"type": "node-pool", "target": "prod-md-a", "from": "1.35.4", "to": "1.36.3"},
        {"type": "node-pool", "target": "prod-md-b", "from": "1.35.4", "to": "1.36.3"},
    ]
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(_plan_json(steps)))
    audit = tmp_path / "audit.jsonl"

    with CapiControllersDouble(client, namespace) as double:
        done = kubecurrent(cluster, audit, "--provider", "cluster-api", "--plan", str(plan))

    assert done.returncode == 0, done.stdout + done.stderr
    assert f"Cluster API: {namespace}/prod" in done.stderr
    assert "now: control plane v1.36.3" in done.stdout
    assert "prod-md-a v1.36.3, prod-md-b v1.36.3" in done.stdout
    assert [c[:3] for c in double.by("kubecurrent")] == [
        (KCP, "prod-cp", CP_FIELD),
        (MD, "prod-md-a", MD_FIELD),
        (MD, "prod-md-b", MD_FIELD),
    ]
    records = read_audit(audit)
    assert [r["action"] for r in records].count("capi.patch") == 3
    assert records[-1]["action"] == "upgrade.end" and records[-1]["outcome"] == "ok"


def _plan_json(steps: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "target": "1.36",
        "clusters": [
            {
                "name": "shared",
                "status": "ok",
                "from": "1.35.4",
                "target": "1.36.3",
                "reasons": [],
                "alternatives": [],
                "blue_green": None,
                "totals": {},
                "steps": [
                    {"order": i, "hop": 1, "why": "test", "without": "test", **s}
                    for i, s in enumerate(steps, start=1)
                ],
            }
        ],
        "groups": [],
    }
