"""The Amazon EKS API test double, spoken to with real boto3, backed by a real sandbox.

One sandbox (Kubernetes 1.36) backs the EKS cluster ``alpha`` for the whole module: a node
group ``general`` on 1.36 and a node group ``old`` one minor behind, EKS add-ons coredns and
kube-proxy as workloads in kube-system. The tests run in file order and build on each other
the way an upgrade does: node groups first, then the control plane.
"""

from __future__ import annotations

import base64
import datetime as dt
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import botocore.exceptions
import pytest
import yaml
from lightkube import Client
from lightkube.core.exceptions import ApiError
from lightkube.models.apps_v1 import DeploymentSpec
from lightkube.models.core_v1 import Container, PodSpec, PodTemplateSpec
from lightkube.models.meta_v1 import LabelSelector, ObjectMeta
from lightkube.models.policy_v1 import PodDisruptionBudgetSpec
from lightkube.resources.apps_v1 import Deployment
from lightkube.resources.core_v1 import Node, Pod
from lightkube.resources.policy_v1 import PodDisruptionBudget

from kubecurrent import sandbox as sb

from ..conftest import SessionSandbox, wait_for
from .double import AddonSpec, DeprecatedApiUsage, EksDouble, NodegroupSpec, mint_token

pytestmark = pytest.mark.integration

REGION = "eu-west-1"
SANDBOX = "eks-alpha"
CLUSTER = "alpha"
NODEGROUP_LABEL = "eks.amazonaws.com/nodegroup"


@pytest.fixture(scope="module")
def alpha(eks_double: EksDouble, sandbox_home: Path) -> SessionSandbox:
    eks_double.start_sandbox(SANDBOX, "1.36")
    eks_double.add_cluster(
        CLUSTER,
        REGION,
        SANDBOX,
        nodegroups=[NodegroupSpec("general", 2), NodegroupSpec("old", 2, minor="1.35")],
        addons=[
            AddonSpec("coredns", "v1.12.2-eksbuild.4"),
            AddonSpec("kube-proxy", "v1.36.3-eksbuild.2"),
        ],
        fargate_profiles=["batch"],
        support_type="EXTENDED",
        tags={"team": "platform"},
    )
    return SessionSandbox(SANDBOX, sandbox_home)


@pytest.fixture(scope="module")
def eks(eks_double: EksDouble) -> Any:
    """The real boto3 EKS client, pointed at the double with ``endpoint_url``."""
    return boto3.Session(**eks_double.session_kwargs(REGION)).client(
        "eks", endpoint_url=eks_double.endpoint_url
    )


def wait_update(eks: Any, update_id: str, timeout: float = 300, **target: str) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        update = eks.describe_update(name=CLUSTER, updateId=update_id, **target)["update"]
        if update["status"] != "InProgress":
            return dict(update)
        time.sleep(0.5)
    pytest.fail(f"update {update_id} still InProgress after {timeout:.0f}s")


def error_of(exc: pytest.ExceptionInfo[botocore.exceptions.ClientError]) -> tuple[str, int]:
    response = exc.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


