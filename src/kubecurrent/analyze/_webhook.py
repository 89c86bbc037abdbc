"""Admission webhooks that accept no AdmissionReview version the target's API server sends.

kube-apiserver sends AdmissionReview in ``admission.k8s.io`` v1 or v1beta1, the first listed
version it supports (https://kubernetes.io/docs/reference/access-authn-authz/extensible-admission-controllers/).
A version the catalog marks removed, or one no API server has sent, leaves the webhook unusable.
admissionregistration.k8s.io/v1 requires the list; v1beta1 defaulted it to ``[v1beta1]``.
"""

from __future__ import annotations

from typing import Any

from kubecurrent.analyze._context import Context, finding
from kubecurrent.collect.files import Document
from kubecurrent.model.findings import Finding, Status

REVIEW_GROUP = "admission.k8s.io"
KNOWN_VERSIONS = ("v1", "v1beta1")
FIELDS = ("webhooks",)
"""The top-level fields ``check_webhooks`` reads beyond the object's identity."""


def check_webhooks(doc: Document, ctx: Context) -> list[Finding]:
    webhooks = doc.data.get("webhooks")
    if not isinstance(webhooks, list):
        return []
    out: list[Finding] = []
    for index, hook in enumerate(webhooks):
        if isinstance(hook, dict):
            problem = _problem(doc, ctx, hook)
            if problem is not None:
                out.append(_finding(doc, index, hook, *problem))
    return out


def _problem(doc: Document, ctx: Context, hook: dict[str, Any]) -> tuple[Status, str] | None:
    versions = hook.get("admissionReviewVersions")
    if versions is None:
        if doc.api_version.endswith("/v1beta1"):
            versions = ["v1beta1"]
        else:
            return Status.REMOVED, "admissionReviewVersions is missing (required in v1)"
    listed = [v for v in versions if isinstance(v, str)] if isinstance(versions, list) else []
    statuses = [_status(ctx, v) for v in listed]
    if listed and any(s is None for s in statuses):
        return None
    if not listed or all(s is Status.REMOVED for s in statuses):
        return Status.REMOVED, f"accepts only {listed or 'nothing'}, which the target does not send"
    return Status.DEPRECATED, f"accepts only {listed}, deprecated at the target"


def _status(ctx: Context, version: str) -> Status | None:
    entry = ctx.table.lookup(f"{REVIEW_GROUP}/{version}", "AdmissionReview")
    if entry is not None:
        return entry.status_at(ctx.target)
    return None if version in KNOWN_VERSIONS else Status.REMOVED


def _finding(doc: Document, index: int, hook: dict[str, Any], status: Status, why: str) -> Finding:
    name = hook.get("name", f"webhooks[{index}]")
    return finding(
        doc,
        "KC-WEBHOOK-ADMISSIONREVIEW",
        status,
        f"webhook {name}: {why}",
        replacement=f"{REVIEW_GROUP}/v1",
        remediation="add v1 to admissionReviewVersions (first) and make the webhook answer "
        "admission.k8s.io/v1 AdmissionReview",
    )
