"""The rapidyaml tier of the fast reader against the full reader (libyaml): the same objects,
lines, skips and errors on what rapidyaml reads alike, on what it reads differently (each input
below was measured: rapidyaml accepts it, libyaml refuses it), on the test fixtures, and on
seeded random mutations of realistic manifests."""

from __future__ import annotations

import io
import random
from pathlib import Path

import pytest

from kubecurrent.analyze import body_fields
from kubecurrent.collect.files import BodyFields, Document, Skipped, read_file, read_stream
from kubecurrent.collect.files._quick import _documents, quick_items
from kubecurrent.collect.files._rapid import _CONTENT, _at_once, _file_json, rapid_items
from kubecurrent.collect.files._read import _read_one
from kubecurrent.model.findings import EvidenceSource, ScanError

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
Item = Document | ScanError | Skipped

DEPLOYMENT = (
    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\n"
    "  labels:\n    app: web\nspec:\n  replicas: 2\n  template:\n    spec:\n"
    '      containers:\n      - name: c\n        image: nginx:1.2\n        args: ["--a", b]\n'
    '        env:\n        - name: X\n          value: "1"\n'
)
CONFIG_MAP = (
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  a.conf: |\n"
    "    key = value\n    other: thing\n  b: 'quoted'\n  empty: {}\n"
)
ROLE = (
    "apiVersion: rbac.authorization.k8s.io/v1beta1\nkind: Role\nmetadata:\n  name: r\n"
    'rules:\n- apiGroups: [""]\n  resources: [pods]\n  verbs: [get, list]\n'
)
CRON = (
    "apiVersion: batch/v1beta1\nkind: CronJob\nmetadata: {name: cj, namespace: x}\n"
    'spec:\n  schedule: "*/5 * * * *"\n'
)
MANIFESTS = [DEPLOYMENT, CONFIG_MAP, ROLE, CRON]

# Each: rapidyaml parses it and libyaml refuses it (or builds something else), measured.
LENIENT = {
    "at-sign": "a: @x\n",
    "backtick": "a: `x\n",
    "control": "a: b\x01c\n",
    "long-key": "k" * 1100 + ": v\n",
    "alias-to-nothing": "a: *x\n",
    "alias-quote": 'a: *"x\n',
    "alias-dots": "a: *.example.com\n",
    "alias-in-flow": "a: [*x]\n",
    "tag": "a: !x y\n",
    "anchor-empty": "a: & y\n",
    "empty-key": ": x\n",
    "empty-key-in-entry": "- : x\n",
    "empty-key-nested": "a:\n  : x\n",
    "empty-key-flow": "a: [: x]\n",
    "empty-key-flow-map": "a: {a: b, : x}\n",
    "colon-word-in-flow": "a: [:x]\n",
    "nel": "a: b\x85c\n",
    "closing-bracket-key": "data:\n  ]a.conf: x\n",
    "percent-in-flow": "a: [%get, list]\n",
    "flow-key-over-lines": "metadata: {name: cj, names\n  pace: x}\n",
    "colon-before-brace": "metadata: {name: cj, namespace:}\n",
    "question-in-flow": "metadata: {name: ?cj, namespace: x}\n",
    "block-header": "data:\n  a: |1.0\n    x\n",
    "unbuildable-hex": "data:\n  n: 0x_\n",
    "unbuildable-float": "data:\n  n: ._\n",
    "escape": 'metadata:\n  name: "job\\u0001"\n',
    "document-end": "a: 1\n...\nb: 2\n",
}


def _identity(item: Item) -> tuple[object, ...]:
    if isinstance(item, ScanError):
        return ("error", item.line, item.message)
    if isinstance(item, Skipped):
        return ("skipped", item.line, item.reason)
    rules = item.data.get("rules") if item.kind in ("Role", "ClusterRole") else None
    return ("doc", item.line, item.api_version, item.kind, item.name, item.namespace, rules)


