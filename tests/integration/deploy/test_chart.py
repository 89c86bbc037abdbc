"""The Helm chart, checked with the real helm: it lints, renders what docs/controller.md says,
refuses incomplete member entries, grants only namespaced rights — and those rights are enough
for the controller's Leases and rollout store on a real API server, and no more."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from lightkube.core.exceptions import ApiError
from lightkube.models.authentication_v1 import TokenRequestSpec
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.core_v1 import Secret, ServiceAccount

from kubecurrent.controller import Coordinator, LeaseSettings
from kubecurrent.errors import ClusterError
from kubecurrent.kubestate import KubeStore, crd_documents, install_crds
from kubecurrent.rollout import (
    Change,
    ClusterRecord,
    ClusterRef,
    ClusterState,
    RolloutRecord,
    RolloutState,
    Strategy,
    WaveRecord,
    WaveState,
    create,
    summaries,
)
from kubecurrent.sandbox._build import binary_path
from kubecurrent.sandbox._components import HELM
from kubecurrent.web._rollouts import Rollouts
from tests.integration.conftest import SessionSandbox, guard

pytestmark = pytest.mark.integration

CHART = Path(__file__).resolve().parents[3] / "deploy" / "chart"


def helm(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(binary_path(HELM, "helm")), *args],
        check=check,
        capture_output=True,
        text=True,
        timeout=120,
    )


def render(tmp_path: Path, values: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    file = tmp_path / "values.yaml"
    file.write_text(yaml.safe_dump(values or {}))
    out = helm("template", "r1", str(CHART), "-n", "fleet", "-f", str(file)).stdout
    return [d for d in yaml.safe_load_all(out) if d]


def kinds(docs: list[dict[str, Any]]) -> list[str]:
    return sorted(f"{d['kind']}/{d['metadata']['name']}" for d in docs)


MEMBERS = {
    "members": [
        {"name": "prod-eu-1", "labels": {"env": "prod"}, "kubeconfig": "apiVersion: v1\n"},
        {"name": "dev-1", "existingSecret": "dev-kc", "provider": "eks"},
    ]
}


def test_the_chart_lints_strictly() -> None:
    out = helm("lint", "--strict", str(CHART))
    assert "1 chart(s) linted, 0 chart(s) failed" in out.stdout


def test_the_chart_ships_the_packages_crds_unchanged() -> None:
    shipped = {p.name: p.read_text(encoding="utf-8") for p in (CHART / "crds").glob("*.yaml")}
    assert shipped == {doc.file: doc.text for doc in crd_documents()}


def test_defaults_render_two_controller_replicas_and_the_dashboard(tmp_path: Path) -> None:
    docs = render(tmp_path)
    assert kinds(docs) == [
        "Deployment/r1-kubecurrent-controller",
        "Deployment/r1-kubecurrent-dashboard",
        "Role/r1-kubecurrent-controller",
        "Role/r1-kubecurrent-dashboard",
        "RoleBinding/r1-kubecurrent-controller",
        "RoleBinding/r1-kubecurrent-dashboard",
        "Service/r1-kubecurrent-controller-metrics",
        "Service/r1-kubecurrent-dashboard",
        "ServiceAccount/r1-kubecurrent-controller",
        "ServiceAccount/r1-kubecurrent-dashboard",
    ]
    without = kinds(render(tmp_path, {"dashboard": {"enabled": False}}))
    assert not [k for k in without if "dashboard" in k]
    dashboard = next(
        d
        for d in docs
        if d["metadata"]["name"] == "r1-kubecurrent-dashboard" and d["kind"] == "Deployment"
    )
    (web,) = dashboard["spec"]["template"]["spec"]["containers"]
    assert web["args"][0] == "serve" and "--state=k8s:///$(POD_NAMESPACE)" in web["args"]
    tokens = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in web["env"] if "TOKEN" in e["name"]}
    assert {ref["name"] for ref in tokens.values()} == {"r1-kubecurrent-dashboard"}
    controller = next(
        d
        for d in docs
        if d["metadata"]["name"] == "r1-kubecurrent-controller" and d["kind"] == "Deployment"
    )
    assert controller["spec"]["replicas"] == 2
    (container,) = controller["spec"]["template"]["spec"]["containers"]
    assert container["args"][:3] == [
        "controller",
        "--namespace=$(POD_NAMESPACE)",
        "--identity=$(POD_NAME)",
    ]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["securityContext"]["readOnlyRootFilesystem"] is True


def test_members_become_secrets_and_member_clusters(tmp_path: Path) -> None:
    docs = render(tmp_path, MEMBERS)
    assert "Secret/kubecurrent-member-prod-eu-1" in kinds(docs)
    assert "Secret/dev-kc" not in kinds(docs)  # the user's own Secret is referenced, not made
    members = {d["metadata"]["name"]: d for d in docs if d["kind"] == "MemberCluster"}
    assert members["prod-eu-1"]["spec"]["kubeconfigSecretRef"] == {
        "name": "kubecurrent-member-prod-eu-1"
    }
    assert members["prod-eu-1"]["metadata"]["labels"]["env"] == "prod"
    assert members["dev-1"]["spec"] == {
        "kubeconfigSecretRef": {"name": "dev-kc"},
        "provider": "eks",
    }
    role = next(
        d for d in docs if d["kind"] == "Role" and d["metadata"]["name"].endswith("-controller")
    )
    (secrets,) = [r for r in role["rules"] if "secrets" in r["resources"]]
    assert secrets["verbs"] == ["get"]
    assert secrets["resourceNames"] == ["kubecurrent-member-prod-eu-1", "dev-kc"]


def test_a_member_without_a_kubeconfig_is_refused_by_name(tmp_path: Path) -> None:
    file = tmp_path / "values.yaml"
    file.write_text(yaml.safe_dump({"members": [{"name": "lost"}]}))
    out = helm("template", "r1", str(CHART), "-f", str(file), check=False)
    assert out.returncode != 0
    assert "members: lost needs kubeconfig or existingSecret" in out.stderr


def test_notify_secrets_reach_the_controller_as_env_and_read_only_files(tmp_path: Path) -> None:
    def controller(values: dict[str, Any]) -> dict[str, Any]:
        docs = render(tmp_path, values)
        (found,) = [
            d
            for d in docs
            if d["metadata"]["name"] == "r1-kubecurrent-controller" and d["kind"] == "Deployment"
        ]
        spec: dict[str, Any] = found["spec"]["template"]["spec"]
        return spec

    plain = controller({})
    assert "envFrom" not in plain["containers"][0]
    assert [v["name"] for v in plain["volumes"]] == ["tmp"]
    told = controller(
        {"controller": {"notify": {"envFromSecret": "hooks", "fileSecret": "hook-files"}}}
    )
    (container,) = told["containers"]
    assert container["envFrom"] == [{"secretRef": {"name": "hooks"}}]
    assert {"name": "notify", "mountPath": "/etc/kubecurrent/notify", "readOnly": True} in (
        container["volumeMounts"]
    )
    assert {"name": "notify", "secret": {"secretName": "hook-files", "defaultMode": 0o400}} in (
        told["volumes"]
    )


def test_the_dashboard_may_read_only_the_members_secrets_for_its_fleet_page(
    tmp_path: Path,
) -> None:
    def secret_rules(values: dict[str, Any]) -> list[dict[str, Any]]:
        (role,) = [
            d
            for d in render(tmp_path, values)
            if d["kind"] == "Role" and d["metadata"]["name"] == "r1-kubecurrent-dashboard"
        ]
        return [r for r in role["rules"] if "secrets" in r["resources"]]

    (rule,) = secret_rules(MEMBERS)
    assert rule["verbs"] == ["get"]
    assert sorted(rule["resourceNames"]) == ["dev-kc", "kubecurrent-member-prod-eu-1"]
    assert secret_rules({**MEMBERS, "dashboard": {"fleet": False}}) == []


def test_the_service_monitor_is_optional(tmp_path: Path) -> None:
    assert not [d for d in render(tmp_path) if d["kind"] == "ServiceMonitor"]
    (monitor,) = [
        d
        for d in render(tmp_path, {"serviceMonitor": {"enabled": True}})
        if d["kind"] == "ServiceMonitor"
    ]
    assert monitor["spec"]["endpoints"] == [
        {"port": "metrics", "path": "/metrics", "interval": "30s"}
    ]


def test_rights_are_namespaced_and_never_wildcards(tmp_path: Path) -> None:
    docs = render(
        tmp_path, MEMBERS | {"serviceMonitor": {"enabled": True}, "dashboard": {"enabled": True}}
    )
    assert not [d for d in docs if d["kind"] in ("ClusterRole", "ClusterRoleBinding")]
    for role in (d for d in docs if d["kind"] == "Role"):
        for rule in role["rules"]:
            assert "*" not in rule["verbs"] and "*" not in rule["resources"], rule
            assert "*" not in rule["apiGroups"], rule


def test_the_controllers_role_is_enough_for_leases_and_the_store_and_no_more(
    tmp_path: Path, cluster: SessionSandbox, namespace: str
) -> None:
    admin = cluster.client()
    install_crds(admin, "kubecurrent-tests")
    file = tmp_path / "values.yaml"
    file.write_text(yaml.safe_dump({"members": MEMBERS["members"][:1]}))
    helm(
        "--kubeconfig",
        str(cluster.kubeconfig),
        "install",
        "r1",
        str(CHART),
        "-n",
        namespace,
        "-f",
        str(file),
        "--skip-crds",
    )
    client = cluster.client(
        _service_account_kubeconfig(cluster, namespace, "r1-kubecurrent-controller", tmp_path)
    )

    coordinator = Coordinator(client, "pod-a", LeaseSettings(namespace=namespace, shards=4))
    coordinator.step()
    assert coordinator.held == frozenset(range(4)) and coordinator.leader

    store = KubeStore(client, namespace, f"k8s://sandbox/{namespace}")
    now = dt.datetime.now(dt.UTC)
    rid = "r-rbac"
    store.create(
        RolloutRecord(rid, "1.37", "chart", Strategy(), RolloutState.PENDING, now, now, "ctl"),
        [WaveRecord(rid, 0, "all", WaveState.PENDING, approvals_needed=0)],
        [ClusterRecord(rid, ClusterRef("prod-eu-1"), 0, 0, ClusterState.PENDING)],
        Change("ctl", now, "created"),
    )
    assert (
        store.move_cluster(rid, "prod-eu-1", ClusterState.RUNNING, Change("ctl", now))
        == ClusterState.PENDING
    )
    assert client.get(Secret, "kubecurrent-member-prod-eu-1", namespace=namespace).data

    other = Secret(metadata=ObjectMeta(name="other", namespace=namespace), stringData={"a": "b"})
    admin.create(other)
    with pytest.raises(ApiError) as denied:  # another Secret of the namespace: not readable
        client.get(Secret, "other", namespace=namespace)
    assert denied.value.status.code == 403
    with pytest.raises(ClusterError):  # nothing outside its namespace
        KubeStore(client, "default", "k8s://sandbox/default").rollouts()


def test_the_dashboards_role_is_enough_to_show_and_control_rollouts(
    tmp_path: Path, cluster: SessionSandbox, namespace: str
) -> None:
    admin = cluster.client()
    install_crds(admin, "kubecurrent-tests")
    helm(
        "--kubeconfig",
        str(cluster.kubeconfig),
        "install",
        "r1",
        str(CHART),
        "-n",
        namespace,
        "--skip-crds",
        "--set",
        "dashboard.fleet=false",  # rollouts only: no member Secret readable
    )
    recorder = KubeStore(admin, namespace, f"k8s://sandbox/{namespace}")
    strategy = Strategy.model_validate({"waves": [{"name": "all", "approval": True}]})
    rid = create(
        recorder,
        clusters=[ClusterRef("prod-eu-1"), ClusterRef("prod-eu-2")],
        target="1.37",
        strategy=strategy,
        fleet="chart",
        actor="ann",
        now=dt.datetime.now(dt.UTC),
    )
    client = cluster.client(
        _service_account_kubeconfig(cluster, namespace, "r1-kubecurrent-dashboard", tmp_path)
    )
    # What the dashboard's pages and actions call, with the dashboard's own token.
    service = Rollouts(KubeStore(client, namespace, f"k8s:///{namespace}"), runners=None)
    assert [s["id"] for s in summaries(service.store)] == [rid]
    live = service.live(rid)
    assert live["driver"] is None
    assert [c["name"] for w in live["waves"] for c in w["clusters"]] == ["prod-eu-1", "prod-eu-2"]
    assert service.approve(rid, "all", "olga", "CAB-7").complete
    service.pause(rid, "olga")
    assert recorder.rollout(rid).state is RolloutState.PAUSED
    service.resume(rid, "olga", retry_failed=True)
    assert service.note(rid) is not None  # no clusters here: the controller drives it
    assert service.abort(rid, "olga")
    assert recorder.waves(rid)[0].approvers == ("olga",)
    with pytest.raises(ApiError) as denied:  # it may not read the members' Secrets
        client.get(Secret, "kubecurrent-member-prod-eu-1", namespace=namespace)
    assert denied.value.status.code == 403


def _service_account_kubeconfig(
    box: SessionSandbox, namespace: str, account: str, tmp: Path
) -> Path:
    """A kubeconfig for ``account`` with a short-lived token (TokenRequest), under the sandbox
    home so the session's guard accepts it."""
    token = box.client().create(
        ServiceAccount.Token(
            metadata=ObjectMeta(), spec=TokenRequestSpec(audiences=[], expirationSeconds=600)
        ),
        account,
        namespace=namespace,
    )
    config = yaml.safe_load(box.kubeconfig.read_text())
    for user in config["users"]:
        user["user"] = {"token": token.status.token}
    path = box.home / f"{namespace}-{account}.kubeconfig"
    path.write_text(yaml.safe_dump(config))
    guard(box, path)
    return path
