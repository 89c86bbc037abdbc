"""The rules kubecurrent applies, with stable ids; reports (SARIF, JUnit) describe them from here."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RuleInfo:
    id: str
    name: str
    summary: str
    help: str


RULES: tuple[RuleInfo, ...] = (
    RuleInfo(
        "KC-API-REMOVED",
        "RemovedApiVersion",
        "The object uses an apiVersion the target no longer serves",
        "The API server of the target version refuses this apiVersion: switch to the replacement "
        "apiVersion (kubecurrent fix files does it where the change is mechanical).",
    ),
    RuleInfo(
        "KC-API-DEPRECATED",
        "DeprecatedApiVersion",
        "The object uses an apiVersion that is deprecated at the target",
        "Still served by the target, but a later version removes it: migrate before that.",
    ),
    RuleInfo(
        "KC-RBAC-REMOVED-API",
        "RbacRuleNamesRemovedApi",
        "An RBAC rule grants access to an API group or resource the target no longer serves",
        "The permission is dead: grant it on the replacement API group instead, or drop it.",
    ),
    RuleInfo(
        "KC-WEBHOOK-ADMISSIONREVIEW",
        "WebhookAdmissionReviewVersions",
        "An admission webhook accepts no AdmissionReview version the target sends",
        "List v1 in admissionReviewVersions (and make the webhook server answer it).",
    ),
    RuleInfo(
        "KC-PSP",
        "PodSecurityPolicy",
        "PodSecurityPolicy, or a grant to use one, was found",
        "PodSecurityPolicy was removed in 1.25 with no replacement API: enforce Pod Security "
        "Standards with Pod Security Admission namespace labels or a policy engine.",
    ),
    RuleInfo(
        "KC-CHART-KUBEVERSION",
        "ChartKubeVersion",
        "A Helm chart's kubeVersion constraint excludes the target",
        "helm install/upgrade refuses this chart on the target: upgrade to a chart release whose "
        "kubeVersion includes it.",
    ),
)

RULE_IDS = tuple(r.id for r in RULES)


def rule_info(rule_id: str) -> RuleInfo:
    return next(r for r in RULES if r.id == rule_id)
