"""#13.5: every input accounted for. A broken document never hides the next one; a file named
explicitly that holds no Kubernetes object is an error; identities that are not strings are
errors naming the field; a target past the catalog's knowledge is warned about."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from kubecurrent.cli._app import _register, root
from kubecurrent.collect.files import Document, read_file
from kubecurrent.model.findings import ScanError

INPUTS = Path(__file__).resolve().parents[2] / "fixtures" / "scan" / "cases" / "inputs"


def run(*args: str) -> Result:
    _register()
    return CliRunner().invoke(root, ["scan", "files", *args])


def _json(result: Result) -> dict[str, Any]:
    return json.loads(result.stdout)  # type: ignore[no-any-return]


@pytest.mark.parametrize("fast", [False, True])
def test_a_broken_document_mid_file_hides_neither_of_the_next_two(fast: bool) -> None:
    from kubecurrent.analyze import body_fields

    items = list(
        read_file(INPUTS / "broken-middle.yaml", body_fields=body_fields if fast else None)
    )
    docs = [(i.name, i.line) for i in items if isinstance(i, Document)]
    assert docs == [("before", 1), ("first-after", 13), ("second-after", 20)]
    (error,) = [i for i in items if isinstance(i, ScanError)]
    assert error.line is not None and 6 <= error.line <= 12 and "not valid YAML" in error.message


def test_the_broken_document_is_an_error_and_the_next_ones_are_judged() -> None:
    result = run(str(INPUTS / "broken-middle.yaml"), "--target", "1.37", "-o", "json")
    data = _json(result)
    assert sorted(f["object"]["name"] for f in data["findings"]) == ["first-after", "second-after"]
    assert len(data["errors"]) == 1 and result.exit_code == 6  # findings and an unreadable input


PNG_HEAD = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01"
"""The start of a PNG image: a binary file (written by the test, not committed)."""


def _input(name: str, tmp_path: Path) -> Path:
    if name != "logo.png":
        return INPUTS / name
    path = tmp_path / name
    path.write_bytes(PNG_HEAD)
    return path


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("server.crt", "plain text"),
        ("notes.txt", "plain text"),
        ("list.json", "a list (JSON array)"),
        ("logo.png", "a binary file"),
    ],
)
def test_a_named_file_without_kubernetes_objects_is_an_error(
    name: str, says: str, tmp_path: Path
) -> None:
    result = run(str(_input(name, tmp_path)), "-o", "json")
    data = _json(result)
    (error,) = data["errors"]
    assert error["file"].endswith(name) and says in error["message"]
    assert result.exit_code == 1


def test_the_same_files_found_by_a_walk_are_skipped_silently(tmp_path: Path) -> None:
    walked = tmp_path / "walked"
    walked.mkdir()
    for name in ("server.crt", "notes.txt", "list.json", "logo.png"):
        (walked / name).write_bytes(_input(name, tmp_path).read_bytes())
    result = run(str(walked), "-o", "json")
    assert result.exit_code == 0 and _json(result)["errors"] == []


def test_names_and_namespaces_that_are_not_strings_are_errors_naming_the_field() -> None:
    result = run(str(INPUTS / "numeric-names.yaml"), "--target", "1.37", "-o", "json")
    data = _json(result)
    messages = sorted((e["line"], e["message"]) for e in data["errors"])
    assert messages == [
        (1, "ConfigMap metadata.name is 2024 (a number), not a string: quote it in the file"),
        (6, "ConfigMap metadata.namespace is 12 (a number), not a string: quote it in the file"),
    ]
    assert [f["object"]["name"] for f in data["findings"]] == ["still-read"]


def test_a_target_past_the_newest_release_known_is_warned_about() -> None:
    result = run(str(INPUTS / "broken-middle.yaml"), "--target", "1.99")
    assert "--target 1.99 is newer than" in result.stderr
    assert "facts stop at" in result.stderr
    quiet = run(str(INPUTS / "broken-middle.yaml"), "--target", "1.30")
    assert "is newer than" not in quiet.stderr


def test_directives_go_with_the_document_they_introduce(tmp_path: Path) -> None:
    f = tmp_path / "directives.yaml"
    f.write_text(
        "%YAML 1.1\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n...\n"
        "%YAML 1.1\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: b\n"
    )
    items = list(read_file(f))
    assert [(i.name, i.line) for i in items if isinstance(i, Document)] == [("a", 3), ("b", 10)]
    assert not [i for i in items if isinstance(i, ScanError)]


@pytest.mark.parametrize("empty", ["", "  "])
def test_an_empty_path_is_refused_not_taken_as_the_current_directory(
    empty: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``scan files "$UNSET"`` must not scan the current directory (``fix`` refuses it too)."""
    (tmp_path / "cron.yaml").write_text(
        "apiVersion: batch/v1beta1\nkind: CronJob\nmetadata:\n  name: old\n"
    )
    monkeypatch.chdir(tmp_path)
    result = run(str(tmp_path / "cron.yaml"), empty, "-o", "json")
    assert result.exit_code == 2, result.output
    assert "an empty path was given (an unset shell variable?)" in result.output
    assert "name the files or directories to scan" in result.output
    assert "CronJob" not in result.stdout
