"""Reading fleet specs and saved inventories: valid input becomes inventories, mistakes are
errors naming the file, the cluster and the field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kubecurrent.catalog import Catalog, load_catalog
from kubecurrent.collect.fleet_spec import load_fleet_spec, load_inventory_dir
from kubecurrent.errors import UsageError
from kubecurrent.model import KubeVersion

SPEC = """
clusters:
- name: prod-eu
  kubernetes: "1.27.9"
  nodePools:
  - {name: general, kubelet: "1.26.12", nodes: 40}
  addons:
  - {name: cert-manager, version: "1.12.3"}
"""


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "fleet.yaml"
    path.write_text(text)
    return path


def test_a_spec_becomes_inventories(tmp_path: Path, catalog: Catalog) -> None:
    (inv,) = load_fleet_spec(write(tmp_path, SPEC), catalog)
    assert inv.name == "prod-eu"
    assert inv.control_plane == KubeVersion(1, 27, 9)
    assert inv.node_pools[0].kubelet == KubeVersion(1, 26, 12)
    assert inv.addons[0].version == "1.12.3"


def test_an_unknown_addon_names_the_close_catalog_names(tmp_path: Path, catalog: Catalog) -> None:
    path = write(tmp_path, SPEC.replace("cert-manager", "cert-manger"))
    with pytest.raises(UsageError) as err:
        load_fleet_spec(path, catalog)
    assert f"{path}: cluster prod-eu: addons: cert-manger" in err.value.message
    assert (err.value.hint or "").startswith("did you mean cert-manager")


def test_a_bad_field_names_file_cluster_and_field(tmp_path: Path, catalog: Catalog) -> None:
    path = write(tmp_path, SPEC.replace('kubernetes: "1.27.9"', 'kubernetes: "one"'))
    with pytest.raises(
        UsageError, match=r"fleet.yaml: cluster prod-eu: 'one' is not a Kubernetes version"
    ):
        load_fleet_spec(path, catalog)
    path = write(tmp_path, SPEC.replace("nodes: 40", "nodes: 40, zone: a"))
    with pytest.raises(UsageError, match=r"cluster prod-eu: nodePools.0.zone: Extra inputs"):
        load_fleet_spec(path, catalog)


def test_each_cluster_with_a_bad_addon_version_is_named(tmp_path: Path, catalog: Catalog) -> None:
    # Versions checked once per file: a good one seen before does not excuse a bad one after.
    second = SPEC.split("clusters:\n", 1)[1].replace("prod-eu", "prod-us")
    good_then_bad = SPEC + second.replace('"1.12.3"', '"1.x"')
    with pytest.raises(UsageError, match=r"cluster prod-us: addons: cert-manager: .*1\.x"):
        load_fleet_spec(write(tmp_path, good_then_bad), catalog)
    bad_twice = (SPEC + second).replace('"1.12.3"', '"1.x"')
    with pytest.raises(UsageError, match=r"cluster prod-eu: addons: cert-manager"):
        load_fleet_spec(write(tmp_path, bad_twice), catalog)
    assert [c.name for c in load_fleet_spec(write(tmp_path, SPEC + second), catalog)] == [
        "prod-eu",
        "prod-us",
    ]


def test_duplicate_clusters_and_missing_list_are_errors(tmp_path: Path, catalog: Catalog) -> None:
    twice = SPEC + SPEC.split("clusters:\n", 1)[1]
    with pytest.raises(UsageError, match="prod-eu appear twice"):
        load_fleet_spec(write(tmp_path, twice), catalog)
    with pytest.raises(UsageError, match="the file: clusters: Field required"):
        load_fleet_spec(write(tmp_path, "{}"), catalog)


def test_saved_inventories_load_from_a_directory(tmp_path: Path, catalog: Catalog) -> None:
    (inv,) = load_fleet_spec(write(tmp_path, SPEC), catalog)
    store = tmp_path / "inv"
    store.mkdir()
    (store / "prod-eu.json").write_text(json.dumps(inv.model_dump(mode="json", by_alias=True)))
    assert load_inventory_dir(store, catalog) == [inv]
    with pytest.raises(UsageError, match="no inventory files"):
        load_inventory_dir(_empty(tmp_path), catalog)


def _empty(tmp_path: Path) -> Path:
    empty = tmp_path / "empty"
    empty.mkdir()
    return empty