class TestReading:
    def test_clusters_are_listed_per_region_and_described_from_their_sandbox(
        self,
        alpha: SessionSandbox,
        eks: Any,
        eks_double: EksDouble,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        assert eks.list_clusters()["clusters"] == [CLUSTER]
        cluster = eks.describe_cluster(name=CLUSTER)["cluster"]
        state = sb.require(SANDBOX)
        ca = (sb.run_dir(SANDBOX) / "pki" / "ca.crt").read_bytes()
        assert cluster["arn"] == f"arn:aws:eks:{REGION}:{eks_double.account_id}:cluster/{CLUSTER}"
        assert (cluster["version"], cluster["status"]) == ("1.36", "ACTIVE")
        assert cluster["endpoint"] == state.server
        assert base64.b64decode(cluster["certificateAuthority"]["data"]) == ca
        assert cluster["upgradePolicy"]["supportType"] == "EXTENDED"
        assert cluster["tags"] == {"team": "platform"}

        # The documented environment variable reaches the double too, and regions are apart.
        for key, value in eks_double.env("us-east-1").items():
            monkeypatch.setenv(key, value)
        assert boto3.client("eks").list_clusters()["clusters"] == []

    def test_node_groups_fargate_and_addons(self, alpha: SessionSandbox, eks: Any) -> None:
        assert eks.list_nodegroups(clusterName=CLUSTER)["nodegroups"] == ["general", "old"]
        old = eks.describe_nodegroup(clusterName=CLUSTER, nodegroupName="old")["nodegroup"]
        assert (old["version"], old["status"], old["capacityType"]) == (
            "1.35",
            "ACTIVE",
            "ON_DEMAND",
        )
        assert old["releaseVersion"].startswith(sb.release_of("1.35").removeprefix("v") + "-")
        assert old["updateConfig"] == {"maxUnavailable": 1}
        assert old["scalingConfig"]["desiredSize"] == 2
        nodes = list(alpha.client().list(Node, labels={NODEGROUP_LABEL: "old"}))
        assert sorted(n.status.nodeInfo.kubeletVersion[:6] for n in nodes) == ["v1.35.", "v1.35."]
        assert all(sb.POOL_LABEL not in (n.metadata.labels or {}) for n in nodes)

        assert eks.list_fargate_profiles(clusterName=CLUSTER)["fargateProfileNames"] == ["batch"]
        profile = eks.describe_fargate_profile(clusterName=CLUSTER, fargateProfileName="batch")
        assert profile["fargateProfile"]["status"] == "ACTIVE"

        assert eks.list_addons(clusterName=CLUSTER)["addons"] == ["coredns", "kube-proxy"]
        coredns = eks.describe_addon(clusterName=CLUSTER, addonName="coredns")["addon"]
        assert (coredns["addonVersion"], coredns["status"]) == ("v1.12.2-eksbuild.4", "ACTIVE")
        offered = eks.describe_addon_versions(kubernetesVersion="1.37", addonName="coredns")
        versions = offered["addons"][0]["addonVersions"]
        defaults = [
            v["addonVersion"] for v in versions if v["compatibilities"][0]["defaultVersion"]
        ]
        assert defaults == ["v1.12.4-eksbuild.1"]
        assert "v1.12.2-eksbuild.4" not in [v["addonVersion"] for v in versions]

        with pytest.raises(botocore.exceptions.ClientError) as missing:
            eks.describe_nodegroup(clusterName=CLUSTER, nodegroupName="nope")
        assert error_of(missing) == ("ResourceNotFoundException", 404)

    def test_a_degraded_node_group_shows_its_health_issue(
        self, alpha: SessionSandbox, eks: Any, eks_double: EksDouble
    ) -> None:
        eks_double.degrade_nodegroup(
            CLUSTER, "general", code="AsgInstanceLaunchFailures", message="no capacity"
        )
        general = eks.describe_nodegroup(clusterName=CLUSTER, nodegroupName="general")["nodegroup"]
        assert general["status"] == "DEGRADED"
        assert general["health"]["issues"] == [
            {
                "code": "AsgInstanceLaunchFailures",
                "message": "no capacity",
                "resourceIds": ["general"],
            }
        ]

    def test_insights_report_the_deprecated_apis_set_by_the_test(
        self, alpha: SessionSandbox, eks: Any, eks_double: EksDouble
    ) -> None:
        usage = DeprecatedApiUsage(
            usage="/apis/example.dev/v1beta1/widgets",
            replaced_with="/apis/example.dev/v1/widgets",
            stop_serving_version="1.37",
        )
        eks_double.set_deprecated_apis(CLUSTER, [usage])
        insights = eks.list_insights(clusterName=CLUSTER, filter={"statuses": ["ERROR"]})[
            "insights"
        ]
        assert [(i["kubernetesVersion"], i["category"]) for i in insights] == [
            ("1.37", "UPGRADE_READINESS")
        ]
        insight = eks.describe_insight(clusterName=CLUSTER, id=insights[0]["id"])["insight"]
        detail = insight["categorySpecificSummary"]["deprecationDetails"][0]
        assert (detail["usage"], detail["stopServingVersion"]) == (usage.usage, "1.37")
        assert detail["clientStats"][0]["userAgent"] == usage.user_agent
        eks_double.set_deprecated_apis(CLUSTER, [])
        assert (
            eks.list_insights(clusterName=CLUSTER)["insights"][0]["insightStatus"]["status"]
            == "PASSING"
        )


class TestAuthentication:
    def test_an_eks_token_reaches_the_api_server_and_bad_ones_are_refused(
        self, alpha: SessionSandbox, eks_double: EksDouble
    ) -> None:
        session = boto3.Session(**eks_double.session_kwargs(REGION))
        good = _token_client(alpha, mint_token(session, CLUSTER), "good")
        assert len(list(good.list(Node, labels={NODEGROUP_LABEL: None}))) == 4

        wrong_cluster = _token_client(alpha, mint_token(session, "another-cluster"), "wrong")
        other_key = boto3.Session(
            aws_access_key_id=eks_double.keys.access_key,
            aws_secret_access_key="bad",
            region_name=REGION,
        )
        forged = _token_client(alpha, mint_token(other_key, CLUSTER), "forged")
        # The authenticator accepts a token for 15 minutes from its X-Amz-Date (whatever
        # X-Amz-Expires says): one signed 16 minutes ago is refused, one of 14 is not.
        ago = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        stale = mint_token(session, CLUSTER, signed_at=ago - dt.timedelta(minutes=16))
        expired = _token_client(alpha, stale, "expired")
        recent = mint_token(session, CLUSTER, signed_at=ago - dt.timedelta(minutes=14))
        assert list(_token_client(alpha, recent, "recent").list(Node))
        for client in (wrong_cluster, forged, expired):
            with pytest.raises(ApiError) as refused:
                list(client.list(Node))
            assert refused.value.status.code == 401


def _token_client(box: SessionSandbox, token: str, name: str) -> Client:
    """A lightkube client authenticating with ``token`` (a kubeconfig under the sandbox home)."""
    state = sb.require(box.name)
    ca = (sb.run_dir(box.name) / "pki" / "ca.crt").read_bytes()
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "eks",
                "cluster": {
                    "server": state.server,
                    "certificate-authority-data": base64.b64encode(ca).decode(),
                },
            }
        ],
        "users": [{"name": "eks", "user": {"token": token}}],
        "contexts": [{"name": "eks", "context": {"cluster": "eks", "user": "eks"}}],
        "current-context": "eks",
    }
    path = box.home / f"{box.name}-{name}-token.kubeconfig"
    path.write_text(yaml.safe_dump(config))
    return box.client(kubeconfig=path)


