"""The rules kubecurrent applies, with stable ids; reports (SARIF, JUnit) describe them from here."""

from __future__ import annotations

import msgspec


class RuleInfo(msgspec.Struct, frozen=True):
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
        "KC-API-NOT-SERVED",
        "ApiVersionNotServed",
        "The object uses a built-in apiVersion the target does not serve (not yet, or never)",
        "The API server of the target version refuses this apiVersion: use a version the "
        "target serves, or target a release that serves this one.",
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
        "KC-RBAC-CLEANUP",
        "RbacRuleKeepsOldApiGroup",
        "An RBAC rule grants a resource in an old API group beside the one that serves it now",
        "Informational: the role keeps its access; drop the old group (or add the replacement "
        "resource for a deprecated one) once no older cluster needs it.",
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
    RuleInfo(
        "KC-CRD-VERSION-DEPRECATED",
        "CrdVersionDeprecated",
        "Objects are written through a CRD version the CRD marks deprecated",
        "Write them through a served, non-deprecated version of the CRD.",
    ),
    RuleInfo(
        "KC-CRD-STORED-VERSION",
        "CrdStoredVersion",
        "A CRD's status.storedVersions holds a deprecated or unserved version",
        "Rewrite the objects (storage version migration), then drop the version from "
        "status.storedVersions so the CRD version can be removed.",
    ),
    RuleInfo(
        "KC-ADDON-UNSUPPORTED",
        "AddonUnsupportedAtTarget",
        "An installed add-on release does not support the target Kubernetes version",
        "Upgrade the add-on to the release the finding names before the control plane.",
    ),
    RuleInfo(
        "KC-ADDON-RETIRED",
        "AddonRetired",
        "An installed add-on is deprecated, retired or archived upstream",
        "Plan a move to the replacement the catalog names.",
    ),
    RuleInfo(
        "KC-SKEW",
        "NodeVersionSkew",
        "kubelet or kube-proxy would be further behind the target than the skew policy allows",
        "Roll the node pool to a newer kubelet before upgrading the control plane.",
    ),
    RuleInfo(
        "KC-EOL",
        "EndOfLife",
        "The cluster runs a Kubernetes minor in maintenance or past end of life",
        "Upgrade to a supported minor.",
    ),
    RuleInfo(
        "KC-PROVIDER-STANDARD-SUPPORT",
        "ManagedStandardSupportEnds",
        "The managed provider's standard support for the cluster's minor ends on a known date",
        "From that date the cluster pays the extended-support price, or the provider upgrades it "
        "(upgrade policy STANDARD): upgrade to a minor in standard support before then.",
    ),
    RuleInfo(
        "KC-PROVIDER-EXTENDED-SUPPORT",
        "ManagedExtendedSupport",
        "The cluster's minor is in the managed provider's extended support, at a higher price",
        "Upgrade to a minor in standard support to stop paying the extended price; at the end of "
        "extended support the provider upgrades the control plane itself.",
    ),
    RuleInfo(
        "KC-PROVIDER-FORCED-UPGRADE",
        "ManagedForcedUpgrade",
        "The cluster's minor is past the managed provider's end of extended support",
        "The provider upgrades the control plane at any time: upgrade it yourself now, then the "
        "node groups and add-ons.",
    ),
    RuleInfo(
        "KC-EKS-INSIGHT",
        "EksUpgradeInsight",
        "EKS's own upgrade-readiness insight warns about a minor on the way to the target",
        "Follow EKS's recommendation (the finding repeats it); the APIs it names are those EKS "
        "saw requested in the cluster.",
    ),
    RuleInfo(
        "KC-CVE",
        "KnownVulnerability",
        "A CVE applies to the running Kubernetes version",
        "Upgrade to a fixed patch release or apply the mitigation.",
    ),
    RuleInfo(
        "KC-DRAIN-BLOCKER",
        "DrainBlocker",
        "A workload or PodDisruptionBudget blocks node drains or is hurt by them",
        "Add replicas and a PodDisruptionBudget that allows at least one disruption.",
    ),
)

RULE_IDS = tuple(r.id for r in RULES)


def rule_info(rule_id: str) -> RuleInfo:
    return next(r for r in RULES if r.id == rule_id)
