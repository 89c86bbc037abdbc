"""What goes into the twin and how it is cleaned (pure functions, no cluster)."""

from __future__ import annotations

import base64
from typing import Any

from kubecurrent.rehearse._clean import (
    clean,
    gates_of,
    load_order,
    placeholder,
    skip_object,
    skip_resource,
)
from kubecurrent.rehearse._records import WebhookMode


def _obj(kind: str, api_version: str = "v1", **extra: Any) -> dict[str, Any]:
    return {
        "apiVersion": api_version,
        "kind": kind,
        "metadata": {
            "name": "x",
            "namespace": "ns",
            "uid": "1234",
            "resourceVersion": "99",
            "creationTimestamp": "2026-01-01T00:00:00Z",
            "managedFields": [{"manager": "kubectl"}],
            "ownerReferences": [{"apiVersion": "example.com/v1", "kind": "Thing", "name": "t"}],
            "labels": {"app": "x"},
        },
        "status": {"phase": "Running"},
        **extra,
    }


def test_cluster_specific_fields_are_dropped_and_the_input_is_left_alone() -> None:
    svc = _obj("Service", spec={"clusterIP": "10.0.0.7", "clusterIPs": ["10.0.0.7"], "ports": []})
    out = clean(svc, WebhookMode.IGNORE)
    assert out["metadata"] == {"name": "x", "namespace": "ns", "labels": {"app": "x"}}
    assert "status" not in out and out["spec"] == {"ports": []}
    assert svc["spec"]["clusterIP"] == "10.0.0.7" and "uid" in svc["metadata"]
    headless = clean(_obj("Service", spec={"clusterIP": "None"}), WebhookMode.IGNORE)
    assert headless["spec"]["clusterIP"] == "None"
    pod = clean(_obj("Pod", spec={"nodeName": "n1", "containers": []}), WebhookMode.IGNORE)
    gate = [{"name": "kubecurrent.dev/rehearsal"}]
    assert pod["spec"] == {"containers": [], "schedulingGates": gate}
    assert clean(pod, WebhookMode.IGNORE)["spec"]["schedulingGates"] == gate  # once


def test_secret_data_never_copied_but_keys_and_shapes_kept() -> None:
    secret = _obj(
        "Secret",
        type="kubernetes.io/dockerconfigjson",
        data={".dockerconfigjson": base64.b64encode(b'{"auths":{"r":{"auth":"c2VjcmV0"}}}').decode(),
              "token": base64.b64encode(b"hunter2").decode()},
        stringData={"extra": "plain"},
    )  # fmt: skip
    out = clean(secret, WebhookMode.IGNORE)
    assert set(out["data"]) == {".dockerconfigjson", "token"} and "stringData" not in out
    assert base64.b64decode(out["data"][".dockerconfigjson"]) == b'{"auths":{}}'
    assert b"hunter2" not in base64.b64decode(out["data"]["token"])
    assert out["data"]["token"] == placeholder("token")


def test_jobs_lose_the_selector_their_old_uid_pinned() -> None:
    job = _obj(
        "Job",
        "batch/v1",
        spec={
            "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": "u"}},
            "template": {"metadata": {"labels": {"batch.kubernetes.io/controller-uid": "u",
                                                 "app": "j"}}},
        },
    )  # fmt: skip
    out = clean(job, WebhookMode.IGNORE)
    assert "selector" not in out["spec"]
    assert out["spec"]["template"]["metadata"]["labels"] == {"app": "j"}


def test_webhook_mode_decides_the_copies_failure_policy_and_conversion() -> None:
    hook = _obj(
        "ValidatingWebhookConfiguration",
        "admissionregistration.k8s.io/v1",
        webhooks=[
            {
                "name": "v.example.com",
                "failurePolicy": "Fail",
                "clientConfig": {"url": "https://hooks.example.com/validate?token=abc"},
                "rules": [{"apiGroups": ["", "apps"], "resources": ["configmaps", "deployments"]}],
            }
        ],
    )
    assert clean(hook, WebhookMode.IGNORE)["webhooks"][0]["failurePolicy"] == "Ignore"
    assert clean(hook, WebhookMode.FAIL)["webhooks"][0]["failurePolicy"] == "Fail"
    (gate,) = gates_of(hook)
    assert gate.resources == (
        "apps/configmaps",
        "apps/deployments",
        "core/configmaps",
        "core/deployments",
    )
    assert gate.backend == "url https://hooks.example.com/validate"  # no query (tokens)
    crd = _obj(
        "CustomResourceDefinition",
        "apiextensions.k8s.io/v1",
        spec={
            "group": "example.com",
            "names": {"plural": "things"},
            "conversion": {
                "strategy": "Webhook",
                "webhook": {"clientConfig": {"service": {"namespace": "s", "name": "conv"}}},
            },
        },
    )
    assert clean(crd, WebhookMode.IGNORE)["spec"]["conversion"] == {"strategy": "None"}
    assert clean(crd, WebhookMode.FAIL)["spec"]["conversion"]["strategy"] == "Webhook"
    (conv,) = gates_of(crd)
    assert conv.resources == ("example.com/things",) and conv.backend == "service s/conv"


def test_what_the_twin_makes_itself_is_not_copied() -> None:
    owned = _obj("Pod")
    owned["metadata"]["ownerReferences"] = [
        {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "r", "controller": True}
    ]
    assert skip_object(owned) == "made by its ReplicaSet's controller"
    custom_owner = _obj("ConfigMap")  # owned by a custom resource: its controller is absent
    custom_owner["metadata"]["ownerReferences"][0]["controller"] = True
    assert skip_object(custom_owner) is None
    token = _obj("Secret", type="kubernetes.io/service-account-token")
    assert skip_object(token) == "minted by the token controller"
    assert skip_resource("", "events") and skip_resource("coordination.k8s.io", "leases")
    assert skip_resource("apps", "deployments") is None


def test_load_order_puts_crds_first_and_webhooks_last() -> None:
    kinds = [
        ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"),
        ("apps", "Deployment"),
        ("apiextensions.k8s.io", "CustomResourceDefinition"),
        ("", "ConfigMap"),
        ("", "Namespace"),
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
    ]
    ordered = [k for _, k in sorted(kinds, key=lambda gk: load_order(*gk))]
    assert ordered == [
        "Namespace",
        "CustomResourceDefinition",
        "ConfigMap",
        "Deployment",
        "ValidatingAdmissionPolicy",
        "ValidatingWebhookConfiguration",
    ]


def test_the_docs_show_what_is_never_copied_as_the_code_decides() -> None:
    from pathlib import Path

    from kubecurrent.rehearse._clean import skipped_table

    page = (Path(__file__).parents[3] / "docs" / "rehearse.md").read_text()
    block = page.split("<!-- generated: kubecurrent.rehearse._clean.skipped_table -->\n")[1]
    assert block.split("<!-- end generated -->")[0] == skipped_table()
