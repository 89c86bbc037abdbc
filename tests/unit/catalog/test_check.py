"""Each consistency rule, broken on purpose: the error names file, entry and problem."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from kubecurrent.catalog import build
from kubecurrent.errors import CatalogError
from tests.unit.catalog.conftest import Mutate

pytestmark = pytest.mark.unit


def test_the_fixture_itself_is_valid(catalog_dir: Any) -> None:
    cat = build(catalog_dir)
    assert [a.name for a in cat.addons] == ["cert-manager", "ingress-nginx"]


def broken(mutate: Mutate, name: str, edit: Any) -> str:
    root = mutate(name, edit)
    with pytest.raises(CatalogError) as exc:
        build(root)
    assert exc.value.hint
    summary, *lines = exc.value.message.splitlines()
    assert summary == "1 problem in 1 file"
    return "\n".join(line.strip() for line in lines)


def first_api(doc: Any) -> Any:
    return doc["apis"][0]


def test_removed_before_deprecated(mutate: Mutate) -> None:
    msg = broken(mutate, "apis.yaml", lambda d: first_api(d).update(removed_in="1.20"))
    assert msg.startswith("apis.yaml: entry 1 (batch/v1beta1 CronJob):")
    assert "removed_in 1.20 is before deprecated_in 1.21" in msg


def test_replacement_served_only_after_removal(mutate: Mutate) -> None:
    msg = broken(
        mutate, "apis.yaml", lambda d: first_api(d).update(replacement_available_in="1.26")
    )
    assert "entry 1 (batch/v1beta1 CronJob)" in msg and "after the removal in 1.25" in msg


def test_no_replacement_needs_a_note(mutate: Mutate) -> None:
    msg = broken(mutate, "apis.yaml", lambda d: d["apis"][1].pop("note"))
    assert "entry 2 (policy/v1beta1 PodSecurityPolicy)" in msg and "add a note" in msg


def test_unsourced_entry(mutate: Mutate) -> None:
    msg = broken(mutate, "apis.yaml", lambda d: first_api(d).update(source=[]))
    assert "apis.yaml: entry 1" in msg and "source" in msg


def test_source_must_be_a_url(mutate: Mutate) -> None:
    msg = broken(mutate, "cves.yaml", lambda d: d["cves"][0].update(source=["the docs"]))
    assert "cves.yaml: entry 1 (CVE-2025-1974)" in msg and "not an http(s) URL" in msg


def test_unquoted_minor_is_rejected(mutate: Mutate) -> None:
    msg = broken(mutate, "apis.yaml", lambda d: first_api(d).update(deprecated_in=1.30))
    assert "in quotes" in msg


def test_dates_out_of_order(mutate: Mutate) -> None:
    eol = dt.date(2024, 1, 1)
    msg = broken(mutate, "kubernetes.yaml", lambda d: d["releases"][1].update(end_of_life=eol))
    assert msg.startswith("kubernetes.yaml: entry 2 (1.30):") and "dates out of order" in msg


def test_latest_patch_of_another_minor(mutate: Mutate) -> None:
    msg = broken(
        mutate, "kubernetes.yaml", lambda d: d["releases"][0].update(latest_patch="1.30.1")
    )
    assert "latest_patch v1.30.1 is not a 1.29 release" in msg


def test_duplicate_release(mutate: Mutate) -> None:
    msg = broken(mutate, "kubernetes.yaml", lambda d: d["releases"].append(d["releases"][1]))
    assert "entry 3 (1.30): duplicate releases entry" in msg


def test_releases_sorted(mutate: Mutate) -> None:
    msg = broken(mutate, "kubernetes.yaml", lambda d: d["releases"].reverse())
    assert "sorted oldest first" in msg


def test_range_that_ends_before_it_starts(mutate: Mutate) -> None:
    edit = lambda d: d["cves"][0]["affected"][1].update(range="1.12.3 - 1.12.0")  # noqa: E731
    msg = broken(mutate, "cves.yaml", edit)
    assert "CVE-2025-1974" in msg and "ends (1.12.0) before it starts (1.12.3)" in msg


def test_fix_inside_the_affected_range(mutate: Mutate) -> None:
    edit = lambda d: d["cves"][0]["affected"][0].update(fixed_in="1.11.4")  # noqa: E731
    msg = broken(mutate, "cves.yaml", edit)
    assert "fixed_in 1.11.4 lies inside the range < 1.11.5" in msg


def test_skew_range_reversed(mutate: Mutate) -> None:
    msg = broken(mutate, "skew.yaml", lambda d: d["skew"][0].update(applies_until="1.27"))
    assert "entry 1 (kubelet-apiserver-3)" in msg and "applies_until 1.27 is before" in msg


def test_addon_releases_must_be_sorted(mutate: Mutate) -> None:
    msg = broken(mutate, "addons/cert-manager.yaml", lambda d: d["releases"].reverse())
    assert msg.startswith("addons/cert-manager.yaml: cert-manager:")
    assert "1.14 after 1.15 is out of order" in msg


def test_addon_releases_must_be_unique(mutate: Mutate) -> None:
    edit = lambda d: d["releases"].append(d["releases"][1])  # noqa: E731
    msg = broken(mutate, "addons/cert-manager.yaml", edit)
    assert "is duplicated" in msg


def test_addon_kubernetes_range_reversed(mutate: Mutate) -> None:
    edit = lambda d: d["releases"][0].update(kubernetes_max="1.20")  # noqa: E731
    msg = broken(mutate, "addons/cert-manager.yaml", edit)
    assert "releases.0" in msg and "kubernetes_max 1.20 is below kubernetes_min 1.24" in msg


def test_replacement_addons_must_exist(mutate: Mutate) -> None:
    edit = lambda d: d.update(replacement_addons=["traefik"])  # noqa: E731
    msg = broken(mutate, "addons/ingress-nginx.yaml", edit)
    assert "ingress-nginx" in msg and "'traefik', which is not a catalog add-on" in msg


def test_retired_addon_needs_status_since(mutate: Mutate) -> None:
    msg = broken(mutate, "addons/ingress-nginx.yaml", lambda d: d.update(status_since=None))
    assert "status retired needs status_since" in msg


def test_addon_name_matches_file(mutate: Mutate) -> None:
    msg = broken(mutate, "addons/cert-manager.yaml", lambda d: d.update(name="certmanager"))
    assert "name does not match the file name" in msg


def test_unknown_keys_are_typos(mutate: Mutate) -> None:
    msg = broken(mutate, "apis.yaml", lambda d: first_api(d).update(removed="1.25"))
    assert "removed: Extra inputs are not permitted" in msg
