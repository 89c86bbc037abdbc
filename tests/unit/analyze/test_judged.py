"""A scan judges each (apiVersion, kind) once per target: the answer is kept on the context and
never leaks into a context for another target."""

from __future__ import annotations

import dataclasses

from kubecurrent.analyze import Context, check_document
from kubecurrent.catalog import load_catalog
from kubecurrent.collect.files import Document
from kubecurrent.model import MinorVersion
from kubecurrent.model.findings import Status


def _cronjob(name: str) -> Document:
    data = {"apiVersion": "batch/v1beta1", "kind": "CronJob", "metadata": {"name": name}}
    return Document(data, f"{name}.yaml", 1)


def test_each_document_gets_its_finding_from_one_judgement() -> None:
    ctx = Context.build(load_catalog(), MinorVersion.parse("1.25"))
    first, second = (check_document(_cronjob(n), ctx)[0] for n in ("a", "b"))
    assert (first.object.name, second.object.name) == ("a", "b")
    assert first.status is second.status is Status.REMOVED
    assert set(ctx.judged) == {("batch/v1beta1", "CronJob")}


def test_another_target_judges_afresh() -> None:
    at_1_25 = Context.build(load_catalog(), MinorVersion.parse("1.25"))
    check_document(_cronjob("a"), at_1_25)
    at_1_21 = dataclasses.replace(at_1_25, target=MinorVersion.parse("1.21"))
    assert at_1_21.judged == {}
    (finding,) = check_document(_cronjob("a"), at_1_21)
    assert finding.status is Status.DEPRECATED
    assert check_document(_cronjob("a"), at_1_25)[0].status is Status.REMOVED


def _doc(api_version: str, kind: str, name: str, line: int) -> Document:
    data = {"apiVersion": api_version, "kind": kind, "metadata": {"name": name}}
    return Document(data, f"{name}.yaml", line)


def test_a_kept_verdict_gives_the_finding_a_fresh_context_gives() -> None:
    # The verdict (rule, status, message, remedy) is kept per (apiVersion, kind); the object's
    # name, file and line are each document's own.
    kept = Context.build(load_catalog(), MinorVersion.parse("1.25"))
    kinds = [
        ("batch/v1beta1", "CronJob"),
        ("policy/v1beta1", "PodSecurityPolicy"),
        ("apps/v1", "Deployment"),
        ("flowcontrol.apiserver.k8s.io/v1beta2", "FlowSchema"),
    ]
    for n in range(3):
        for api_version, kind in kinds:
            doc = _doc(api_version, kind, f"{kind.lower()}-{n}", n + 1)
            fresh = dataclasses.replace(kept)
            assert check_document(doc, kept) == check_document(doc, fresh)
    assert set(kept.verdicts) == set(kinds)
    assert kept.verdicts[("apps/v1", "Deployment")] is None  # nothing to say about it
    assert kept.verdicts[("policy/v1beta1", "PodSecurityPolicy")] is None  # KC-PSP says it
    (finding,) = check_document(_doc("batch/v1beta1", "CronJob", "late", 9), kept)
    assert (finding.object.name, finding.location.file, finding.location.line) == (
        "late",
        "late.yaml",
        9,
    )