@pytest.fixture(scope="module")
def protected(alpha: SessionSandbox) -> Iterator[str]:
    """A Deployment of 2 replicas behind a PDB (minAvailable 1) in its own namespace."""
    from lightkube.models.meta_v1 import ObjectMeta as Meta
    from lightkube.resources.core_v1 import Namespace

    client = alpha.client()
    ns = "shop"
    client.create(Namespace(metadata=Meta(name=ns)))
    wait_for(lambda: _has_sa(client, ns), "default ServiceAccount in shop")
    labels = {"app": "web"}
    client.create(
        Deployment(
            metadata=ObjectMeta(name="web", namespace=ns),
            spec=DeploymentSpec(
                replicas=2,
                selector=LabelSelector(matchLabels=labels),
                template=PodTemplateSpec(
                    metadata=ObjectMeta(labels=labels),
                    spec=PodSpec(containers=[Container(name="web", image="nginx:1.27")]),
                ),
            ),
        )
    )
    client.create(
        PodDisruptionBudget(
            metadata=ObjectMeta(name="web", namespace=ns),
            spec=PodDisruptionBudgetSpec(
                minAvailable=1, selector=LabelSelector(matchLabels=labels)
            ),
        )
    )
    wait_for(lambda: _ready_pods(client, ns) == 2, "2 ready web pods", timeout=120)
    yield ns


