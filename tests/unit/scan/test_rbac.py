"""#21.2: an RBAC rule is judged by the access the role still has at the target."""

from __future__ import annotations

from typing import Any

from kubecurrent.analyze import Context, check_document
from kubecurrent.collect.files import Document
from kubecurrent.model.findings import Finding, Severity, Status


def _role(*rules: dict[str, Any]) -> Document:
    data = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": "controller"},
        "rules": list(rules),
    }
    return Document(data, "role.yaml", 3)


def _rule(groups: list[str], resources: list[str], verbs: list[str] | None = None) -> Any:
    return {"apiGroups": groups, "resources": resources, "verbs": verbs or ["get", "list"]}


def _check(doc: Document, ctx: Context) -> list[Finding]:
    return check_document(doc, ctx)


def test_old_group_beside_the_new_one_is_informational_clean_up(ctx: Context) -> None:
    doc = _role(_rule(["extensions", "networking.k8s.io"], ["ingresses", "ingresses/status"]))
    (f,) = _check(doc, ctx)
    assert (f.rule, f.status, f.severity) == ("KC-RBAC-CLEANUP", Status.DEPRECATED, Severity.INFO)
    assert "ingresses" in f.message and "'extensions'" in f.message
    assert f.replacement == "ingresses.networking.k8s.io" and "None" not in f.message


def test_the_new_group_granted_in_another_rule_keeps_the_access_too(ctx: Context) -> None:
    doc = _role(
        _rule(["extensions"], ["ingresses"]),
        _rule(["networking.k8s.io"], ["ingresses"]),
    )
    (f,) = _check(doc, ctx)
    assert f.rule == "KC-RBAC-CLEANUP" and f.status is Status.DEPRECATED


def test_only_dead_groups_lose_access_and_are_removed(ctx: Context) -> None:
    (f,) = _check(_role(_rule(["extensions"], ["ingresses"])), ctx)
    assert (f.rule, f.status) == ("KC-RBAC-REMOVED-API", Status.REMOVED)
    assert "loses this access" in f.message and f.replacement == "ingresses.networking.k8s.io"
    assert f.remediation.startswith("grant ingresses.networking.k8s.io instead")


def test_core_endpoints_are_deprecated_not_removed_and_point_at_endpointslices(
    ctx: Context,
) -> None:
    (f,) = _check(_role(_rule([""], ["endpoints"])), ctx)
    assert (f.rule, f.status, f.severity) == ("KC-RBAC-CLEANUP", Status.DEPRECATED, Severity.INFO)
    text = f"{f.message} {f.remediation}"
    assert "None" not in text and "still served" in f.message
    assert f.replacement == "endpointslices.discovery.k8s.io"
    assert "endpoints in 'discovery.k8s.io'" not in text


def test_core_endpoints_with_endpointslices_granted_need_nothing(ctx: Context) -> None:
    doc = _role(_rule([""], ["endpoints"]), _rule(["discovery.k8s.io"], ["endpointslices"]))
    assert _check(doc, ctx) == []


def test_one_finding_per_role_and_resource_naming_every_rule(ctx: Context) -> None:
    doc = _role(
        _rule(["extensions"], ["ingresses", "deployments"]),
        _rule(["extensions"], ["ingresses"], ["watch"]),
        _rule(["apps"], ["deployments"]),
    )
    found = sorted((f.rule, f.message) for f in _check(doc, ctx))
    assert [rule for rule, _ in found] == ["KC-RBAC-CLEANUP", "KC-RBAC-REMOVED-API"]
    cleanup, removed = (m for _, m in found)
    assert cleanup.startswith("rules[0] grant deployments")
    assert removed.startswith("rules[0, 1] grant ingresses")


def test_psp_use_granted_in_two_groups_is_one_finding(ctx: Context, ctx_124: Context) -> None:
    rule = _rule(["extensions", "policy"], ["podsecuritypolicies"], ["use"])
    (f,) = _check(_role(rule), ctx_124)
    assert f.rule == "KC-PSP" and f.message.startswith("rules[0] grant use")


def test_a_psp_grant_past_1_25_is_dead_clean_up_never_removed(ctx: Context) -> None:
    rule = _rule(["extensions"], ["podsecuritypolicies"], ["use"])
    (f,) = _check(_role(rule), ctx)
    assert (f.rule, f.status, f.severity) == ("KC-RBAC-CLEANUP", Status.DEPRECATED, Severity.INFO)
    assert "the grant is dead" in f.message
