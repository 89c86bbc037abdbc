"""Rules: status relative to the target, RBAC, webhooks, PSP, add-on APIs, chart kubeVersion."""

from __future__ import annotations

from typing import Any

from kubecurrent.analyze import Context, check_chart, check_document, satisfies
from kubecurrent.collect.files import ChartInfo, Document
from kubecurrent.model.findings import Finding, Severity, Status


def _check(data: dict[str, Any], ctx: Context) -> list[Finding]:
    return check_document(Document(data=data, file="f.yaml", line=3), ctx)


def _obj(api: str, kind: str, **extra: Any) -> dict[str, Any]:
    return {"apiVersion": api, "kind": kind, "metadata": {"name": "n", "namespace": "ns"}, **extra}


def test_api_removed_at_or_before_the_target_is_removed(ctx: Context) -> None:
    (f,) = _check(_obj("batch/v1beta1", "CronJob"), ctx)
    assert (f.rule, f.status, f.removed_in, f.replacement) == (
        "KC-API-REMOVED",
        Status.REMOVED,
        "1.25",
        "batch/v1",
    )
    assert f.location.file == "f.yaml" and f.location.line == 3
    assert f.object.namespace == "ns" and f.remediation.startswith("change apiVersion to batch/v1")


def test_api_deprecated_but_served_at_the_target_is_deprecated(ctx_124: Context) -> None:
    (f,) = _check(_obj("batch/v1beta1", "CronJob"), ctx_124)
    assert (f.rule, f.status, f.fix_by) == ("KC-API-DEPRECATED", Status.DEPRECATED, "1.25")


def test_api_not_yet_deprecated_at_the_target_is_not_reported() -> None:
    from kubecurrent.catalog import load_catalog
    from kubecurrent.model import MinorVersion

    old = Context.build(load_catalog(), MinorVersion.parse("1.20"))
    assert _check(_obj("batch/v1beta1", "CronJob"), old) == []


def test_current_apis_give_no_finding(ctx: Context) -> None:
    assert _check(_obj("batch/v1", "CronJob"), ctx) == []


def test_addon_crd_apis_come_from_the_catalog(ctx: Context) -> None:
    (f,) = _check(_obj("cert-manager.io/v1alpha2", "Certificate"), ctx)
    assert f.status is Status.REMOVED and f.fix_by == "cert-manager 1.6"  # no longer served
    assert "cert-manager" in f.message and f.replacement == "cert-manager.io/v1"


def _role(*rules: dict[str, Any]) -> dict[str, Any]:
    return _obj("rbac.authorization.k8s.io/v1", "ClusterRole", rules=list(rules))


def test_rbac_rule_on_a_group_that_no_longer_serves_the_resource(ctx: Context) -> None:
    (f,) = _check(
        _role({"apiGroups": ["extensions"], "resources": ["ingresses"], "verbs": ["get"]}), ctx
    )
    assert f.rule == "KC-RBAC-REMOVED-API" and f.status is Status.REMOVED
    assert f.replacement == "ingresses.networking.k8s.io" and "rules[0]" in f.message


def test_rbac_rule_on_a_resource_still_served_in_its_group_is_fine(ctx: Context) -> None:
    rule = {
        "apiGroups": ["batch", "autoscaling"],
        "resources": ["cronjobs", "horizontalpodautoscalers"],
        "verbs": ["*"],
    }
    assert _check(_role(rule), ctx) == []


def test_rbac_grant_to_use_a_psp_is_a_psp_finding_then_clean_up(
    ctx: Context, ctx_124: Context
) -> None:
    rule = {"apiGroups": ["policy"], "resources": ["podsecuritypolicies"], "verbs": ["use"]}
    (g,) = _check(_role(rule), ctx_124)
    assert (g.rule, g.status) == ("KC-PSP", Status.DEPRECATED)
    (f,) = _check(_role(rule), ctx)  # 1.37: nothing to use, the role still applies
    assert (f.rule, f.status, f.severity) == ("KC-RBAC-CLEANUP", Status.DEPRECATED, Severity.INFO)


def test_psp_object_gets_one_finding_the_psp_rule(ctx: Context) -> None:
    for api in ("policy/v1beta1", "extensions/v1beta1"):
        (f,) = _check(_obj(api, "PodSecurityPolicy"), ctx)
        assert (f.rule, f.status) == ("KC-PSP", Status.REMOVED)


def _hooks(api: str, *hooks: dict[str, Any]) -> dict[str, Any]:
    return _obj(api, "ValidatingWebhookConfiguration", webhooks=list(hooks))


def test_webhook_accepting_no_version_the_server_sends(ctx: Context) -> None:
    (f,) = _check(
        _hooks(
            "admissionregistration.k8s.io/v1",
            {"name": "a", "admissionReviewVersions": ["v1alpha1"]},
        ),
        ctx,
    )
    assert f.rule == "KC-WEBHOOK-ADMISSIONREVIEW" and "v1alpha1" in f.message


def test_webhook_without_versions_in_v1_is_flagged_and_good_ones_are_not(ctx: Context) -> None:
    missing = _hooks("admissionregistration.k8s.io/v1", {"name": "a"})
    good = _hooks(
        "admissionregistration.k8s.io/v1",
        {"name": "b", "admissionReviewVersions": ["v1", "v1beta1"]},
    )
    assert [f.rule for f in _check(missing, ctx)] == ["KC-WEBHOOK-ADMISSIONREVIEW"]
    assert _check(good, ctx) == []


def test_chart_kubeversion_excluding_the_target(ctx: Context) -> None:
    chart = ChartInfo(path="c", name="c", version="1.0.0", kube_version=">= 1.21.0-0 < 1.30.0-0")
    hit = check_chart(chart, ctx)
    assert isinstance(hit, Finding) and hit.rule == "KC-CHART-KUBEVERSION"
    ok = ChartInfo(path="c", name="c", version="1.0.0", kube_version=">=1.25.0-0")
    assert check_chart(ok, ctx) is None


def test_semver_constraints_as_helm_writes_them() -> None:
    assert satisfies((1, 29, 0), ">= 1.21.0-0 < 1.30.0-0")
    assert not satisfies((1, 30, 0), ">= 1.21.0-0 < 1.30.0-0")
    assert satisfies((1, 36, 0), "~1.36") and not satisfies((1, 37, 0), "~1.36")
    assert satisfies((1, 20, 0), "1.36.x || 1.20") and satisfies((1, 28, 0), "1.20 - 1.28")
    assert satisfies((1, 37, 0), "^1.20") and not satisfies((1, 29, 0), "<=1.28")