def _has_sa(client: Client, ns: str) -> bool:
    from lightkube.resources.core_v1 import ServiceAccount

    try:
        client.get(ServiceAccount, "default", namespace=ns)
        return True
    except ApiError:
        return False


def _ready_pods(client: Client, ns: str) -> int:
    count = 0
    for pod in client.list(Pod, namespace=ns, labels={"app": "web"}):
        conditions = (pod.status.conditions if pod.status else None) or []
        if not (pod.metadata and pod.metadata.deletionTimestamp) and any(
            c.type == "Ready" and c.status == "True" for c in conditions
        ):
            count += 1
    return count


class TestNodegroupUpdates:
    def test_the_control_plane_waits_for_node_groups_on_an_older_minor(
        self, alpha: SessionSandbox, eks: Any
    ) -> None:
        with pytest.raises(botocore.exceptions.ClientError) as refused:
            eks.update_cluster_version(name=CLUSTER, version="1.37")
        assert error_of(refused) == ("InvalidRequestException", 400)
        assert "old" in refused.value.response["Error"]["Message"]

    def test_a_node_group_cannot_move_above_the_control_plane(
        self, alpha: SessionSandbox, eks: Any
    ) -> None:
        with pytest.raises(botocore.exceptions.ClientError) as refused:
            eks.update_nodegroup_version(clusterName=CLUSTER, nodegroupName="old", version="1.37")
        assert error_of(refused) == ("InvalidRequestException", 400)

    def test_a_pdb_that_never_allows_eviction_fails_the_roll_with_pod_eviction_failure(
        self, alpha: SessionSandbox, eks: Any, eks_double: EksDouble, protected: str
    ) -> None:
        client = alpha.client()
        _move_pods_to(client, protected, "old")
        client.patch(PodDisruptionBudget, "web", {"spec": {"minAvailable": 2}}, namespace=protected)
        wait_for(lambda: _disruptions_allowed(client, protected) == 0, "the PDB to allow none")
        eks_double.eviction_timeout = 6
        update = eks.update_nodegroup_version(
            clusterName=CLUSTER, nodegroupName="old", version="1.36"
        )
        done = wait_update(eks, update["update"]["id"], nodegroupName="old")
        assert done["status"] == "Failed"
        assert done["errors"][0]["errorCode"] == "PodEvictionFailure"
        old = eks.describe_nodegroup(clusterName=CLUSTER, nodegroupName="old")["nodegroup"]
        assert (old["version"], old["status"]) == ("1.35", "ACTIVE")
        client.patch(PodDisruptionBudget, "web", {"spec": {"minAvailable": 1}}, namespace=protected)

    def test_a_node_group_update_replaces_its_kwok_nodes_through_evictions(
        self, alpha: SessionSandbox, eks: Any, eks_double: EksDouble, protected: str
    ) -> None:
        client = alpha.client()
        eks_double.eviction_timeout = 120
        # The failed roll above left its two new nodes: only the 1.35 ones are to be replaced.
        before = {
            n.metadata.name
            for n in client.list(Node, labels={NODEGROUP_LABEL: "old"})
            if n.status.nodeInfo.kubeletVersion.startswith("v1.35.")
        }
        assert len(before) == 2
        lowest, stop = [2], threading.Event()

        def watch() -> None:
            while not stop.is_set():
                lowest[0] = min(lowest[0], _ready_pods(alpha.client(), protected))
                time.sleep(0.1)

        watcher = threading.Thread(target=watch)
        watcher.start()
        try:
            update = eks.update_nodegroup_version(clusterName=CLUSTER, nodegroupName="old")
            assert update["update"]["status"] == "InProgress"
            done = wait_update(eks, update["update"]["id"], nodegroupName="old")
        finally:
            stop.set()
            watcher.join()
        assert done["status"] == "Successful", done["errors"]
        nodes = list(client.list(Node, labels={NODEGROUP_LABEL: "old"}))
        names = {n.metadata.name for n in nodes}
        assert len(names) == 2 and not names & before
        assert all(n.status.nodeInfo.kubeletVersion.startswith("v1.36.") for n in nodes)
        old = eks.describe_nodegroup(clusterName=CLUSTER, nodegroupName="old")["nodegroup"]
        assert old["version"] == "1.36"
        assert lowest[0] >= 1  # the PDB held: never fewer than minAvailable ready pods
        wait_for(lambda: _ready_pods(client, protected) == 2, "web back to 2 ready pods")


