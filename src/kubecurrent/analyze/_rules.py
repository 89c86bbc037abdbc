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
from kubecurrent.analyze._context import ApiVerdict, Context, finding
from kubecurrent.analyze._judge import judge
from kubecurrent.analyze._rbac import FIELDS as RBAC_FIELDS
from kubecurrent.analyze._rbac import check_rbac
from kubecurrent.analyze._served import Why
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
    kind = doc.kind
    found = api_verdict(ctx, doc.api_version, kind)
    entry = BODY_CHECKS.get(kind)
    if found is None and entry is None and kind != PSP_KIND:
        return []  # most objects: nothing to say, known from their (apiVersion, kind) alone
    findings: list[Finding] = []
    if found is not None:
        findings.append(found.finding(doc))
    if kind == PSP_KIND:
        findings.append(_psp_finding(doc, ctx))
    if entry is not None:
        findings += entry[0](doc, ctx)
    return findings


def api_verdict(ctx: Context, api_version: str, kind: str) -> ApiVerdict | None:
    """What the API rule says about an (apiVersion, kind) at ``ctx.target``, the same for every
    object of it: kept in ``ctx.verdicts``."""
    key = (api_version, kind)
    if key in ctx.verdicts:
        return ctx.verdicts[key]
    verdict = None
    rule = judge(ctx, api_version, kind)
    if rule is not None and kind != PSP_KIND:  # KC-PSP says it, with what to do
        status = rule.status_at(ctx.target)
        if status is not None:
            verdict = _api_verdict(rule, status, ctx)
    ctx.verdicts[key] = verdict
    return verdict


def _api_verdict(rule: ApiRule, status: Status, ctx: Context) -> ApiVerdict:
    return ApiVerdict(
        rule_id=rule.rule_id if status is Status.REMOVED else "KC-API-DEPRECATED",
        status=status,
        message=api_message(rule, status, ctx),
        deprecated_in=None if rule.deprecated_in == "-" else rule.deprecated_in,
        removed_in=rule.removed_in,
        fix_by=rule.fix_by,
        replacement=rule.replacement,
        remediation=remediation(rule),
    )


def api_message(rule: ApiRule, status: Status, ctx: Context) -> str:
    """What the target does with ``rule``'s apiVersion and kind, in one sentence."""
    what = f"{rule.api_version} {rule.kind}"
    if rule.addon is not None:
        return _addon_message(rule, status)
    if rule.unserved is Why.NOT_YET:
        return f"{what} is not served by {ctx.target}: first served in {rule.first_served}"
    if rule.unserved is Why.UNKNOWN_VERSION:
        return (
            f"{rule.api_version} is not a version of the built-in group {rule.group!r} in any "
            f"Kubernetes release the catalog knows: the API server refuses it"
        )
    if status is Status.REMOVED:
        how = "alpha: never served by default, removed" if rule.alpha else "removed"
        return f"{what} is not served by {ctx.target} ({how} in {rule.removed_in})"
    until = f", removed in Kubernetes {rule.removed_in}" if rule.removed_in else ""
    return f"{what} is deprecated since {rule.deprecated_in}{until or ', no removal scheduled yet'}"


def _addon_message(rule: ApiRule, status: Status) -> str:
    what, addon = f"{rule.api_version} {rule.kind}", rule.addon
    runs = f"; you run {addon} {rule.installed}" if rule.installed else ""
    if status is Status.REMOVED:
        unknown = (
            ""
            if rule.installed
            else f" (installed {addon} version unknown: --addon-version {addon}=X.Y judges it)"
        )
        return f"{what} is removed in {addon} {rule.removed_in}{runs}{unknown}"
    until = f", removed in {addon} {rule.removed_in}" if rule.removed_in else ""
    return f"{what} is deprecated since {addon} {rule.deprecated_in}{until}{runs}"


def remediation(rule: ApiRule) -> str:
    """One line: the apiVersion to move to and the first thing to change beyond it."""
    if rule.unserved is Why.NOT_YET:
        return f"target {rule.first_served} or later, or use a version the target serves"
    if rule.replacement is None:
        return rule.migration[0] if rule.migration else "no replacement API: see the catalog note"
    since = f" (served since {rule.replacement_since})" if rule.replacement_since else ""
    step = f"change apiVersion to {rule.replacement}{since}"
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
