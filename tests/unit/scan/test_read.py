"""Reading manifests: every input shape, and bad input reported without stopping the scan."""

from __future__ import annotations

import io
from pathlib import Path

from kubecurrent.collect.files import TEMPLATE_HINT, Document, discover, read_file, read_stream
from kubecurrent.model.findings import EvidenceSource, ScanError


def _docs(items: list[Document | ScanError]) -> list[Document]:
    return [i for i in items if isinstance(i, Document)]


def test_multi_document_yaml_gives_each_document_with_its_start_line(tmp_path: Path) -> None:
    f = tmp_path / "a.yaml"
    f.write_text(
        "apiVersion: v1\nkind: ConfigMap\n---\n# c\napiVersion: batch/v1beta1\nkind: CronJob\n"
    )
    docs = _docs(list(read_file(f)))
    assert [(d.kind, d.line) for d in docs] == [("ConfigMap", 1), ("CronJob", 5)]


def test_list_kinds_are_expanded_with_item_lines(tmp_path: Path) -> None:
    f = tmp_path / "l.yaml"
    f.write_text(
        "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Secret\n"
        "- apiVersion: policy/v1beta1\n  kind: PodDisruptionBudget\n"
    )
    assert [(d.kind, d.line) for d in _docs(list(read_file(f)))] == [
        ("Secret", 4),
        ("PodDisruptionBudget", 6),
    ]


def test_anchors_and_merge_keys_are_resolved(tmp_path: Path) -> None:
    f = tmp_path / "a.yaml"
    f.write_text(
        "apiVersion: batch/v1beta1\nkind: CronJob\nmetadata: &m\n  name: x\n"
        "spec:\n  jobTemplate:\n    metadata:\n      <<: *m\n      labels: {a: b}\n"
    )
    (doc,) = _docs(list(read_file(f)))
    assert doc.data["spec"]["jobTemplate"]["metadata"] == {"name": "x", "labels": {"a": "b"}}


def test_bom_and_crlf_are_read(tmp_path: Path) -> None:
    f = tmp_path / "w.yaml"
    f.write_bytes(b"\xef\xbb\xbfapiVersion: v1\r\nkind: Service\r\nmetadata:\r\n  name: s\r\n")
    (doc,) = _docs(list(read_file(f)))
    assert (doc.api_version, doc.name) == ("v1", "s")


def test_json_files_are_read(tmp_path: Path) -> None:
    f = tmp_path / "o.json"
    f.write_text(
        '{"apiVersion": "extensions/v1beta1", "kind": "Ingress", "metadata": {"name": "i"}}'
    )
    (doc,) = _docs(list(read_file(f)))
    assert (doc.kind, doc.line) == ("Ingress", 1)


def test_stdin_stream_is_read() -> None:
    stream = io.BytesIO(b"apiVersion: v1\nkind: Pod\n---\napiVersion: v1\nkind: Pod\n")
    docs = _docs(list(read_stream(stream, "-", EvidenceSource.MANIFEST)))
    assert [d.file for d in docs] == ["-", "-"]


def test_unparseable_document_reports_line_and_reading_resumes(tmp_path: Path) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text(
        "apiVersion: v1\nkind: A\n---\nkey: [unclosed\nmore: x\n---\napiVersion: v1\nkind: B\n"
    )
    items = list(read_file(f))
    errors = [i for i in items if isinstance(i, ScanError)]
    assert [d.kind for d in _docs(items)] == ["A", "B"]
    assert len(errors) == 1 and errors[0].line is not None and 4 <= errors[0].line <= 6
    assert "not valid YAML" in errors[0].message


def test_unrendered_helm_template_is_reported_as_such(tmp_path: Path) -> None:
    f = tmp_path / "deploy.yaml"
    f.write_text("{{- if .Values.on }}\napiVersion: apps/v1\nkind: Deployment\n{{- end }}\n")
    g = tmp_path / "quoted.yaml"
    g.write_text('apiVersion: "{{ .Values.api }}"\nkind: Deployment\n')
    for path in (f, g):
        (err,) = [i for i in read_file(path) if isinstance(i, ScanError)]
        assert err.message == TEMPLATE_HINT