def _disruptions_allowed(client: Client, ns: str) -> int | None:
    pdb = client.get(PodDisruptionBudget, "web", namespace=ns)
    if pdb.status is None or pdb.status.observedGeneration != (
        pdb.metadata and pdb.metadata.generation
    ):
        return None
    return pdb.status.disruptionsAllowed


def _move_pods_to(client: Client, ns: str, nodegroup: str) -> None:
    """Put the web pods on ``nodegroup`` by cordoning the other nodes and recreating them."""
    others = [
        n.metadata.name
        for n in client.list(Node, labels={NODEGROUP_LABEL: None})
        if n.metadata.labels[NODEGROUP_LABEL] != nodegroup
    ]
    for name in others:
        client.patch(Node, name, {"spec": {"unschedulable": True}})
    for pod in client.list(Pod, namespace=ns, labels={"app": "web"}):
        client.delete(Pod, pod.metadata.name, namespace=ns)
    wait_for(lambda: _ready_pods(client, ns) == 2, "web pods on the old node group", timeout=120)
    for name in others:
        client.patch(Node, name, {"spec": {"unschedulable": False}})


class TestAddonUpdates:
    def test_conflicts_fail_with_none_are_kept_with_preserve_and_taken_back_with_overwrite(
        self, alpha: SessionSandbox, eks: Any
    ) -> None:
        client = alpha.client()
        user_change = {
            "spec": {
                "template": {
                    "spec": {
                        "containers": [
                            {"name": "coredns", "resources": {"limits": {"memory": "300Mi"}}}
                        ]
                    }
                }
            }
        }
        # Another field manager ("kubecurrent-tests") edits a field the add-on owns.
        client.patch(Deployment, "coredns", user_change, namespace="kube-system")

        def update(version: str, resolve: str) -> dict[str, Any]:
            started = eks.update_addon(
                clusterName=CLUSTER,
                addonName="coredns",
                addonVersion=version,
                resolveConflicts=resolve,
            )
            assert started["update"]["type"] == "AddonUpdate"
            return wait_update(eks, started["update"]["id"], addonName="coredns")

        def live() -> tuple[str, str]:
            c = client.get(
                Deployment, "coredns", namespace="kube-system"
            ).spec.template.spec.containers[0]
            return c.image.rsplit(":", 1)[1], c.resources.limits["memory"]

        failed = update("v1.12.4-eksbuild.1", "NONE")
        assert failed["status"] == "Failed"
        assert failed["errors"][0]["errorCode"] == "ConfigurationConflict"
        assert "resources.limits.memory" in failed["errors"][0]["errorMessage"]
        assert live() == ("v1.12.2-eksbuild.4", "300Mi")
        addon = eks.describe_addon(clusterName=CLUSTER, addonName="coredns")["addon"]
        assert (addon["status"], addon["addonVersion"]) == ("UPDATE_FAILED", "v1.12.2-eksbuild.4")

        assert update("v1.12.4-eksbuild.1", "PRESERVE")["status"] == "Successful"
        assert live() == ("v1.12.4-eksbuild.1", "300Mi")
        addon = eks.describe_addon(clusterName=CLUSTER, addonName="coredns")["addon"]
        assert (addon["status"], addon["addonVersion"]) == ("ACTIVE", "v1.12.4-eksbuild.1")

        assert update("v1.12.2-eksbuild.4", "OVERWRITE")["status"] == "Successful"
        assert live() == ("v1.12.2-eksbuild.4", "170Mi")

    def test_a_version_the_cluster_minor_does_not_offer_is_refused(
        self, alpha: SessionSandbox, eks: Any
    ) -> None:
        with pytest.raises(botocore.exceptions.ClientError) as refused:
            eks.update_addon(
                clusterName=CLUSTER, addonName="kube-proxy", addonVersion="v1.37.2-eksbuild.1"
            )
        assert error_of(refused) == ("InvalidParameterException", 400)


