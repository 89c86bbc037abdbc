"""The fast reading path on and off (``KUBECURRENT_SCAN_FILES_CAREFUL``): on inputs only the full
parser reads right, and on plain ones around them, the scan reports exactly the same."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubecurrent.analyze import Context
from kubecurrent.analyze.report import ScanReport
from kubecurrent.cli._scan_run import CAREFUL_ENV, careful
from kubecurrent.cli.scan import run_scan
from kubecurrent.collect.files import RenderOptions

PLAIN = (
    "apiVersion: batch/v1beta1\nkind: CronJob\nmetadata:\n  name: plain{i}\n"
    '  namespace: "ns{i}"\nspec:\n  schedule: "0 1 * * *"\n'
)
ODD: dict[str, bytes] = {
    "anchors.yaml": b"apiVersion: batch/v1beta1\nkind: CronJob\nmetadata: &m\n  name: anchored\n"
    b"spec:\n  jobTemplate:\n    metadata:\n      <<: *m\n",
    "merge-identity.yaml": b"base: &b\n  apiVersion: extensions/v1beta1\n  kind: Ingress\n---\n"
    b"<<: *b\nmetadata:\n  name: merged\n",
    "tags.yaml": b"apiVersion: v1\nkind: !!str Service\nmetadata:\n  name: !!str tagged\n---\n"
    b"apiVersion: !custom extensions/v1beta1\nkind: Ingress\nmetadata:\n  name: custom-tag\n",
    "bom.yaml": b"\xef\xbb\xbfapiVersion: extensions/v1beta1\nkind: Ingress\nmetadata:\n  name: bom\n",
    "utf16.yaml": "apiVersion: policy/v1beta1\nkind: PodSecurityPolicy\nmetadata:\n  name: u16\n".encode(
        "utf-16"
    ),
    "crlf.yaml": b"apiVersion: batch/v1beta1\r\nkind: CronJob\r\nmetadata:\r\n  name: crlf\r\n",
    "lone-cr.yaml": b"apiVersion: batch/v1beta1\rkind: CronJob\rmetadata:\r  name: cr\r",
    "latin1.yaml": b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: caf\xe9\n",
    "huge.yaml": b"apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata:\n  name: huge\n"
    b"  annotations:\n    blob: " + b"x" * 300_000 + b"\n",
    "directive.yaml": b"%YAML 1.1\n---\napiVersion: policy/v1beta1\nkind: PodDisruptionBudget\n"
    b"metadata:\n  name: directive\n...\n",
    "json.yaml": b'{"apiVersion": "batch/v1beta1", "kind": "CronJob", "metadata": {"name": "j"}}\n',
    "list.yaml": b"apiVersion: v1\nkind: List\nitems:\n- apiVersion: policy/v1beta1\n"
    b"  kind: PodDisruptionBudget\n  metadata: {name: item}\n",
    "numbers.yaml": b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: 0x1F\n"
    b"  namespace: 2024-02-30\n",
    "continued.yaml": b"apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata:\n  name: cont\n"
    b"    inued\n",
    "duplicate.yaml": b"apiVersion: v1\nkind: Secret\nkind: Service\nmetadata:\n  name: dup\n",
    "broken.yaml": b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [unclosed\n---\n"
    b"apiVersion: batch/v1beta1\nkind: CronJob\nmetadata:\n  name: after-error\n",
    "template.yaml": b"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Name }}\n",
    "on-marker.yaml": b"--- apiVersion: policy/v1beta1\nkind: PodSecurityPolicy\nmetadata:\n"
    b"  name: on-marker\n",
    "tabs.yaml": b"apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata:\n  name: tab\n"
    b"spec:\n\tx: 1\n",
    "quoted-keys.yaml": b'"apiVersion": extensions/v1beta1\n"kind": Ingress\nmetadata:\n'
    b'  "name": q\n',
    "rbac.yaml": b"apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n"
    b'  name: psp-user\nrules:\n- apiGroups: ["policy"]\n  resources: ["podsecuritypolicies"]\n'
    b'  verbs: ["use"]\n',
    "empty.yaml": b"",
    "comments.yaml": b"# nothing but a comment\n---\n# and another\n",
}


def _scan(root: Path, ctx: Context, monkeypatch: pytest.MonkeyPatch, slow: bool) -> ScanReport:
    if slow:
        monkeypatch.setenv(CAREFUL_ENV, "1")
    else:
        monkeypatch.delenv(CAREFUL_ENV, raising=False)
    assert careful() is slow
    return run_scan((str(root),), ctx, RenderOptions())


def test_odd_inputs_give_the_same_report_with_and_without_the_fast_path(
    tmp_path: Path, ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, data in ODD.items():
        (tmp_path / name).write_bytes(data)
    for i in range(40):  # plain files around them, so the fast path has work to do
        (tmp_path / f"plain{i:02}.yaml").write_text(PLAIN.format(i=i) + "---\n" + PLAIN.format(i=i))
    fast = _scan(tmp_path, ctx, monkeypatch, slow=False)
    slow = _scan(tmp_path, ctx, monkeypatch, slow=True)
    assert fast == slow
    names = {f.object.name for f in slow.findings}
    assert {"anchored", "bom", "crlf", "cr", "directive", "j", "item", "plain39"} <= names
    assert slow.errors
