"""Files are replaced whole or not at all, and rewrites keep the file's form (issue #18)."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from kubecurrent.textfile import TextForm, read_text, write_atomic

OLD = "apiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata:\n  name: web\n"
KEEP = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: keep   # untouched\n"


def fix(*args: str, limit: int | None = None) -> subprocess.CompletedProcess[str]:
    """``kubecurrent fix files`` in a fresh process, optionally under a file-size limit
    (Python ignores SIGXFSZ, so an oversized write fails with EFBIG instead of killing it)."""

    def limited() -> None:
        if limit is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return subprocess.run(
        [sys.executable, "-m", "kubecurrent", "fix", "files", "--target", "1.37", *args],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=limited,
        check=False,
    )


def test_crlf_bom_and_missing_final_newline_survive_a_rewrite(tmp_path: Path) -> None:
    path = tmp_path / "app.yaml"
    original = ("\ufeff" + KEEP + "---\n" + OLD).replace("\n", "\r\n").removesuffix("\r\n")
    path.write_bytes(original.encode())

    done = fix("--write", str(path))

    assert done.returncode == 0, done.stderr
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfapiVersion: v1\r\n")
    assert b"policy/v1\r\n" in data and b"v1beta1" not in data
    assert data.count(b"\n") == data.count(b"\r\n")  # every line still ends with CRLF
    assert not data.endswith(b"\n")
    assert b"name: keep   # untouched\r\n" in data
    assert "note:" not in done.stderr


def test_mixed_line_endings_are_said_when_a_rewrite_changes_them(tmp_path: Path) -> None:
    path = tmp_path / "mixed.yaml"
    path.write_bytes((KEEP.replace("\n", "\r\n") + "---\n" + OLD.replace("\n", "\r\n", 1)).encode())
    done = fix("--write", str(path))
    assert done.returncode == 0, done.stderr
    assert "mixed line endings" in done.stderr
    assert path.read_bytes().startswith(KEEP.replace("\n", "\r\n").encode())  # untouched doc


def test_a_write_cut_short_by_a_file_size_limit_leaves_the_original(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    original = (KEEP + "---\n" + OLD) * 20
    path.write_text(original)

    refused = fix("--write", str(path), limit=len(original) // 2)
    assert refused.returncode != 0
    assert "cannot write" in refused.stderr and "the file is unchanged" in refused.stderr
    assert path.read_text() == original
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.yaml"]  # no temp file left


def test_an_empty_path_is_refused_not_taken_as_the_current_directory(tmp_path: Path) -> None:
    (tmp_path / "app.yaml").write_text(OLD)
    done = subprocess.run(
        [sys.executable, "-m", "kubecurrent", "fix", "files", "--write", ""],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2 and "an empty path was given" in done.stderr
    assert (tmp_path / "app.yaml").read_text() == OLD


def test_write_atomic_keeps_the_mode_and_creates_new_files(tmp_path: Path) -> None:
    path = tmp_path / "script.yaml"
    path.write_text("a: 1\n")
    path.chmod(0o640)
    write_atomic(path, "a: 2\n")
    assert path.read_text() == "a: 2\n" and (path.stat().st_mode & 0o777) == 0o640
    fresh = tmp_path / "new.json"
    write_atomic(fresh, b"{}")
    assert fresh.read_bytes() == b"{}"
    umask = os.umask(0)
    os.umask(umask)
    assert fresh.stat().st_mode & 0o777 == 0o666 & ~umask


@pytest.mark.parametrize(
    ("raw", "form"),
    [
        ("a\nb\n", TextForm()),
        ("a\r\nb", TextForm(crlf=True, final_newline=False)),
        ("\ufeffa\n", TextForm(bom=True)),
        ("a\r\nb\n", TextForm()),  # mixed: edited as it is
    ],
)
def test_read_text_tells_the_form_and_restores_it(tmp_path: Path, raw: str, form: TextForm) -> None:
    path = tmp_path / "f.yaml"
    path.write_bytes(raw.encode())
    text, found = read_text(path)
    assert found == form
    assert "\r\n" not in text or not form.crlf
    assert found.restore(text) == raw