class TestClusterUpdates:
    def test_more_than_one_minor_is_refused(self, alpha: SessionSandbox, eks: Any) -> None:
        with pytest.raises(botocore.exceptions.ClientError) as refused:
            eks.update_cluster_version(name=CLUSTER, version="1.38")
        assert error_of(refused) == ("InvalidRequestException", 400)

    def test_an_injected_failure_fails_the_update_and_leaves_the_sandbox(
        self, alpha: SessionSandbox, eks: Any, eks_double: EksDouble
    ) -> None:
        eks_double.fail_next_update(
            CLUSTER,
            kind="cluster",
            error_code="AccessDenied",
            message="role eks-cluster-role was deleted",
        )
        update = eks.update_cluster_version(name=CLUSTER, version="1.37")["update"]
        done = wait_update(eks, update["id"])
        assert done["status"] == "Failed"
        assert done["errors"] == [
            {
                "errorCode": "AccessDenied",
                "errorMessage": "role eks-cluster-role was deleted",
                "resourceIds": [CLUSTER],
            }
        ]
        assert eks.describe_cluster(name=CLUSTER)["cluster"]["version"] == "1.36"
        assert sb.server_version(sb.require(SANDBOX)).startswith("v1.36.")

    def test_the_update_really_upgrades_the_sandbox_and_is_the_only_one_running(
        self, alpha: SessionSandbox, eks: Any, eks_double: EksDouble
    ) -> None:
        eks_double.hold_updates(CLUSTER)
        token = "resume-after-kill-1"
        update = eks.update_cluster_version(name=CLUSTER, version="1.37", clientRequestToken=token)[
            "update"
        ]
        assert update["status"] == "InProgress"
        # The same clientRequestToken again (a retried request) answers the same update.
        again = eks.update_cluster_version(name=CLUSTER, version="1.37", clientRequestToken=token)
        assert again["update"]["id"] == update["id"]
        assert {"type": "Version", "value": "1.37"} in update["params"]
        assert eks.describe_cluster(name=CLUSTER)["cluster"]["status"] == "UPDATING"
        with pytest.raises(botocore.exceptions.ClientError) as busy:
            eks.update_cluster_version(name=CLUSTER, version="1.37")
        assert error_of(busy) == ("ResourceInUseException", 409)
        assert update["id"] in eks.list_updates(name=CLUSTER)["updateIds"]
        time.sleep(1)
        assert (
            eks.describe_update(name=CLUSTER, updateId=update["id"])["update"]["status"]
            == "InProgress"
        )
        assert sb.server_version(sb.require(SANDBOX)).startswith("v1.36.")  # held: nothing yet

        eks_double.release_updates(CLUSTER)
        done = wait_update(eks, update["id"])
        assert done["status"] == "Successful", done["errors"]
        assert sb.server_version(sb.require(SANDBOX)) == sb.release_of("1.37")
        cluster = eks.describe_cluster(name=CLUSTER)["cluster"]
        assert (cluster["version"], cluster["status"]) == ("1.37", "ACTIVE")
        # The upgraded API server kept the token webhook (it comes from the sandbox's state).
        session = boto3.Session(**eks_double.session_kwargs(REGION))
        after = _token_client(alpha, mint_token(session, CLUSTER), "after-upgrade")
        assert len(list(after.list(Node, labels={NODEGROUP_LABEL: None}))) == 4
