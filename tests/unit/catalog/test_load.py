"""Loading the real catalog: it validates, is complete where we promise, and is cached."""

from __future__ import annotations

import pytest

from kubecurrent.catalog import Catalog, build, data_dir, load_catalog
from kubecurrent.model import KubeVersion, MinorVersion

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def real() -> Catalog:
    return load_catalog()


def m(text: str) -> MinorVersion:
    return MinorVersion.parse(text)


def test_releases_cover_1_19_to_1_37_without_gaps(real: Catalog) -> None:
    minors = [r.version for r in real.releases]
    assert minors == [MinorVersion(1, n) for n in range(19, 38)]


def test_latest_patches_are_at_least_what_the_go_proxy_serves(real: Catalog) -> None:
    by_minor = {str(r.version): r.latest_patch for r in real.releases}
    assert by_minor["1.36"] >= KubeVersion.parse("1.36.3")
    assert by_minor["1.37"] >= KubeVersion.parse("1.37.2")


def test_every_entry_is_sourced_with_urls(real: Catalog) -> None:
    entries = [*real.releases, *real.apis, *real.skew, *real.upgrade, *real.cves]
    for entry in entries:
        assert entry.source and all(u.startswith("http") for u in entry.source)


@pytest.mark.parametrize(
    ("version", "removed", "replacement", "available"),
    [
        ("v1beta1", "1.26", "flowcontrol.apiserver.k8s.io/v1beta3", "1.26"),  # upstream's tag
        ("v1beta2", "1.29", "flowcontrol.apiserver.k8s.io/v1", "1.29"),
        ("v1beta3", "1.32", "flowcontrol.apiserver.k8s.io/v1", "1.29"),
    ],
)
def test_flowcontrol_removals_are_right(
    real: Catalog, version: str, removed: str, replacement: str, available: str
) -> None:
    found = [
        a for a in real.apis if a.group == "flowcontrol.apiserver.k8s.io" and a.version == version
    ]
    assert {a.kind for a in found} == {"FlowSchema", "PriorityLevelConfiguration"}
    for api in found:
        assert (str(api.removed_in), api.replacement) == (removed, replacement)
        assert str(api.replacement_available_in) == available


def test_psp_has_no_replacement_but_a_migration_path(real: Catalog) -> None:
    psp = next(a for a in real.apis if a.label == "policy/v1beta1 PodSecurityPolicy")
    assert psp.replacement is None and psp.removed_in == m("1.25")
    assert any("Pod Security Admission" in step for step in psp.migration)


def test_guide_kinds_that_never_existed_are_absent(real: Catalog) -> None:
    assert not [a for a in real.apis if a.label == "apps/v1beta1 ReplicaSet"]


def test_removed_by_target(real: Catalog) -> None:
    removed_125 = {a.label for a in real.apis_removed_by(m("1.25"))}
    assert "batch/v1beta1 CronJob" in removed_125
    assert "flowcontrol.apiserver.k8s.io/v1beta3 FlowSchema" not in removed_125


def test_skew_rules_change_at_1_28(real: Catalog) -> None:
    assert [r.max_older for r in real.skew_rules("kubelet", m("1.27"))] == [2]
    assert [r.max_older for r in real.skew_rules("kubelet", m("1.28"))] == [3]
    assert [r.max_newer for r in real.skew_rules("kubectl", m("1.37"))] == [1]


def test_ingress_nightmare_is_in_the_cve_file(real: Catalog) -> None:
    cve = next(c for c in real.cves if c.id == "CVE-2025-1974")
    assert (cve.component, cve.severity) == ("ingress-nginx", "critical")
    assert set(cve.fixed_versions()) == {"1.11.5", "1.12.1"}


def test_loading_is_cached() -> None:
    # How long a build takes is measured by bench/catalog_load.py, not here.
    assert load_catalog() is load_catalog()
    fresh = build(data_dir())
    assert fresh is not load_catalog()
    assert fresh == load_catalog()
