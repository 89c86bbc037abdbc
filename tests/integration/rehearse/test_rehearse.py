"""`kubecurrent rehearse` end to end: a "production" sandbox at 1.35 rehearsed to 1.37 on a twin.

Production holds what the issue names: a CRD whose storedVersions still hold a deprecated
version, objects written through a beta API (a built-in one turned on with --runtime-config, as
a real cluster would), a validating webhook whose backend is gone, a 900 KiB ConfigMap and a
Secret. The rehearsal runs as a user runs it (the CLI in a fresh process) and must find each at
the right hop with the API server's own words, and leave production untouched.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import psutil
import pytest
from lightkube import KubeConfig
from lightkube.config.client_adapter import Client as HttpClient
from lightkube.config.client_adapter import ConnectionParams

from kubecurrent import sandbox as sb
from tests.integration.conftest import SessionSandbox, guard, wait_for

SECRET_VALUE = "s3cr3t-value-that-must-never-leave"
CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.example.com"},
    "spec": {
        "group": "example.com",
        "scope": "Namespaced",
        "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
        "versions": [
            {
                "name": name,
                "served": True,
                "storage": storage,
                "deprecated": name == "v1beta1",
                "schema": {
                    "openAPIV3Schema": {
                        "type": "object",
                        "properties": {
                            "spec": {
                                "type": "object",
                                "properties": {"size": {"type": "integer"}},
                            }
                        },
                    }
                },
            }
            for name, storage in (("v1beta1", True), ("v1", False))
        ],
    },
}


class Api:
    """Plain HTTP to the production sandbox (kubectl-equivalent calls), guarded."""

    def __init__(self, box: SessionSandbox) -> None:
        guard(box, box.kubeconfig)
        config = KubeConfig.from_file(box.kubeconfig).get()
        assert config is not None
        self.http = HttpClient(
            config, ConnectionParams(timeout=httpx2.Timeout(60), trust_env=False)
        )

    def send(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        resp = self.http.request(
            method,
            path,
            json=body,
            headers={"Content-Type": "application/json", "Accept": "application/json"},
        )
        assert resp.status_code < 300, f"{method} {path}: {resp.status_code} {resp.text[:300]}"
        return dict(resp.json())


@pytest.fixture(scope="module")
def production(sandbox_home: Path) -> Iterator[SessionSandbox]:
    pools = (sb.parse_pool("default=2", sb.release_of("1.35")),)
    sb.up(
        sb.UpOptions(
            "production", "1.35", pools, timeout=300, runtime_config=("storage.k8s.io/v1beta1",)
        )
    )
    box = SessionSandbox("production", sandbox_home)
    try:
        _populate(Api(box))
        yield box
    finally:
        sb.down("production")


def _ns(name: str, **labels: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}


def _populate(api: Api) -> None:
    api.send("POST", "/api/v1/namespaces", _ns("shop", guarded="yes"))
    api.send("POST", "/api/v1/namespaces", _ns("data"))
    # The CRD first stores v1beta1; a Widget is written through it; then v1 becomes the storage
    # version, so status.storedVersions keeps [v1beta1, v1] until someone migrates.
    crd_path = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
    api.send("POST", crd_path, CRD)
    wait_for(lambda: _established(api), "CRD established")
    widget = {
        "apiVersion": "example.com/v1beta1",
        "kind": "Widget",
        "metadata": {"name": "w1", "namespace": "shop"},
        "spec": {"size": 3},
    }
    api.send("POST", "/apis/example.com/v1beta1/namespaces/shop/widgets", widget)
    crd = api.send("GET", f"{crd_path}/widgets.example.com")
    for v in crd["spec"]["versions"]:
        v["storage"] = v["name"] == "v1"
    api.send("PUT", f"{crd_path}/widgets.example.com", crd)
    vac = {
        "apiVersion": "storage.k8s.io/v1beta1",
        "kind": "VolumeAttributesClass",
        "metadata": {"name": "gold"},
        "driverName": "csi.example.com",
        "parameters": {"iops": "3000"},
    }
    api.send("POST", "/apis/storage.k8s.io/v1beta1/volumeattributesclasses", vac)
    big = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "big", "namespace": "data"},
        "data": {"blob": "x" * (900 * 1024)},
    }
    api.send("POST", "/api/v1/namespaces/data/configmaps", big)
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"}}
    api.send("POST", "/api/v1/namespaces/shop/configmaps", {**cm, "data": {"a": "1"}})
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "db"},
        "stringData": {"password": SECRET_VALUE},
    }
    api.send("POST", "/api/v1/namespaces/shop/secrets", secret)
    # Last: a webhook that gates ConfigMaps in guarded namespaces; its backend does not exist.
    hook = {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingWebhookConfiguration",
        "metadata": {"name": "guard"},
        "webhooks": [
            {
                "name": "guard.example.com",
                "admissionReviewVersions": ["v1"],
                "sideEffects": "None",
                "failurePolicy": "Fail",
                "timeoutSeconds": 2,
                "namespaceSelector": {"matchLabels": {"guarded": "yes"}},
                "clientConfig": {"service": {"namespace": "gone", "name": "guard"}},
                "rules": [
                    {
                        "apiGroups": [""],
                        "apiVersions": ["v1"],
                        "operations": ["CREATE", "UPDATE"],
                        "resources": ["configmaps"],
                    }
                ],
            }
        ],
    }
    api.send("POST", "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations", hook)


def _established(api: Api) -> bool:
    crd = api.send(
        "GET", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com"
    )
    return any(
        c["type"] == "Established" and c["status"] == "True"
        for c in (crd.get("status") or {}).get("conditions") or []
    )


WATCHED = (
    "/apis/example.com/v1/namespaces/shop/widgets/w1",
    "/apis/storage.k8s.io/v1/volumeattributesclasses/gold",
    "/api/v1/namespaces/data/configmaps/big",
    "/api/v1/namespaces/shop/configmaps/settings",
    "/api/v1/namespaces/shop/secrets/db",
    "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com",
    "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/guard",
    "/api/v1/namespaces/shop",
)


def _versions(api: Api) -> dict[str, str]:
    return {p: api.send("GET", p)["metadata"]["resourceVersion"] for p in WATCHED}


def _manifests(root: Path) -> Path:
    d = root / "manifests"
    d.mkdir()
    (d / "vac.yaml").write_text(
        "apiVersion: storage.k8s.io/v1beta1\nkind: VolumeAttributesClass\n"
        "metadata:\n  name: silver\ndriverName: csi.example.com\nparameters:\n  iops: '100'\n"
    )
    (d / "widget.yaml").write_text(
        "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w2\n  namespace: apps\n"
        "spec:\n  size: big\n"
    )
    (d / "ok.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fine\n  namespace: apps\n"
        "data:\n  k: v\n"
    )
    return d


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KUBECURRENT_KUBECONFIG": ""}
    return subprocess.run(
        [sys.executable, "-m", "kubecurrent", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={k: v for k, v in env.items() if v},
        timeout=900,
    )


def _find(hop: dict[str, Any], check: str, kind: str, name: str) -> list[dict[str, Any]]:
    return [
        o
        for o in hop["outcomes"]
        if o["check"] == check and o["ref"]["kind"] == kind and o["ref"]["name"] == name
    ]


def test_rehearsal_finds_each_problem_at_its_hop_and_leaves_production_alone(
    production: SessionSandbox, tmp_path: Path
) -> None:
    api = Api(production)
    before = _versions(api)
    manifests = _manifests(tmp_path)
    report = tmp_path / "rehearsal.md"
    proc = _run(
        "--kubeconfig", str(production.kubeconfig),
        "rehearse", "--target", "1.37", "--webhooks", "fail",
        "--manifests", str(manifests), "--report", str(report), "-o", "json",
        cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 4, proc.stderr[-3000:]
    result = json.loads(proc.stdout)
    (tmp_path / "result.json").write_text(proc.stdout)  # kept for a failing run's reader
    hops = {h["version"].rsplit(".", 1)[0]: h for h in result["hops"]}
    assert list(hops) == ["v1.35", "v1.36", "v1.37"], proc.stderr[-2000:]
    assert result["interrupted"] == ""
    assert result["runtime_config"] == ["storage.k8s.io/v1beta1"]

    # Written through storage.k8s.io/v1beta1: accepted with the server's deprecation warning
    # up to 1.36, refused by 1.37 in the server's own words.
    for v in ("v1.35", "v1.36"):
        (seen,) = _find(hops[v], "writer", "VolumeAttributesClass", "gold")
        assert seen["verdict"] == "warned" and "deprecated" in seen["message"], seen
    (gone,) = _find(hops["v1.37"], "writer", "VolumeAttributesClass", "gold")
    assert gone["verdict"] == "refused"
    assert "could not find the requested resource" in gone["message"], gone

    # The Widget written through the deprecated v1beta1: the CRD's warning at every hop; and
    # the CRD's storedVersions still hold v1beta1.
    for hop in hops.values():
        (w,) = _find(hop, "writer", "Widget", "w1")
        assert w["verdict"] == "warned" and "deprecated" in w["message"], w
        (crd,) = hop["crd_storage"]
        assert crd["crd"] == "widgets.example.com" and crd["stale"] == ["v1beta1"]

    # The webhook whose backend is gone refuses the guarded ConfigMap at every hop, and is
    # reported with what it gates.
    for hop in hops.values():
        (cm,) = _find(hop, "resubmit", "ConfigMap", "settings")
        assert cm["verdict"] == "refused" and "failed calling webhook" in cm["message"], cm
    (gate,) = result["gates"]
    assert gate["name"] == "guard" and gate["resources"] == ["core/configmaps"]
    assert gate["backend"] == "service gone/guard"

    # The 900 KiB ConfigMap is copied and accepted again at every hop; nothing is unreadable.
    assert result["copied"]["ConfigMap (v1)"] >= 2
    for hop in hops.values():
        assert not _find(hop, "resubmit", "ConfigMap", "big")
        assert not [o for o in hop["outcomes"] if o["verdict"] == "unreadable"]
        assert hop["accepted"] > 20

    # Manifests: the removed API refused only at 1.37; the Widget that breaks the cluster's own
    # CRD schema refused at every hop (no list-based rule can know that schema).
    (silver_136,) = _find(hops["v1.36"], "manifest", "VolumeAttributesClass", "silver")
    assert silver_136["verdict"] == "warned", silver_136  # deprecated, still served
    (silver,) = _find(hops["v1.37"], "manifest", "VolumeAttributesClass", "silver")
    assert silver["verdict"] == "refused" and silver["source"].endswith("vac.yaml:1")
    for hop in hops.values():
        (w2,) = _find(hop, "manifest", "Widget", "w2")
        assert w2["verdict"] == "refused" and "spec.size" in w2["message"], w2
        assert not _find(hop, "manifest", "ConfigMap", "fine")

    # Secrets' data never leaves the cluster; pods of workloads are not copied.
    assert SECRET_VALUE not in proc.stdout and SECRET_VALUE not in report.read_text()
    assert "# Rehearsal:" in report.read_text()
    assert _versions(api) == before  # production untouched
    assert not [n for n in sb.names() if n.startswith("rehearse-")]  # no twin left behind


def test_rehearsal_confirms_every_removed_finding_of_scan_files(
    production: SessionSandbox, tmp_path: Path
) -> None:
    manifests = _manifests(tmp_path)
    scan = _run("scan", "files", str(manifests), "--target", "1.37", "-o", "json", cwd=tmp_path)
    removed = {
        (f["object"]["kind"], f["object"]["name"])
        for f in json.loads(scan.stdout)["findings"]
        if f["status"] == "removed"
    }
    assert removed == {("VolumeAttributesClass", "silver")}, scan.stdout[-2000:]
    proc = _run(
        "--kubeconfig", str(production.kubeconfig), "rehearse", "--target", "1.37",
        "--kinds", "ConfigMap", "--namespaces", "data", "--manifests", str(manifests),
        "-o", "json", cwd=tmp_path,
    )  # fmt: skip
    hops = json.loads(proc.stdout)["hops"]
    refused_at_target = {
        (o["ref"]["kind"], o["ref"]["name"])
        for o in hops[-1]["outcomes"]
        if o["check"] == "manifest" and o["verdict"] == "refused"
    }
    assert removed <= refused_at_target
    assert ("Widget", "w2") in refused_at_target - removed  # what only the real server knows


def test_secrets_reach_the_twin_with_their_keys_but_never_their_data(
    production: SessionSandbox,
) -> None:
    from kubecurrent.collect.cluster import ClusterTarget, connection
    from kubecurrent.model import MinorVersion
    from kubecurrent.rehearse import Kube, RehearseOptions, Twin, rehearse, twin_name

    seen: dict[str, Any] = {}

    class Peeking(Twin):
        """The real twin; before it goes, the test reads what it holds."""

        def __exit__(self, *exc: Any) -> None:
            seen.update(self.kube.json("/api/v1/namespaces/shop/secrets/db"))
            super().__exit__(*exc)

    source = Kube(
        connection(ClusterTarget(name="production", kubeconfig=production.kubeconfig)), "prod"
    )
    try:
        result = rehearse(
            source,
            "production",
            RehearseOptions(
                target=MinorVersion.parse("1.35"),
                namespaces=frozenset({"shop"}),
                kinds=frozenset({"secret"}),
            ),
            lambda start, extra: Peeking(twin_name(), start, extra),
        )
    finally:
        source.close()
    assert result.copied == {  # namespaces and CRDs always come along (documented)
        "Namespace (v1)": 1,
        "CustomResourceDefinition (apiextensions.k8s.io/v1)": 1,
        "Secret (v1)": 1,
    }, result.copied
    assert list(seen["data"]) == ["password"]
    assert SECRET_VALUE.encode() not in base64.b64decode(seen["data"]["password"])
    assert not [n for n in sb.names() if n.startswith("rehearse-")]


def test_a_user_who_cannot_read_everything_rehearses_what_they_can(
    production: SessionSandbox, tmp_path: Path
) -> None:
    api = Api(production)
    role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": "rehearse-reader"},
        "rules": [
            {"apiGroups": [""], "resources": ["namespaces", "configmaps"], "verbs": ["list"]},
            {"apiGroups": [""], "resources": ["namespaces"], "verbs": ["get"]},
        ],
    }
    binding = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": "rehearse-reader"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                    "name": "rehearse-reader"},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "auditor"}],
    }  # fmt: skip
    api.send("POST", "/apis/rbac.authorization.k8s.io/v1/clusterroles", role)
    api.send("POST", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", binding)
    kubeconfig = sb.mint_user(production.name, "auditor")
    proc = _run(
        "--kubeconfig", str(kubeconfig), "rehearse", "--target", "1.35",
        "--namespaces", "data", "--kinds", "ConfigMap,Secret", "-o", "json", cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout)
    assert result["copied"]["ConfigMap (v1)"] == 1  # the 900 KiB one; kube-root-ca is the twin's
    not_copied = {n["what"]: n["reason"] for n in result["not_copied"]}
    assert not_copied["secrets.core"].startswith("cannot list: secrets is forbidden")
    assert "customresourcedefinitions.apiextensions.k8s.io" in not_copied


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_ctrl_c_leaves_no_twin_behind(
    production: SessionSandbox, tmp_path: Path, sig: signal.Signals
) -> None:
    before = {p.pid for p in psutil.process_iter()}
    proc = subprocess.Popen(
        [sys.executable, "-m", "kubecurrent", "--kubeconfig", str(production.kubeconfig),
         "rehearse", "--target", "1.37"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
    )  # fmt: skip
    assert proc.stderr is not None
    lines = []
    for line in proc.stderr:  # the twin is up and being filled
        lines.append(line)
        if line.startswith("copied "):
            break
    assert [n for n in sb.names() if n.startswith("rehearse-")], "".join(lines)
    proc.send_signal(sig)
    assert proc.wait(timeout=120) != 0
    assert not [n for n in sb.names() if n.startswith("rehearse-")]
    left = [
        p.info["cmdline"]
        for p in psutil.process_iter(["cmdline"])
        if p.pid not in before and "rehearse-" in " ".join(p.info["cmdline"] or [])
    ]
    assert not left, left
