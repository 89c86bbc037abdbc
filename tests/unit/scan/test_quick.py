"""The fast reader (identity-only objects) against the full parser: same objects, lines, errors
and findings on a generated corpus of every shape the fast path must recognise or hand over."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from kubecurrent.analyze import Context, body_fields, check_document
from kubecurrent.collect.files import Document, Skipped, read_file
from kubecurrent.collect.files._grammar import safe_document
from kubecurrent.model.findings import ScanError, to_data

PLAIN = [
    ("apps/v1", "Deployment"),
    ("v1", "ConfigMap"),
    ("batch/v1beta1", "CronJob"),
    ("extensions/v1beta1", "Ingress"),
    ("policy/v1beta1", "PodSecurityPolicy"),
    ("flowcontrol.apiserver.k8s.io/v1beta2", "FlowSchema"),
    ("cert-manager.io/v1alpha2", "Certificate"),
]


def _plain(rng: random.Random, i: int) -> str:
    api, kind = rng.choice(PLAIN)
    ns = rng.choice(["", "  namespace: team-a\n", '  namespace: "q-ns"\n', "  namespace: 'sq'\n"])
    return (
        f"# leading comment\napiVersion: {api}  # trailing\nkind: {kind}\nmetadata:\n"
        f"  name: obj-{i}\n{ns}  labels:\n    name: not-this-one\n"
        f'spec:\n  args: ["--x", \'y\', z]\n  empty: {{}}\n  script: |\n    echo "hi\n'
        f"    kind: NotAKind\n  - note\n"
    ).replace("  - note\n", "")


# Each is one document; {i} makes names unique. Some are fast-path, most are traps.
SHAPES = [
    "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: r{i}\n"
    'rules:\n- apiGroups: ["extensions", "policy"]\n  resources: ["podsecuritypolicies"]\n'
    '  verbs: ["use"]\n- apiGroups: ["extensions"]\n  resources: ["ingresses"]\n'
    '  verbs: ["get"]\n',
    "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n    name: deep{i}\n"
    "    namespace: ns\nrules: []\n",
    "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingWebhookConfiguration\n"
    "metadata:\n  name: w{i}\nwebhooks:\n- name: a.example.com\n  admissionReviewVersions: "
    '["v1beta1"]\n- name: b.example.com\n',
    "apiVersion: admissionregistration.k8s.io/v1beta1\nkind: MutatingWebhookConfiguration\n"
    "metadata: {{name: flow{i}}}\nwebhooks:\n- name: c.example.com\n",
    "apiVersion: batch/v1beta1\nkind: CronJob\nmetadata: &m\n  name: anchored{i}\n"
    "spec:\n  jobTemplate:\n    metadata:\n      <<: *m\n",
    "base: &b\n  apiVersion: extensions/v1beta1\n  kind: Ingress\n",
    "apiVersion: v1\nkind: List\nitems:\n- apiVersion: policy/v1beta1\n  kind: PodDisruptionBudget\n"
    "  metadata: {{name: item{i}}}\n- apiVersion: v1\n  kind: Secret\n",
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: text{i}\ndata:\n  note: "multi\n'
    'kind: Ingress\n  "\n',
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: flow{i}\ndata: [a,\nkind: Ingress]\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: when{i}\ndata:\n  at: 2024-02-30\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok-date{i}\ndata:\n  at: 2024-02-03\n",
    "apiVersion: v1\nkind: Secret\nmetadata:\n  name: 12345\n",
    "apiVersion: v1\nkind: Secret\nmetadata:\n  name: null\n",
    "apiVersion: v1\nkind: yes\nmetadata:\n  name: bool-kind{i}\n",
    "apiVersion: v1\nkind: Secret\nmetadata:\n  name: cont{i}\n    inued\n",
    "apiVersion: v1\nkind: Secret\nmetadata:\n  namespace: ~\n  name: null-ns{i}\n",
    "apiVersion: v1\nkind: Secret\nkind: Service\nmetadata:\n  name: dup{i}\n",
    "apiVersion: v1\nkind: !!str Service\nmetadata:\n  name: tagged{i}\n",
    '"kind": Service\napiVersion: v1\nmetadata:\n  name: quoted-key{i}\n',
    'apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata:\n  "name": qk{i}\n',
    "apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata:\n  name: x{i}\n  name: y{i}\n",
    "apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata:\n  name: tab{i}\nspec:\n\tx: 1\n",
    "apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata:\nspec: {{}}\n",
    "apiVersion: extensions/v1beta1\nkind: Ingress\n",
    "kind: Ingress\nmetadata:\n  name: no-api{i}\n",
    "- apiVersion: v1\n  kind: Pod\n",
    "just a scalar\n",
    "# only a comment\n",
    'apiVersion: "{{{{ .Values.api }}}}"\nkind: Deployment\n',
    "{{{{- if .Values.on }}}}\napiVersion: apps/v1\nkind: Deployment\n{{{{- end }}}}\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bad{i}\ndata: [unclosed\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: alias{i}\ndata: *nowhere\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: hex{i}\ndata:\n  n: 0x_\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cplx{i}\ndata:\n  ? [a]\n  : b\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ukey{i}\ndata:\n  [a]: b\n",
    "apiVersion: policy/v1beta1\nkind: PodSecurityPolicy\nmetadata:\n  name: 'it''s{i}'\n",
    'apiVersion: policy/v1beta1\nkind: PodSecurityPolicy\nmetadata:\n  name: "esc\\t{i}"\n',
    "apiVersion: policy/v1beta1\nkind: PodSecurityPolicy\nmetadata:\n  name: sys:psp:{i}\n",
    "apiVersion: v1 # c\nkind: ServiceList\nitems: []\n",
    "apiVersion: batch/v1beta1\nkind: CronJob\nmetadata:\n  name: folded{i}\n"
    "  annotations:\n    a: >\n      name: fake\n    b: |-\n      kind: Fake\n",
]


def _document(rng: random.Random, i: int) -> str:
    if rng.random() < 0.3:
        return _plain(rng, i)
    return rng.choice(SHAPES).format(i=i)


def _write_corpus(root: Path, files: int, seed: int) -> None:
    rng = random.Random(seed)  # noqa: S311 - a reproducible corpus
    for f in range(files):
        docs = [_document(rng, f * 100 + k) for k in range(rng.randint(1, 6))]
        sep = rng.choice(["---\n", "--- # next\n", "---\n\n"])
        text = ("---\n" if rng.random() < 0.3 else "") + sep.join(docs)
        if rng.random() < 0.05:
            text += "---\n...\n"
        if rng.random() < 0.05:
            text = text.replace("---\n", "--- !!map\n", 1)
        raw = text.encode()
        if rng.random() < 0.2:
            raw = raw.replace(b"\n", b"\r\n")
        if rng.random() < 0.05:
            raw = b"\xef\xbb\xbf" + raw
        (root / f"f{f}.yaml").write_bytes(raw)
    for j in range(5):
        obj = {"apiVersion": "extensions/v1beta1", "kind": "Ingress", "metadata": {"name": j}}
        (root / f"j{j}.json").write_text(json.dumps(obj, indent=rng.choice([None, 2])))


def _identity(item: Document | ScanError | Skipped) -> tuple[object, ...]:
    if isinstance(item, ScanError):
        return ("error", item.file, item.line, item.message)
    if isinstance(item, Skipped):
        return ("skipped", item.file, item.line, item.reason)
    return ("doc", item.file, item.line, item.api_version, item.kind, item.name, item.namespace)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    root = tmp_path_factory.mktemp("corpus")
    _write_corpus(root, 400, seed=7)
    return sorted(root.iterdir())


def test_fast_reader_gives_the_same_objects_lines_and_errors(corpus: list[Path]) -> None:
    for path in corpus:
        full = [_identity(i) for i in read_file(path)]
        fast = [_identity(i) for i in read_file(path, body_fields=body_fields)]
        assert fast == full, path.read_bytes().decode("utf-8", "replace")


def test_fast_reader_gives_the_same_findings(corpus: list[Path], ctx: Context) -> None:
    rules: set[str] = set()
    fast_docs = 0
    for path in corpus:
        full = [_findings(i, ctx) for i in read_file(path)]
        fast_items = list(read_file(path, body_fields=body_fields))
        fast_docs += sum(1 for i in fast_items if isinstance(i, Document) and not i.complete)
        assert [_findings(i, ctx) for i in fast_items] == full, path
        rules.update(str(f.get("rule")) for group in full for f in group)
    assert {
        "KC-API-REMOVED",
        "KC-PSP",
        "KC-RBAC-REMOVED-API",
        "KC-WEBHOOK-ADMISSIONREVIEW",
    } <= rules
    # > 250: a file with an error (a name that is not a string, too) goes to the full reader
    assert fast_docs > 250, "the corpus should exercise the fast path, not only the fallback"


def _findings(item: Document | ScanError | Skipped, ctx: Context) -> list[dict[str, object]]:
    if isinstance(item, ScanError):
        return [to_data(item, nones=True)]
    if isinstance(item, Skipped):
        return [{"skipped": item.reason.value, "line": item.line}]
    return [to_data(f, nones=True) for f in check_document(item, ctx)]


def test_fast_objects_hold_identity_and_only_the_fields_rules_read(tmp_path: Path) -> None:
    f = tmp_path / "m.yaml"
    f.write_text(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: r\n"
        "  labels:\n    a: b\nrules:\n- apiGroups: ['']\n  resources: [pods]\n"
        "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: ns\n"
        "data:\n  k: v\n"
    )
    role, cm = read_file(f, body_fields=body_fields)
    assert isinstance(role, Document) and isinstance(cm, Document)
    assert role.data == {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": {"name": "r"},
        "rules": [{"apiGroups": [""], "resources": ["pods"]}],
    }
    assert cm.data == {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "c", "namespace": "ns"},
    }
    assert (role.complete, cm.complete, cm.line) == (False, False, 11)
    assert next(iter(read_file(f))).complete


def test_a_value_that_does_not_convert_is_an_error_not_a_crash(tmp_path: Path) -> None:
    f = tmp_path / "d.yaml"
    f.write_text(
        "apiVersion: v1\nkind: A\ndata:\n  at: !!timestamp 2024-02-30\n---\napiVersion: v1\nkind: B\n"
    )
    items = list(read_file(f))
    assert isinstance(items[0], ScanError) and items[0].line == 1
    assert "day is out of range" in items[0].message
    assert [i.kind for i in items if isinstance(i, Document)] == ["B"]


@pytest.mark.parametrize(
    "text",
    [
        'a: "closed" # c\nb: [x, "y", \'z\']\nc: {}\nd: |\n  text: with "quote\n- e: f\n',
        "a:\n- --flag=1\n-\n  b: 2024 is a year\n",
    ],
)
def test_the_grammar_accepts_plain_block_yaml(text: str) -> None:
    assert safe_document().fullmatch(text.encode())


@pytest.mark.parametrize(
    "text",
    [
        'a: "open\n  b"\n',  # a quote spanning lines
        "a: [x,\n  y]\n",  # a flow collection spanning lines
        "a: {b: c}\n",  # a flow mapping
        "a: &anchor x\n",
        "a: *alias\n",
        "a: !!str x\n",
        "<<: {}\n",
        "? a\n: b\n",
        "[a]: b\n",
        "a: 2024-02-30\n",
        "a: 0x_\n",
        "a: 'it''s\n",
    ],
)
def test_the_grammar_refuses_what_could_span_lines_or_fail_to_build(text: str) -> None:
    assert not safe_document().fullmatch(text.encode())
