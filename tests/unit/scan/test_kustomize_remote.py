"""#21 and #18: an overlay naming remote bases or resources never blocks a scan. By default
(``--kustomize-remote skip``) nothing is fetched: the overlay is skipped with a note naming the
URL and the flag, its own files are still read, and the exit code is unaffected. With
``fetch`` kustomize fetches them within ``--kustomize-timeout``; a failure is an error naming
the overlay and the URL. Built with the real kustomize (and the real git it runs); the dead
remote of the timeout test is a real socket on loopback that accepts and never answers."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from kubecurrent.cli._app import _register, root
from kubecurrent.cli._exit import ExitCode
from kubecurrent.collect.files import Input, discover
from kubecurrent.collect.files._remote import is_remote

CASE = Path(__file__).resolve().parents[2] / "fixtures" / "scan" / "cases" / "kustomize-remote"
INVALID = "https://example.invalid/x"
GITHUB = "github.com/kubernetes-sigs/kustomize//examples/helloWorld?ref=v3.3.1"
SSH = "ssh://git@git.example.invalid/platform/manifests.git//base?ref=v1"
PROMPT = 30.0
"""Seconds within which a scan of overlays with unreachable remotes must end."""


def run(*args: str) -> Result:
    _register()
    return CliRunner().invoke(root, ["scan", "files", *args, "--target", "1.37"])


def timed_json(*args: str) -> tuple[Result, dict[str, Any], float]:
    start = time.monotonic()
    result = run(*args, "-o", "json")
    return result, json.loads(result.stdout), time.monotonic() - start


@pytest.mark.parametrize(
    ("ref", "remote"),
    [
        (INVALID, True),
        (GITHUB, True),
        (SSH, True),
        ("git@github.com:org/repo.git//deploy", True),
        ("git::https://git.example.com/org/repo", True),
        ("gh:org/repo//deploy?ref=main", True),
        ("https://dev.azure.com/org/project/_git/repo//base", True),
        ("gitlab.example.com/team/manifests//base?ref=v2", True),  # host/org/repo, not on disk
        ("../base", False),
        ("service.yaml", False),
        ("file:///srv/manifests", False),  # a local clone: no network
        ("name: inline\nurl: https://example.com/\n", False),  # an inline generator config
    ],
)
def test_remote_references_are_recognised_as_kustomize_reads_them(ref: str, remote: bool) -> None:
    assert is_remote(ref, CASE / "local") is remote


def test_a_local_path_that_looks_like_a_host_stays_local(tmp_path: Path) -> None:
    (tmp_path / "manifests.example.com" / "team" / "app").mkdir(parents=True)
    assert not is_remote("manifests.example.com/team/app", tmp_path)
    assert is_remote("manifests.example.com/team/app", tmp_path / "elsewhere")


def test_the_walk_names_the_remotes_of_an_overlay_and_of_its_local_bases() -> None:
    overlays = {
        i.path.relative_to(CASE).as_posix(): i.remote
        for i in discover([str(CASE)])
        if isinstance(i, Input) and i.kind == "kustomize"
    }
    assert overlays == {
        "github": (GITHUB,),
        "local": (),
        "nested/base": (SSH,),
        "nested/overlay": (SSH,),  # through ../base
        "unreachable": (INVALID,),
    }


def test_by_default_remote_overlays_are_skipped_promptly_with_a_note_naming_the_url() -> None:
    result, data, seconds = timed_json(str(CASE))
    assert seconds < PROMPT
    assert result.exit_code == ExitCode.OK, result.output
    assert data["errors"] == []
    assert data["skipped"] == {"kustomize-remote": 4}
    assert data["summary"]["overlays"] == {"rendered": 1, "skipped": 4, "failed": 0}
    notes = [ln for ln in run(str(CASE)).stderr.splitlines() if ln.startswith("note: ")]
    for where, url in [("unreachable", INVALID), ("github", GITHUB), ("nested/overlay", SSH)]:
        note = next(n for n in notes if n.startswith(f"note: {where}: "))
        assert url in note and "--kustomize-remote fetch" in note


def test_a_skipped_overlay_still_has_its_own_files_read() -> None:
    _result, data, _seconds = timed_json(str(CASE / "unreachable"))
    assert data["summary"]["objects"] == 1  # service.yaml, read as it is
    assert data["summary"]["documents"] == {"read": 1, "skipped": 0, "failed": 0}


def test_a_finding_in_a_skipped_overlays_own_file_still_counts(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text(f"resources:\n  - {GITHUB}\n  - job.yaml\n")
    job = (CASE / "nested" / "base" / "job.yaml").read_text()
    (tmp_path / "job.yaml").write_text(job.replace("batch/v1\n", "batch/v1beta1\n"))
    result, data, _seconds = timed_json(str(tmp_path))
    assert data["skipped"] == {"kustomize-remote": 1}
    assert [f["object"]["kind"] for f in data["findings"]] == ["CronJob"]
    assert result.exit_code == ExitCode.REMOVED


def test_fetch_fails_promptly_with_an_error_naming_the_overlay_and_the_url() -> None:
    result, data, seconds = timed_json(
        str(CASE / "unreachable"), str(CASE / "github"), "--kustomize-remote", "fetch"
    )
    assert seconds < PROMPT
    assert result.exit_code == ExitCode.ERROR
    errors = {Path(e["file"]).name: e["message"] for e in data["errors"]}
    assert set(errors) == {"unreachable", "github"}
    assert INVALID in errors["unreachable"] and GITHUB in errors["github"]
    assert all("--kustomize-remote skip" in m for m in errors.values())
    assert "kustomize failed" in errors["github"]  # kustomize's own message is kept


@pytest.fixture
def silent_remote() -> Iterator[str]:
    """A server on loopback that accepts connections and never answers: a dead remote."""
    server = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/manifests/all.yaml"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def test_fetch_from_a_remote_that_never_answers_stops_at_the_timeout(
    tmp_path: Path, silent_remote: str
) -> None:
    (tmp_path / "kustomization.yaml").write_text(f"resources:\n  - {silent_remote}\n")
    args = ("--kustomize-remote", "fetch", "--kustomize-timeout", "3")
    result, data, seconds = timed_json(str(tmp_path), *args)
    assert seconds < PROMPT
    assert result.exit_code == ExitCode.ERROR
    [error] = data["errors"]
    assert silent_remote in error["message"]
    assert "did not finish within 3s" in error["message"]
    skipped, quick, _seconds = timed_json(str(tmp_path))  # the default never connects
    assert quick["skipped"] == {"kustomize-remote": 1} and skipped.exit_code == ExitCode.OK


def test_an_overlay_with_only_local_resources_is_built_whatever_the_flag_says() -> None:
    for mode in ("skip", "fetch"):
        _result, data, _seconds = timed_json(str(CASE / "local"), "--kustomize-remote", mode)
        assert data["summary"]["overlays"] == {"rendered": 1, "skipped": 0, "failed": 0}
        assert data["summary"]["objects"] == 1


def test_the_documented_defaults_are_the_ones_in_force() -> None:
    from kubecurrent.cli.scan import files

    doc = (Path(__file__).resolve().parents[3] / "docs" / "file-scan.md").read_text()
    params = {p.name: p for p in files.params}
    assert params["kustomize_remote"].default == "skip"
    assert "`skip` (**the default**)" in doc
    assert f"(default {params['kustomize_timeout'].default:g};" in doc
