"""A scan never waits on a file and never drops one without a word.

A directory given to ``scan files`` (an unpacked artifact, a CI cache, a mounted volume) may hold
things with a manifest's name that are not regular files: a FIFO, which a read waits on until
something writes to it; a socket; a symbolic link to nothing (common in git checkouts). Before,
the walk dropped them silently; an overlay naming a FIFO made kustomize wait until its 120 s
timeout; a FIFO named on the command line was "no such file or directory". A file holding
binary data was dropped without being counted. Now each is skipped and counted with a reason,
the special ones with a note; an overlay whose build would read one is not built (its own files
are read); the scan ends at once. Overlays are built with the real kustomize.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from kubecurrent.cli._app import _register, root

pytestmark = pytest.mark.unit

CRON = "apiVersion: batch/v1beta1\nkind: CronJob\nmetadata:\n  name: {name}\n"


def run(*args: str) -> Result:
    _register()
    return CliRunner().invoke(root, ["scan", "files", "--target", "1.37", *args])


def scan_json(*args: str) -> dict[str, Any]:
    return json.loads(run("-o", "json", *args).stdout)  # type: ignore[no-any-return]


def names(data: dict[str, Any]) -> set[str]:
    return {f["object"]["name"] for f in data["findings"]}


@pytest.fixture
def odd(tmp_path: Path) -> Iterator[Path]:
    """A directory holding one readable manifest and every odd thing with a manifest's name."""
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "ok.yaml").write_text(CRON.format(name="ok"))
    os.mkfifo(repo / "pipe.yaml")
    (repo / "dangling.yaml").symlink_to(tmp_path / "gone.yaml")
    (repo / "blob.yaml").write_bytes(b"\x00\x01\x02" + CRON.format(name="blob").encode())
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(repo / "sock.json"))
    try:
        yield repo
    finally:
        sock.close()


def test_special_files_and_binary_files_are_skipped_and_counted_never_dropped(odd: Path) -> None:
    data = scan_json(str(odd))
    assert names(data) == {"ok"}
    assert data["skipped"] == {"binary": 1, "not-a-file": 3}
    assert data["summary"]["files"] == {"read": 1, "skipped": 4, "failed": 0}
    assert data["errors"] == []


def test_the_notes_say_what_each_special_file_is(odd: Path) -> None:
    said = run(str(odd)).stderr
    assert "pipe.yaml: not a regular file but a FIFO (a named pipe)" in said
    assert "sock.json: not a regular file but a socket" in said
    assert f"dangling.yaml: a symbolic link to nothing ({odd.parent / 'gone.yaml'})" in said
    assert "blob.yaml" not in said  # binary files are counted, as other non-manifests are


def test_a_special_file_named_on_the_command_line_is_an_error_saying_what_it_is(
    odd: Path,
) -> None:
    result = run("-o", "json", str(odd / "pipe.yaml"), str(odd / "dangling.yaml"))
    errors = {Path(e["file"]).name: e["message"] for e in json.loads(result.stdout)["errors"]}
    assert errors == {
        "pipe.yaml": "not a regular file but a FIFO (a named pipe): name manifest files or a "
        "directory",
        "dangling.yaml": f"a symbolic link to nothing ({odd.parent / 'gone.yaml'}): name "
        "manifest files or a directory",
    }
    assert result.exit_code == 1


def test_an_overlay_naming_a_fifo_is_not_built_its_own_files_are_read(tmp_path: Path) -> None:
    """In a fresh process with a deadline well under kustomize's 120 s timeout: the old walk
    handed the overlay to kustomize, which waited on the FIFO."""
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    (overlay / "cron.yaml").write_text(CRON.format(name="in-overlay"))
    os.mkfifo(overlay / "feed.yaml")
    (overlay / "kustomization.yaml").write_text("resources:\n- cron.yaml\n- feed.yaml\n")
    command = [sys.executable, "-m", "kubecurrent", "scan", "files", "--target", "1.37"]
    done = subprocess.run(
        [*command, "-o", "json", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    data = json.loads(done.stdout)
    assert names(data) == {"in-overlay"}  # read as a plain file
    assert data["skipped"] == {"not-a-file": 2}  # the overlay and the FIFO itself
    assert data["summary"]["overlays"] == {"rendered": 0, "skipped": 1, "failed": 0}
    assert data["errors"] == []
    said = run(str(tmp_path)).stderr
    assert (
        "overlay: not built: its build would read feed.yaml, not a regular file but a FIFO "
        "(a named pipe), which kustomize would wait on"
    ) in said


def test_an_overlay_naming_a_link_to_nothing_is_left_unbuilt_as_incomplete(
    tmp_path: Path,
) -> None:
    """A link to nothing cannot make kustomize wait: the overlay is incomplete (a file a build
    step makes), as for any missing file, and its own files are read."""
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    (overlay / "cron.yaml").write_text(CRON.format(name="in-overlay"))
    (overlay / "feed.yaml").symlink_to(tmp_path / "gone.yaml")
    (overlay / "kustomization.yaml").write_text("resources:\n- cron.yaml\n- feed.yaml\n")
    data = scan_json(str(tmp_path))
    assert names(data) == {"in-overlay"}
    assert data["skipped"] == {"kustomize-incomplete": 1, "not-a-file": 1}
    assert data["errors"] == []


def test_fix_files_passes_over_special_files_with_a_note_and_binary_ones_quietly(
    odd: Path,
) -> None:
    _register()
    result = CliRunner().invoke(root, ["fix", "files", "--target", "1.37", str(odd)])
    assert "pipe.yaml: not a regular file but a FIFO" in result.stderr
    assert "blob.yaml" not in result.stderr
    assert "ok.yaml" in result.stdout  # the manifest's fix is still shown
    assert result.exit_code == 0


def test_the_sniff_refuses_a_fifo_without_waiting_for_a_writer(tmp_path: Path) -> None:
    """A FIFO put where the walk saw a file: the sniff opens without waiting and refuses it
    (the old open waited for a writer; the thread's deadline turns that into a failure)."""
    from kubecurrent.collect.files._walk import sniff

    os.mkfifo(tmp_path / "late.yaml")
    found: list[object] = []
    reader = threading.Thread(target=lambda: found.append(sniff(tmp_path / "late.yaml")))
    reader.daemon = True
    reader.start()
    reader.join(10)
    assert not reader.is_alive(), "the sniff waited on a FIFO"
    (outcome,) = found
    assert isinstance(outcome, OSError) and "FIFO" in str(outcome)


def test_a_link_target_with_control_characters_is_shown_escaped_in_the_note(
    tmp_path: Path,
) -> None:
    """The note quotes the link's target, which the repository chose: an ESC sequence or a
    newline in it must not reach the terminal as such."""
    (tmp_path / "a.yaml").symlink_to("/x\x1b[31mRED\nfake: line")
    said = run(str(tmp_path)).stderr
    assert "\x1b" not in said and "\nfake: line" not in said
    assert "a symbolic link to nothing (/x\\x1b[31mRED\\x0afake: line)" in said
