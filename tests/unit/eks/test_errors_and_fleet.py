"""EKS selection and errors without AWS: fleet-file entries, regions, AWS errors that say what to
do, the rollout record of an EKS cluster, the exec-plugin kubeconfig, boto3 imported lazily."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from kubecurrent.collect.cluster import eks_targets, load_fleet_file
from kubecurrent.collect.eks import EksError, EksRef, aws_call, check_region, exec_kubeconfig
from kubecurrent.errors import UsageError
from kubecurrent.rollout import ClusterRef
from kubecurrent.rollout._records import ref_from, ref_where


def _raise(code: str, message: str) -> None:
    raise ClientError({"Error": {"Code": code, "Message": message}}, "DescribeCluster")


@pytest.mark.parametrize(
    ("code", "hint"),
    [
        ("ResourceNotFoundException", "may have been deleted"),
        ("ThrottlingException", "kept throttling after 5 attempts"),
        ("UnrecognizedClientException", "give AWS credentials"),
        ("ExpiredTokenException", "expired credentials must be refreshed"),
        ("AccessDeniedException", "grant the IAM permission"),
    ],
)
def test_aws_errors_name_the_cluster_and_the_next_step(code: str, hint: str) -> None:
    with pytest.raises(EksError) as caught:
        aws_call("describe EKS cluster prod", "eu-west-1", lambda: _raise(code, "no"))
    assert caught.value.code == code
    assert "describe EKS cluster prod (eu-west-1)" in caught.value.message
    assert hint in (caught.value.hint or "")


def test_unknown_region_lists_the_known_ones() -> None:
    assert check_region("eu-west-1") == "eu-west-1"
    with pytest.raises(UsageError, match="unknown AWS region for EKS: 'mars-1'") as caught:
        check_region("mars-1")
    assert "us-east-1" in (caught.value.hint or "")


def test_fleet_file_eks_entries(tmp_path: Path) -> None:
    fleet = tmp_path / "fleet.yaml"
    fleet.write_text(
        "clusters:\n"
        "  - eks: {region: eu-west-1, name: orders}\n"
        "  - name: pay\n"
        "    eks: {region: us-east-1, name: payments, profile: prod}\n"
        "    labels: {env: prod}\n"
        "  - name: lab\n"
        "    context: lab-admin\n"
    )
    orders, pay, lab = load_fleet_file(fleet)
    assert orders.name == "orders" and orders.cloud == EksRef("eu-west-1", "orders")
    assert pay.cloud == EksRef("us-east-1", "payments", "prod") and pay.labels == {"env": "prod"}
    assert lab.cloud is None and lab.context == "lab-admin"


def test_fleet_file_without_any_cluster_is_refused(tmp_path: Path) -> None:
    fleet = tmp_path / "fleet.yaml"
    fleet.write_text("clusters:\n  - labels: {env: prod}\n")
    with pytest.raises(UsageError, match="cluster entry 1 has no name"):
        load_fleet_file(fleet)


def test_fleet_file_eks_entry_with_a_context_is_refused(tmp_path: Path) -> None:
    fleet = tmp_path / "fleet.yaml"
    fleet.write_text("clusters:\n  - eks: {region: eu-west-1, name: a}\n    context: a\n")
    with pytest.raises(UsageError, match="cluster a has eks: and a kubeconfig context"):
        load_fleet_file(fleet)


def test_discovered_clusters_get_unique_names_and_skip_listed_ones() -> None:
    refs = (
        EksRef("eu-west-1", "prod"),
        EksRef("us-east-1", "prod"),
        EksRef("us-east-1", "dev"),
    )
    known = eks_targets((EksRef("us-east-1", "dev"),))
    names = [t.name for t in eks_targets(refs, known=known)]
    assert names == ["prod-eu-west-1", "prod-us-east-1"]


def test_rollout_keeps_an_eks_cluster_reference() -> None:
    ref = ClusterRef("orders", labels={"env": "prod"}, cloud=EksRef("eu-west-1", "orders", "p"))
    where = json.loads(json.dumps(ref_where(ref)))
    assert ref_from("orders", {"env": "prod"}, where) == ref


def test_exec_kubeconfig_runs_aws_eks_get_token() -> None:
    config = exec_kubeconfig(
        [(EksRef("eu-west-1", "orders", "prod"), "orders", "https://x.eks", "Q0E=")]
    )
    user = config["users"][0]["user"]["exec"]
    assert user["command"] == "aws"
    assert user["args"] == [
        "--region", "eu-west-1", "eks", "get-token", "--cluster-name", "orders",
        "--profile", "prod",
    ]  # fmt: skip
    assert config["current-context"] == "orders"
    assert config["clusters"][0]["cluster"]["certificate-authority-data"] == "Q0E="


def test_boto3_is_not_imported_by_commands_that_do_not_use_eks() -> None:
    code = (
        "import sys, kubecurrent.cli._app as app, kubecurrent.execute, kubecurrent.collect.cluster;"
        "app._register(); print('boto3' in sys.modules, 'botocore' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