def test_binary_files_are_skipped_and_missing_paths_reported(tmp_path: Path) -> None:
    (tmp_path / "blob.yaml").write_bytes(b"\x00\x01\x02apiVersion: v1")
    (tmp_path / "ok.yml").write_text("apiVersion: v1\nkind: A\n")
    found = list(discover([str(tmp_path), str(tmp_path / "nope")]))
    assert [(getattr(i, "kind", None), getattr(i, "path", None)) for i in found[:2]] == [
        ("binary", tmp_path / "blob.yaml"),  # skipped and counted, not read
        ("file", tmp_path / "ok.yml"),
    ]
    assert isinstance(found[2], ScanError) and "no such file" in found[2].message


def test_symlink_loops_end(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "x.yaml").write_text("apiVersion: v1\nkind: A\n")
    (tmp_path / "d" / "loop").symlink_to(tmp_path)
    found = list(discover([str(tmp_path)]))
    assert [i.path.name for i in found if not isinstance(i, ScanError)] == ["x.yaml"]


def test_charts_and_overlays_are_recognised(tmp_path: Path) -> None:
    from tests.unit.scan.conftest import REPO

    kinds = {(i.kind, i.path.name) for i in discover([str(REPO)]) if not isinstance(i, ScanError)}
    assert ("chart", "chart") in kinds
    assert {("kustomize", "base"), ("kustomize", "prod")} <= kinds
    assert ("file", "cronjob.yaml") not in kinds  # chart templates are rendered, not read


def test_a_large_file_streams_in_bounded_memory(tmp_path: Path) -> None:
    import resource

    f = tmp_path / "big.yaml"
    doc = (
        b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  k: "
        + b"x" * 2000
        + b"\n---\n"
    )
    with f.open("wb") as fh:
        for _ in range(100 * 1024 * 1024 // len(doc) + 1):
            fh.write(doc)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    count = sum(1 for i in read_file(f) if isinstance(i, Document))
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert count > 50_000
    assert grown_mib < 60, f"peak RSS grew by {grown_mib:.0f} MiB for a 100 MiB file"


def test_the_sniff_reads_the_first_kilobytes_only(tmp_path: Path) -> None:
    from kubecurrent.collect.files._walk import SNIFF_BYTES, is_binary

    late = tmp_path / "late.yaml"
    late.write_bytes(b"a: b\n" * (SNIFF_BYTES // 5 + 1) + b"\x00")  # a NUL past the sniff
    early = tmp_path / "early.yaml"
    early.write_bytes(b"a: b\n" * (SNIFF_BYTES // 5 - 1) + b"\x00")
    utf16 = tmp_path / "utf16.yaml"
    utf16.write_bytes("apiVersion: v1\nkind: A\n".encode("utf-16"))
    unreadable = tmp_path / "gone.yaml"
    assert [is_binary(p) for p in (late, early, utf16, unreadable)] == [False, True, False, True]


def test_the_sniff_gathers_short_reads(tmp_path: Path) -> None:
    """A read may return fewer bytes than asked (a pipe between two writes): the sniff reads on
    until it has its kilobytes or the end."""
    import os
    import threading
    import time

    from kubecurrent.collect.files._walk import _read_upto

    reader, writer = os.pipe()

    def write() -> None:
        os.write(writer, b"x" * 100)
        time.sleep(0.1)
        os.write(writer, b"y" * 100 + b"\x00")
        os.close(writer)

    thread = threading.Thread(target=write)
    thread.start()
    try:
        assert _read_upto(reader, 150) == b"x" * 100 + b"y" * 50
        assert _read_upto(reader, 150) == b"y" * 50 + b"\x00"
        assert _read_upto(reader, 150) == b""
    finally:
        thread.join()
        os.close(reader)


def test_files_over_the_fast_path_limit_are_read_document_by_document(tmp_path: Path) -> None:
    from kubecurrent.collect.files import _read

    small = tmp_path / "small.yaml"
    small.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n")
    assert _read._small_file(small) == small.read_bytes()
    big = tmp_path / "big.yaml"
    body = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\ndata:\n"
    lines = _read.QUICK_MAX_BYTES // 19 + 1  # 19 bytes a line
    big.write_text(body + "".join(f"  k{n:08}: value\n" for n in range(lines)))
    assert big.stat().st_size > _read.QUICK_MAX_BYTES
    assert _read._small_file(big) is None
    docs = _docs(list(read_file(big, body_fields=lambda api, kind: ())))
    assert [(d.kind, d.name, d.line, d.complete) for d in docs] == [("ConfigMap", "b", 1, True)]
    gone = list(read_file(tmp_path / "gone.yaml", body_fields=lambda api, kind: ()))
    assert [type(i) for i in gone] == [ScanError]
    assert "cannot read file: No such file or directory" in gone[0].message
