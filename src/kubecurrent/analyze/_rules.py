"""Rules over one document: removed and deprecated apiVersions, PodSecurityPolicy, and the
kinds whose body is checked (RBAC rules, admission webhooks).

Every rule except the body checks judges an object by its identity alone (apiVersion, kind,
name, namespace). ``body_fields`` tells a reader which top-level fields it must build as well; it
is derived from ``BODY_CHECKS``, the table ``check_document`` dispatches on, so the two cannot
drift.
"""

from __future__ import annotations

from collections.abc import Callable

from kubecurrent.analyze._apis import ApiRule
from kubecurrent.analyze._context import Context, finding
from kubecurrent.analyze._rbac import FIELDS as RBAC_FIELDS
from kubecurrent.analyze._rbac import check_rbac
from kubecurrent.analyze._webhook import FIELDS as WEBHOOK_FIELDS
from kubecurrent.analyze._webhook import check_webhooks
from kubecurrent.collect.files import Document
from kubecurrent.model.findings import Finding, Status

PSP_KIND = "PodSecurityPolicy"
PSP_REMOVED_IN = "1.25"
RBAC_KINDS = ("Role", "ClusterRole")
WEBHOOK_KINDS = ("ValidatingWebhookConfiguration", "MutatingWebhookConfiguration")
BodyCheck = Callable[[Document, Context], list[Finding]]
BODY_CHECKS: dict[str, tuple[BodyCheck, tuple[str, ...]]] = {
    **dict.fromkeys(RBAC_KINDS, (check_rbac, RBAC_FIELDS)),
    **dict.fromkeys(WEBHOOK_KINDS, (check_webhooks, WEBHOOK_FIELDS)),
}
"""Kinds whose rules read more than the object's identity: the check, and the top-level fields
it reads."""


def body_fields(api_version: str, kind: str) -> tuple[str, ...]:
    """The top-level fields any rule reads beyond apiVersion, kind, name and namespace."""
    entry = BODY_CHECKS.get(kind)
    return entry[1] if entry is not None else ()


def check_document(doc: Document, ctx: Context) -> list[Finding]:
    """Every finding about one object, judged against ``ctx.target``."""
    findings: list[Finding] = []
    rule = ctx.table.lookup(doc.api_version, doc.kind)
    if rule is not None and doc.kind != PSP_KIND:  # KC-PSP below says it, with what to do
        status = rule.status_at(ctx.target)
        if status is not None:
            findings.append(_api_finding(doc, rule, status, ctx))
    if doc.kind == PSP_KIND:
        findings.append(_psp_finding(doc, ctx))
    entry = BODY_CHECKS.get(doc.kind)
    if entry is not None:
        findings += entry[0](doc, ctx)
    return findings


def _api_finding(doc: Document, rule: ApiRule, status: Status, ctx: Context) -> Finding:
    where = f"{rule.addon} {rule.removed_in}" if rule.addon else f"Kubernetes {rule.removed_in}"
    if status is Status.REMOVED:
        served = f"removed in {where}" if rule.addon else f"not served by {ctx.target}"
        message = f"{rule.api_version} {rule.kind} is {served} (removed in {rule.removed_in})"
    else:
        until = f", removed in {where}" if rule.removed_in else ", no removal scheduled yet"
        message = f"{rule.api_version} {rule.kind} is deprecated since {rule.deprecated_in}{until}"
    return finding(
        doc,
        "KC-API-REMOVED" if status is Status.REMOVED else "KC-API-DEPRECATED",
        status,
        message,
        deprecated_in=rule.deprecated_in,
        removed_in=rule.removed_in,
        fix_by=rule.fix_by,
        replacement=rule.replacement,
        remediation=remediation(rule),
    )


def remediation(rule: ApiRule) -> str:
    """One line: the apiVersion to move to and the first thing to change beyond it."""
    if rule.replacement is None:
        return rule.migration[0] if rule.migration else "no replacement API: see the catalog note"
    step = f"change apiVersion to {rule.replacement}"
    notes = [n for n in rule.migration if not n.startswith(("no field changes", "same structure"))]
    return f"{step}; {notes[0]}" if notes else step


def _psp_finding(doc: Document, ctx: Context) -> Finding:
    removed = ctx.target >= ctx.target.parse(PSP_REMOVED_IN)
    status = Status.REMOVED if removed else Status.DEPRECATED
    return finding(
        doc,
        "KC-PSP",
        status,
        f"PodSecurityPolicy {doc.name} has no replacement API (removed in {PSP_REMOVED_IN})",
        deprecated_in="1.21",
        removed_in=PSP_REMOVED_IN,
        fix_by=PSP_REMOVED_IN,
        remediation="label namespaces pod-security.kubernetes.io/enforce=baseline|restricted "
        "(Pod Security Admission), move PSP-mutated defaults into workloads, then delete the PSP",
    )
