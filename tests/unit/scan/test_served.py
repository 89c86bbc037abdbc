""" "Not served by the target", from upstream's generated lifecycle: removed alpha and beta
versions, versions a release never shipped, and replacements named at the target, the same in
``scan files`` and ``fix files``."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from kubecurrent.analyze import Context, check_document
from kubecurrent.analyze.fix import fix_text
from kubecurrent.catalog import load_catalog
from kubecurrent.collect.files import Document
from kubecurrent.model import MinorVersion
from kubecurrent.model.findings import Finding, Status

pytestmark = pytest.mark.unit


def at(target: str) -> Context:
    return Context.build(load_catalog(), MinorVersion.parse(target))


def check(api_version: str, kind: str, target: str) -> list[Finding]:
    data: dict[str, Any] = {"apiVersion": api_version, "kind": kind, "metadata": {"name": "x"}}
    return check_document(Document(data=data, file="f.yaml", line=1), at(target))


def test_removed_alpha_says_it_was_never_served_by_default() -> None:
    (f,) = check("admissionregistration.k8s.io/v1alpha1", "ValidatingAdmissionPolicy", "1.37")
    assert (f.rule, f.status, f.removed_in) == ("KC-API-REMOVED", Status.REMOVED, "1.32")
    assert "alpha: never served by default, removed in 1.32" in f.message
    assert f.replacement == "admissionregistration.k8s.io/v1"


def test_untagged_alpha_is_removed_after_the_last_release_that_shipped_it() -> None:
    lc = load_catalog().lifecycle
    pc = lc.lookup("scheduling.k8s.io", "v1alpha1", "PriorityClass")
    assert pc is not None
    gone = pc.shipped[-1].last.offset(1)
    (f,) = check("scheduling.k8s.io/v1alpha1", "PriorityClass", str(gone))
    assert f.removed_in == str(gone) and f.replacement == "scheduling.k8s.io/v1"
    assert check("scheduling.k8s.io/v1alpha1", "PriorityClass", str(pc.shipped[-1].last)) == []


def test_removed_beta_of_a_config_file_group() -> None:
    (f,) = check("audit.k8s.io/v1beta1", "Policy", "1.37")
    assert (f.rule, f.removed_in, f.replacement) == ("KC-API-REMOVED", "1.24", "audit.k8s.io/v1")
    assert "alpha" not in f.message


def test_kind_of_a_group_version_with_nothing_served_is_removed() -> None:
    # apps/v1beta1 never had ReplicaSet, but the target serves no apps/v1beta1 kind at all
    (f,) = check("apps/v1beta1", "ReplicaSet", "1.37")
    assert (f.rule, f.removed_in, f.replacement) == ("KC-API-REMOVED", "1.16", "apps/v1")


def test_version_no_release_ever_shipped_is_not_served() -> None:
    (f,) = check("apps/v1beta3", "Deployment", "1.37")
    assert (f.rule, f.status) == ("KC-API-NOT-SERVED", Status.REMOVED)
    assert "'apps'" in f.message and f.replacement == "apps/v1"


def test_version_first_shipped_after_the_target_is_not_served() -> None:
    (f,) = check("resource.k8s.io/v1", "ResourceClaim", "1.31")
    assert f.rule == "KC-API-NOT-SERVED" and "first served in 1.34" in f.message
    assert f.replacement is None and f.remediation.startswith("target 1.34 or later")
    assert check("resource.k8s.io/v1", "ResourceClaim", "1.34") == []


def test_served_alpha_and_crd_groups_are_left_alone() -> None:
    assert check("resource.k8s.io/v1alpha3", "DeviceTaintRule", "1.37") == []
    assert check("example.com/v1", "Widget", "1.37") == []
    assert check("gateway.networking.k8s.io/v1", "HTTPRoute", "1.37") == []
    assert check("apps/v1", "NoSuchKind", "1.37") == []  # the API server names that one


@pytest.mark.parametrize(
    ("target", "replacement", "since"),
    [
        ("1.37", "flowcontrol.apiserver.k8s.io/v1", "1.29"),
        ("1.26", "flowcontrol.apiserver.k8s.io/v1beta3", "1.26"),
        ("1.24", "flowcontrol.apiserver.k8s.io/v1beta2", "1.23"),
    ],
)
def test_replacement_follows_the_chain_to_a_version_the_target_serves(
    target: str, replacement: str, since: str
) -> None:
    (f,) = check("flowcontrol.apiserver.k8s.io/v1beta1", "FlowSchema", target)
    assert f.replacement == replacement
    assert f.remediation.startswith(f"change apiVersion to {replacement} (served since {since})")


MIXED = """\
apiVersion: flowcontrol.apiserver.k8s.io/v1beta1
kind: FlowSchema
metadata: {name: fs}
---
apiVersion: scheduling.k8s.io/v1alpha1
kind: PriorityClass
metadata: {name: pc}
---
apiVersion: batch/v1beta1
kind: CronJob
metadata: {name: cj}
"""


def test_fix_files_names_the_same_replacement_as_the_scan() -> None:
    ctx = at("1.37")
    result = fix_text(MIXED, ctx)
    fixed = {c.kind: c.new for c in result.changes}
    scanned = {
        f.object.kind: f.replacement
        for data in yaml.safe_load_all(MIXED)
        for f in check_document(Document(data=data, file="f.yaml", line=1), ctx)
    }
    assert (
        fixed
        == scanned
        == {
            "FlowSchema": "flowcontrol.apiserver.k8s.io/v1",
            "PriorityClass": "scheduling.k8s.io/v1",
            "CronJob": "batch/v1",
        }
    )
    refused = {c.kind: c.refused for c in result.refused}
    assert set(refused) == {"FlowSchema", "PriorityClass"}  # field changes / none recorded
    assert "apiVersion: batch/v1\nkind: CronJob" in result.text


def test_removal_is_the_earlier_of_the_tag_and_the_module_dropping_the_kind() -> None:
    lc = load_catalog().lifecycle
    svm = lc.lookup("storagemigration.k8s.io", "v1alpha1", "StorageVersionMigration")
    assert svm is not None and svm.removed is not None
    dropped = svm.shipped[-1].last.offset(1)
    assert dropped < svm.removed  # upstream stopped shipping it before its tagged removal
    (f,) = check("storagemigration.k8s.io/v1alpha1", "StorageVersionMigration", "1.37")
    assert f.removed_in == str(dropped)