def _both(data: bytes) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]] | None]:
    """The full reader's items and the fast reader's (None: it handed the whole file over)."""
    full = [_identity(i) for i in read_stream(io.BytesIO(data), "f", EvidenceSource.MANIFEST)]
    fast = quick_items(data, "f", EvidenceSource.MANIFEST, body_fields, _read_one)
    return full, None if fast is None else [_identity(i) for i in fast]


def _rapid(data: bytes) -> list[Item] | None:
    """What the rapid tier alone makes of a one-document file."""
    text = b"\n" + data
    return rapid_items(text, [(text, 0)], "f", EvidenceSource.MANIFEST, body_fields, _read_one)


@pytest.mark.parametrize("name", sorted(LENIENT))
def test_what_rapidyaml_reads_differently_goes_to_the_full_reader(name: str) -> None:
    for manifest in (CONFIG_MAP, DEPLOYMENT):
        data = (manifest + LENIENT[name]).encode()
        full, fast = _both(data)
        assert fast is None or fast == full, data
        assert _rapid(data) is None, data


def test_plain_manifests_take_the_rapid_tier_with_identity_only() -> None:
    items = _rapid(DEPLOYMENT.encode())
    assert items is not None
    (doc,) = items
    assert isinstance(doc, Document) and not doc.complete
    assert doc.data == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop"},
    }
    role = _rapid(ROLE.encode())
    assert role is not None and isinstance(role[0], Document)
    assert role[0].data["rules"] == [
        {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}
    ]


@pytest.mark.parametrize(
    "document",
    [
        "apiVersion: v1\nkind: yes\nmetadata:\n  name: typed\n",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: 12345\n",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: ~\n",
        "apiVersion: v1\nkind: Secret\nkind: Service\nmetadata:\n  name: twice\n",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  na cfg\n",
        "apiVersion: v1\nkind: Secret\nmetadata: [a]\n",
        "apiVersion: v1\nkind: ServiceList\nitems:\n- apiVersion: v1\n  kind: Service\n",
        "- apiVersion: v1\n  kind: Secret\n",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: |\n    block\n",
        "kind: Secret\nmetadata:\n  name: no-api\n",
    ],
)
def test_documents_it_cannot_vouch_for_are_read_in_full(document: str) -> None:
    data = ("# lead\n" + CRON + "---\n" + document).encode()
    full, fast = _both(data)
    assert fast is None or fast == full  # None: an error, which the full reader reports
    assert _rapid_used(data), "the rapid tier reads the file, this document in full"


def test_the_fixtures_read_the_same(tmp_path: Path) -> None:
    files = sorted(FIXTURES.rglob("*.yaml")) + sorted(FIXTURES.rglob("*.yml"))
    assert len(files) > 50
    for path in files:
        full = [_identity(i) for i in read_file(path)]
        fast = [_identity(i) for i in read_file(path, body_fields=body_fields)]
        assert fast == full, path


def test_seeded_mutations_of_manifests_read_the_same() -> None:
    rng = random.Random(14)  # noqa: S311 - reproducible mutations, not a secret
    pieces = [*":-[]{},#&*!|>'\"%@` \n?.0x_~\t\\<", "  ", "\n  ", ": ", "- ", "---\n", "yes"]
    rapid = compared = 0
    for _ in range(1500):
        text = "---\n".join(rng.sample(MANIFESTS, rng.randint(1, 3)))
        for _ in range(rng.randint(1, 3)):
            at, op = rng.randrange(len(text) + 1), rng.random()
            if op < 0.4:
                text = text[:at] + rng.choice(pieces) + text[at:]
            elif op < 0.7:
                text = text[:at] + text[at + rng.randint(1, 3) :]
            else:
                src = rng.randrange(len(text) + 1)
                text = text[:at] + text[src : src + rng.randint(1, 8)] + text[at:]
        full, fast = _both(text.encode())
        if fast is not None:
            compared += 1
            assert fast == full, text
        rapid += _rapid_used(text.encode())
    assert compared > 500 and rapid > 400, (compared, rapid)


