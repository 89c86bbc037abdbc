"""The clouds seam without any cloud: references and their records, fleet-file entries and
discovery blocks of every cloud, ``--discover`` validation, the managed-model union."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kubecurrent.cli._clusters import Selection, selectors
from kubecurrent.collect.clouds import (
    AksRef,
    AksSelector,
    EksRef,
    EksSelector,
    GkeRef,
    GkeSelector,
    ref_from_json,
    title_of,
)
from kubecurrent.collect.cluster import cloud_targets, load_fleet_file
from kubecurrent.errors import UsageError
from kubecurrent.model.gke import GkeCluster
from kubecurrent.model.inventory import ClusterInventory
from kubecurrent.model.managed import EksCluster
from kubecurrent.rollout import ClusterRef
from kubecurrent.rollout._records import ref_from, ref_where

GKE = GkeRef("shop", "europe-west1", "web")
AKS = AksRef("0000-1111", "rg", "api")


@pytest.mark.parametrize("ref", [EksRef("eu-west-1", "orders", "p"), GKE, AKS])
def test_every_cloud_reference_survives_its_rollout_record(ref: EksRef | GkeRef | AksRef) -> None:
    stored = ClusterRef("c", labels={"env": "prod"}, cloud=ref)
    where = json.loads(json.dumps(ref_where(stored)))
    assert where[ref.provider]
    assert ref_from("c", {"env": "prod"}, where) == stored


def test_records_written_before_the_seam_still_load() -> None:
    old = {"kubeconfig": None, "context": None, "eks": {"region": "eu-west-1", "name": "o"}}
    assert ref_from_json(old) == EksRef("eu-west-1", "o")
    assert ref_from_json({"kubeconfig": "/k", "context": "x"}) is None


def test_references_name_the_cluster_for_messages() -> None:
    assert str(GKE) == "GKE cluster projects/shop/locations/europe-west1/clusters/web"
    assert "api" in str(AKS) and "rg" in str(AKS)
    assert [title_of(p) for p in ("eks", "gke", "aks")] == ["EKS", "GKE", "AKS"]


def test_fleet_file_names_clusters_of_every_cloud(tmp_path: Path) -> None:
    fleet = tmp_path / "fleet.yaml"
    fleet.write_text(
        "clusters:\n"
        "  - eks: {region: eu-west-1, name: orders}\n"
        "  - gke: {project: shop, location: europe-west1, name: web}\n"
        "    labels: {env: prod}\n"
        "  - name: api-prod\n"
        "    aks: {subscription: 0000-1111, resourceGroup: rg, name: api}\n"
        "  - name: lab\n"
        "    context: lab-admin\n"
    )
    orders, web, api, lab = load_fleet_file(fleet)
    assert orders.cloud == EksRef("eu-west-1", "orders")
    assert (web.name, web.cloud, web.labels) == ("web", GKE, {"env": "prod"})
    assert (api.name, api.cloud) == ("api-prod", AKS)
    assert lab.cloud is None and lab.context == "lab-admin"


@pytest.mark.parametrize(
    ("entry", "says"),
    [
        (
            "  - gke: {project: p, location: l, name: n}\n"
            "    aks: {subscription: s, resourceGroup: g, name: n}\n",
            "names 2 clouds",
        ),
        ("  - gke: {project: p, location: l, name: n}\n    context: x\n", "has gke: and a"),
        ("  - gke: {project: p, name: n}\n", "location"),
    ],
)
def test_bad_cloud_entries_are_refused(tmp_path: Path, entry: str, says: str) -> None:
    fleet = tmp_path / "fleet.yaml"
    fleet.write_text("clusters:\n" + entry)
    with pytest.raises(UsageError, match=says):
        load_fleet_file(fleet)


def test_discovered_clusters_are_named_apart_and_never_twice() -> None:
    refs = (GkeRef("a", "europe-west1", "web"), GkeRef("a", "us-east1", "web"), AKS)
    known = cloud_targets((AKS,))
    names = [t.name for t in cloud_targets(refs, known=known)]
    assert names == ["web-europe-west1", "web-us-east1"]


def _sel(**kw: object) -> Selection:
    base: dict[str, object] = dict(
        contexts=(),
        all_contexts=False,
        fleet=None,
        pool_label=None,
        no_secrets=False,
        helm_all_revisions=False,
        no_metrics=False,
        audit_log=None,
        timeout=1.0,
        concurrency=1,
    )
    return Selection(**{**base, **kw})  # type: ignore[arg-type]


def test_discover_takes_a_list_of_clouds_with_their_scopes() -> None:
    found = selectors(
        _sel(discover="eks, gke,aks", regions="eu-west-1", projects="a,b", subscriptions="s")
    )
    assert found == [
        EksSelector(("eu-west-1",), False, None),
        GkeSelector(("a", "b")),
        AksSelector(("s",)),
    ]
    assert selectors(_sel()) == []


@pytest.mark.parametrize(
    ("kw", "says"),
    [
        ({"discover": "gcp"}, "unknown cloud 'gcp'"),
        ({"discover": "gke"}, "--projects"),
        ({"discover": "aks"}, "--subscriptions"),
        ({"discover": "eks", "projects": "p"}, "--projects goes with --discover gke"),
        ({"regions": "eu-west-1"}, "--regions goes with --discover eks"),
    ],
)
def test_bad_discovery_flags_say_what_to_add(kw: dict[str, str], says: str) -> None:
    with pytest.raises(UsageError, match=says):
        selectors(_sel(**kw))


def test_managed_model_is_chosen_by_provider_and_old_inventories_are_eks() -> None:
    eks = {
        "name": "o",
        "region": "eu-west-1",
        "account": "1",
        "arn": "arn:aws:eks:eu-west-1:1:cluster/o",
        "minor": "1.35",
        "platformVersion": "eks.1",
        "status": "ACTIVE",
        "supportType": "standard",
    }
    gke = {
        "provider": "gke",
        "project": "shop",
        "location": "europe-west1",
        "name": "web",
        "masterVersion": "1.36.2-gke.1200",
        "status": "RUNNING",
    }
    old = ClusterInventory.model_validate({"name": "o", "controlPlane": "1.35.1", "managed": eks})
    new = ClusterInventory.model_validate({"name": "w", "controlPlane": "1.36.2", "managed": gke})
    assert isinstance(old.managed, EksCluster)
    assert isinstance(new.managed, GkeCluster) and new.managed.minor == "1.36"
    again = ClusterInventory.model_validate_json(new.model_dump_json(by_alias=True))
    assert again == new
