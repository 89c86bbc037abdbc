"""The rehearsal evidence: Markdown and JSON stay faithful and safe with hostile names."""

from __future__ import annotations

import json

from kubecurrent.rehearse import (
    Check,
    CrdStorage,
    Hop,
    ObjectRef,
    Outcome,
    Rehearsal,
    Verdict,
    render_json,
    render_markdown,
)
from kubecurrent.rehearse._twin import runtime_config


def _rehearsal() -> Rehearsal:
    ref = ObjectRef("storage.k8s.io/v1beta1", "VolumeAttributesClass", "", "gold|\x1b[31m")
    hop = Hop(
        version="v1.37.2",
        outcomes=[
            Outcome(ref, Check.WRITER, Verdict.REFUSED, "the server could not find it", "cluster")
        ],
        accepted=10,
        crd_storage=[CrdStorage("w.example.com", ("v1beta1", "v1"), "v1", ("v1beta1",))],
    )
    return Rehearsal("prod", "v1.35.4", "1.37", start_note="own minor", hops=[hop])


def test_markdown_names_each_refusal_with_the_servers_words_and_escapes_names() -> None:
    text = render_markdown(_rehearsal())
    assert "refusals found" in text and "the server could not find it" in text
    assert "gold\\|\\x1b[31m" in text and "\x1b" not in text
    assert "| w.example.com | v1beta1, v1 | v1 | v1beta1 |" in text


def test_json_carries_the_outcome_and_every_hop() -> None:
    data = json.loads(render_json(_rehearsal()))
    assert data["ok"] is False
    (hop,) = data["hops"]
    assert hop["outcomes"][0]["verdict"] == "refused"
    assert hop["outcomes"][0]["ref"]["kind"] == "VolumeAttributesClass"


def test_only_prerelease_versions_of_builtin_groups_are_turned_on_in_the_twin() -> None:
    served = {
        "storage.k8s.io/v1beta1",
        "storage.k8s.io/v1",
        "example.com/v1beta1",  # a CRD's group: the twin gets it from the CRD
        "resource.k8s.io/v1alpha3",
        "bad/v1beta1=false,x",  # not shaped like a group version: ignored
    }
    groups = {"storage.k8s.io", "resource.k8s.io", "bad"}
    assert runtime_config(served, groups) == ("resource.k8s.io/v1alpha3", "storage.k8s.io/v1beta1")


def test_html_evidence_escapes_names_and_styles_verdicts() -> None:
    from html.parser import HTMLParser

    from kubecurrent.rehearse import render_html

    r = _rehearsal()
    r.cluster = "<script>alert(1)</script>"
    page = render_html(r)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    assert "\x1b" not in page and "\\x1b[31m" in page
    assert '<td class="state-refused">refused</td>' in page
    assert "<style>" in page and "http" not in page.split("<style>")[1].split("</style>")[0]
    HTMLParser().feed(page)  # parses


def test_names_from_manifests_are_one_escaped_path_segment() -> None:
    from kubecurrent.rehearse import ApiResource

    res = ApiResource("", "v1", "configmaps", "ConfigMap", True)
    assert res.path("a/b", "../../x") == "/api/v1/namespaces/a%2Fb/configmaps/..%2F..%2Fx"
    assert res.path("ns", "..") == "/api/v1/namespaces/ns/configmaps/%2E%2E"
    assert res.path("ns", "plain-name") == "/api/v1/namespaces/ns/configmaps/plain-name"