def _rapid_used(data: bytes) -> int:
    text = b"\n" + data
    cut = [(t, line) for t, line in _documents(text) if t is not None]
    used = rapid_items(text, cut, "f", EvidenceSource.MANIFEST, body_fields, _read_one)
    return int(used is not None)


def test_rapidyaml_parse_errors_do_not_reach_standard_error(
    capfd: pytest.CaptureFixture[str],
) -> None:
    assert _rapid(b"apiVersion: v1\nkind: Secret\nmetadata: {a: b: c}\n") is None
    assert capfd.readouterr().err == ""


def _at_once_taken(data: bytes) -> bool:
    """Whether the rapid tier read ``data`` with one decode of the whole file."""
    text = b"\n" + data
    cut = [(t, line) for t, line in _documents(text) if t is not None]
    emitted = _file_json(text)
    assert emitted is not None
    content = [_CONTENT.search(t) is not None for t, _ in cut]
    return _at_once(*emitted, content) is not None


NO_IDENTITY = "tool: config\nrules: [a]\n"
TWICE = "apiVersion: v1\nkind: Secret\nkind: Service\nmetadata:\n  name: twice\n"


@pytest.mark.parametrize(
    ("stream", "at_once"),
    [
        ([DEPLOYMENT, CONFIG_MAP, CRON], True),
        ([DEPLOYMENT, "", CONFIG_MAP, "# only a comment\n"], True),
        ([CONFIG_MAP, NO_IDENTITY, DEPLOYMENT], True),
        ([CONFIG_MAP, "~\n", DEPLOYMENT], False),  # rapidyaml's JSON has "~": not a mapping
        # an identity key twice in one document, missing in another: the counts tell
        ([TWICE, NO_IDENTITY], False),
        (["kind: Secret\nkind: Service\n", "apiVersion: v1\n"], False),
        # one decode for the file; the Role's rules, and the List, read from their own JSON
        ([DEPLOYMENT, ROLE], True),
        ([ROLE, CONFIG_MAP, ROLE, "", CRON], True),
        ([CONFIG_MAP, "apiVersion: v1\nkind: ServiceList\nitems: []\n"], True),
        ([CONFIG_MAP, "- a\n- b\n"], False),  # not a mapping
        ([CONFIG_MAP, "apiVersion: v1\nkind: Secret\nmetadata: [a]\n"], False),
    ],
)
def test_a_whole_file_is_decoded_at_once_only_where_it_reads_the_same(
    stream: list[str], at_once: bool
) -> None:
    data = "---\n".join(stream).encode()
    assert _rapid_used(data)
    assert _at_once_taken(data) is at_once
    full, fast = _both(data)
    assert fast is None or fast == full, data


def test_what_is_kept_per_kind_reads_as_a_fresh_look_would() -> None:
    """Whether a kind is read from its identity alone is kept per (apiVersion, kind, what the
    rules read): a second file, or other rules, get what a first look gives them."""
    text = (
        b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\n"
        b"apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: r\n"
        b"rules: []\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n"
        b"  namespace: team\n"
    )

    def read(fields: BodyFields) -> list[tuple[str, int, dict[str, object]]]:
        items = quick_items(text, "f.yaml", EvidenceSource.MANIFEST, fields, _read_one) or []
        return [(type(i).__name__, i.line, getattr(i, "data", {})) for i in items]

    first = read(body_fields)
    assert read(body_fields) == first
    assert [data for _, _, data in first][1]["rules"] == []  # the rules read a Role's rules
    wants_data: BodyFields = lambda api, kind: ("data",) if kind == "ConfigMap" else ()  # noqa: E731
    other = read(wants_data)
    assert [data.get("rules") for _, _, data in other] == [None, None, None]
    assert [line for _, line, _ in other] == [line for _, line, _ in first] == [1, 6, 12]
    assert other[2][2]["metadata"] == {"name": "b", "namespace": "team"}
