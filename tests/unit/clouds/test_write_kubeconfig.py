"""``inventory --write-kubeconfig``: one context per EKS, GKE and AKS cluster selected, each user
running its cloud's exec plugin, written all at once with mode 0600; a cluster whose cloud does
not give its server is named and left out.

The clouds' endpoint lookup is replaced by a test double (``endpoint_double``): the server and CA
come from the cloud APIs, which cannot run here (the integration tests run the real lookup
against the cloud doubles)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
import yaml

from kubecurrent.cli._cloud_kubeconfig import write_cloud_kubeconfig
from kubecurrent.collect.clouds import AksRef, CloudRef, EksRef, GkeRef
from kubecurrent.collect.cluster import ClusterResult, ClusterTarget
from kubecurrent.errors import ClusterError, UsageError

pytestmark = pytest.mark.unit

SERVERS = {
    "orders-eks": ("https://orders.eks.example", "RUtTLUNB"),
    "orders-gke": ("https://203.0.113.7", "R0tFLUNB"),
    "orders-aks": ("https://orders-dns.hcp.westeurope.azmk8s.io:443", "QUtTLUNB"),
}
FLEET = (
    ClusterTarget("lab", kubeconfig=Path("lab.kubeconfig"), context="lab"),
    ClusterTarget("orders-eks", cloud=EksRef("eu-west-1", "orders", "prod")),
    ClusterTarget("orders-gke", cloud=GkeRef("shop", "europe-west1", "orders")),
    ClusterTarget("orders-aks", cloud=AksRef("0000-sub", "rg-shop", "orders")),
)
NAMES = {t.cloud: t.name for t in FLEET if t.cloud is not None}


def endpoint_double(ref: CloudRef) -> tuple[str, str]:
    """The server and CA a cloud API would give (a double: no cloud here)."""
    found = SERVERS.get(NAMES[ref])
    if found is None:
        raise ClusterError(f"{ref} has no endpoint yet", hint="wait until it is running")
    return found


def written(path: Path, targets: tuple[ClusterTarget, ...] = FLEET) -> dict[str, object]:
    write_cloud_kubeconfig(path, [ClusterResult(t) for t in targets], endpoint_double)
    loaded: dict[str, object] = yaml.safe_load(path.read_text())
    return loaded


def users(config: dict[str, object]) -> dict[str, dict[str, object]]:
    return {u["name"]: u["user"]["exec"] for u in config["users"]}  # type: ignore[attr-defined]


def test_every_cloud_cluster_gets_a_context_running_its_exec_plugin(tmp_path: Path) -> None:
    config = written(tmp_path / "clouds.kubeconfig")
    contexts = [c["name"] for c in config["contexts"]]  # type: ignore[attr-defined]
    assert contexts == ["orders-eks", "orders-gke", "orders-aks"]  # the kubeconfig one is not
    assert config["current-context"] == "orders-eks"
    by_name = {c["name"]: c["cluster"] for c in config["clusters"]}  # type: ignore[attr-defined]
    assert by_name["orders-aks"] == {
        "server": "https://orders-dns.hcp.westeurope.azmk8s.io:443",
        "certificate-authority-data": "QUtTLUNB",
    }
    found = users(config)
    assert found["orders-eks"]["command"] == "aws"
    assert found["orders-eks"]["args"] == [
        "--region", "eu-west-1", "eks", "get-token", "--cluster-name", "orders",
        "--profile", "prod",
    ]  # fmt: skip
    assert found["orders-gke"]["command"] == "gke-gcloud-auth-plugin"
    assert found["orders-aks"]["command"] == "kubelogin"
    assert found["orders-aks"]["args"] == [
        "get-token", "--login", "azurecli",
        "--server-id", "6dae42f8-4368-4678-94ff-3960e28e3630",
    ]  # fmt: skip
    assert all(u["apiVersion"] == "client.authentication.k8s.io/v1beta1" for u in found.values())


def test_the_file_is_mode_0600_even_replacing_a_readable_one(tmp_path: Path) -> None:
    path = tmp_path / "kube" / "clouds.kubeconfig"
    path.parent.mkdir()
    path.write_text("old: file\n")
    path.chmod(0o644)
    written(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in path.parent.iterdir()) == ["clouds.kubeconfig"]  # no temp file


def test_a_cluster_without_an_endpoint_is_named_and_left_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    starting = ClusterTarget("new-aks", cloud=AksRef("0000-sub", "rg-shop", "new"))
    NAMES[starting.cloud] = starting.name  # type: ignore[index]
    config = written(tmp_path / "k", (*FLEET, starting))
    assert "new-aks" not in users(config) and "orders-aks" in users(config)
    err = capsys.readouterr().err
    assert "not in the kubeconfig: new-aks" in err and "has no endpoint yet" in err
    assert "wrote 1 AKS, 1 EKS and 1 GKE contexts to" in err


def test_no_cloud_cluster_selected_says_how_to_select_one(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="none is selected") as caught:
        written(tmp_path / "k", FLEET[:1])
    assert "--discover eks, gke or aks" in (caught.value.hint or "")
    assert not (tmp_path / "k").exists()
