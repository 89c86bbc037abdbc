"""Upstream's generated lifecycle: what each release serves, the replacement chain, and the
comparison with the hand-written apis.yaml that ``catalog check`` reports."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from kubecurrent.catalog import (
    LifecycleApi,
    build,
    data_dir,
    disagreements,
    load_catalog,
    read_lifecycle,
    replacement_chain,
    upstream_removed,
)
from kubecurrent.errors import CatalogError
from kubecurrent.model import MinorVersion
from tests.unit.catalog.conftest import Mutate

pytestmark = pytest.mark.unit
V = MinorVersion.parse


def api(group: str, version: str, kind: str) -> LifecycleApi:
    found = load_catalog().lifecycle.lookup(group, version, kind)
    assert found is not None, f"{group}/{version} {kind} missing from lifecycle.json"
    return found


def test_group_and_release_lookups_agree_with_the_data() -> None:
    lc = load_catalog().lifecycle
    assert lc.has_group("apps") and lc.has_group("")  # "" is the core group
    assert not lc.has_group("example.com")
    assert lc.groups() == {a.group for a in lc.apis}
    assert all(lc.covers(m) for m in lc.minors())
    assert not lc.covers(V("1.2"))


def test_every_release_the_catalog_knows_was_generated() -> None:
    cat = load_catalog()
    generated = {r.version for r in cat.lifecycle.releases if not r.prerelease}
    assert {r.version for r in cat.releases} <= generated
    assert all(a.source.module.startswith("k8s.io/") for a in cat.lifecycle.apis)


def test_a_tagged_beta_is_served_until_its_removal() -> None:
    fs = api("flowcontrol.apiserver.k8s.io", "v1beta1", "FlowSchema")
    assert fs.served_at(V("1.25")) and not fs.served_at(V("1.26"))
    assert not fs.served_at(V("1.19"))  # introduced in 1.20
    assert fs.last_served() == V("1.25")


def test_the_replacement_chain_follows_upstream_to_the_end() -> None:
    fs = api("flowcontrol.apiserver.k8s.io", "v1beta1", "FlowSchema")
    assert replacement_chain(fs, load_catalog().lifecycle) == [
        "flowcontrol.apiserver.k8s.io/v1beta3",
        "flowcontrol.apiserver.k8s.io/v1",
    ]


def test_an_untagged_alpha_is_removed_after_the_last_release_that_shipped_it() -> None:
    pc = api("scheduling.k8s.io", "v1alpha1", "PriorityClass")
    assert not pc.tagged and pc.stage == "alpha"
    assert upstream_removed(pc, load_catalog().lifecycle) == pc.shipped[-1].last.offset(1)
    assert not pc.served_at(pc.shipped[-1].last.offset(1))


def test_ga_kinds_without_tags_are_served_whenever_shipped() -> None:
    deploy = api("apps", "v1", "Deployment")
    assert deploy.served_at(V("1.19")) and deploy.served_at(V("1.37"))
    assert upstream_removed(deploy, load_catalog().lifecycle) is None


def test_payloads_and_subresources_are_not_resources() -> None:
    assert not api("apps", "v1beta1", "Scale").resource
    assert not api("admission.k8s.io", "v1", "AdmissionReview").resource
    assert api("apps", "v1", "Deployment").resource


def test_builtin_apis_yaml_agrees_with_upstream() -> None:
    assert disagreements(load_catalog()) == []


@pytest.fixture
def with_lifecycle(catalog_dir: Path) -> Path:
    shutil.copy(data_dir() / "lifecycle.json", catalog_dir / "lifecycle.json")
    return catalog_dir


def _cronjob(doc: Any) -> dict[str, Any]:
    entry: dict[str, Any] = next(a for a in doc["apis"] if a["kind"] == "CronJob")
    return entry


def test_a_wrong_removal_release_is_a_disagreement(with_lifecycle: Path, mutate: Mutate) -> None:
    mutate("apis.yaml", lambda doc: _cronjob(doc).update(removed_in="1.26"))
    found = [d for d in disagreements(build(with_lifecycle)) if d.field != "entry"]
    assert [(d.entry, d.field, d.ours, d.upstream) for d in found] == [
        ("batch/v1beta1 CronJob", "removed_in", "1.26", "1.25")
    ]
    assert found[0].source.startswith("k8s.io/api@v0.") and found[0].recorded is None


def test_a_recorded_reason_turns_it_into_a_note(with_lifecycle: Path, mutate: Mutate) -> None:
    mutate(
        "apis.yaml",
        lambda doc: _cronjob(doc).update(removed_in="1.26", upstream_differs="tag is wrong"),
    )
    (found,) = [d for d in disagreements(build(with_lifecycle)) if d.field != "entry"]
    assert found.recorded == "tag is wrong"


def test_a_kind_upstream_never_shipped_is_a_disagreement(
    with_lifecycle: Path, mutate: Mutate
) -> None:
    mutate("apis.yaml", lambda doc: _cronjob(doc).update(kind="CronTab"))
    fields = {(d.entry, d.field) for d in disagreements(build(with_lifecycle))}
    assert ("batch/v1beta1 CronTab", "kind") in fields
    assert ("batch/v1beta1 CronJob", "entry") in fields  # and the real one is now missing
    assert ("apps/v1beta2 Scale", "entry") not in fields  # a subresource needs no entry


def test_the_lifecycle_round_trips_through_the_catalogs_json() -> None:
    cat = load_catalog()
    back = type(cat).model_validate_json(cat.model_dump_json())
    assert back.lifecycle == cat.lifecycle and back.lifecycle.apis
    assert back.lifecycle.lookup("apps", "v1", "Deployment") == api("apps", "v1", "Deployment")


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"colour": "blue"}, "unknown field `colour`"),
        ({"version": "1beta1"}, "`$.apis[0].version`"),
        ({"shipped": []}, "`$.apis[0].shipped`"),
        ({"introduced": "1.x"}, "`$.apis[0].introduced`"),
        ({"component": "kubelet"}, "`$.apis[0].component`"),
    ],
)
def test_a_damaged_lifecycle_file_is_refused_naming_the_file_and_the_entry(
    tmp_path: Path, change: dict[str, Any], problem: str
) -> None:
    good = (data_dir() / "lifecycle.json").read_text()
    raw = json.loads(good)
    raw["apis"][0] = {**raw["apis"][0], **change}
    path = tmp_path / "lifecycle.json"
    path.write_text(json.dumps(raw))
    with pytest.raises(CatalogError, match=r"lifecycle\.json: cannot use") as info:
        read_lifecycle(path)
    assert problem in str(info.value)
    path.write_text(good)
    assert read_lifecycle(path) == load_catalog().lifecycle
