"""Writing files safely, and rewriting text files without changing what the user did not ask for.

Every file kubecurrent writes for the user (rewritten manifests, saved inventories, reports,
catalog updates, GitOps edits) goes through ``write_atomic``: the data is written to a temporary
file in the same directory, flushed to disk, given the original file's mode, then renamed over
the target. A write cut short (disk full, a file-size limit, a kill) leaves the original intact
and no temporary file behind.

``read_text`` / ``TextForm.restore`` let a rewrite keep a file's byte-order mark, line endings
(LF or CRLF) and final-newline state exactly: the text is edited with LF line endings and put
back in the form it was read in. A file with mixed line endings is edited as it is (lines the
edit does not touch keep theirs).
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from kubecurrent.errors import UsageError

__all__ = ["TextForm", "read_text", "write_atomic"]

_BOM = "\ufeff"


@dataclass(frozen=True)
class TextForm:
    """How a text file was written: what a rewrite must keep."""

    bom: bool = False
    crlf: bool = False
    """Every line ended with CRLF (the text was handed out with LF)."""
    final_newline: bool = True

    def restore(self, text: str) -> str:
        """``text`` (edited with LF endings) in this form."""
        if not self.final_newline:
            text = text.removesuffix("\n")
        elif text and not text.endswith("\n"):
            text += "\n"
        if self.crlf:
            text = text.replace("\n", "\r\n")
        return _BOM + text if self.bom else text

    def describe(self) -> str:
        parts = ["UTF-8 with BOM" if self.bom else "UTF-8", "CRLF" if self.crlf else "LF"]
        if not self.final_newline:
            parts.append("no final newline")
        return ", ".join(parts)


def read_text(path: Path) -> tuple[str, TextForm]:
    """The file's text with LF line endings (undecodable bytes kept as surrogates) and its form."""
    raw = path.read_bytes().decode("utf-8", errors="surrogateescape")
    bom = raw.startswith(_BOM)
    text = raw.removeprefix(_BOM)
    lf, crlf = text.count("\n"), text.count("\r\n")
    all_crlf = crlf > 0 and crlf == lf
    if all_crlf:
        text = text.replace("\r\n", "\n")
    return text, TextForm(bom=bom, crlf=all_crlf, final_newline=text.endswith("\n") or not text)


def write_atomic(path: Path, data: str | bytes, mode: int | None = None) -> None:
    """Replace ``path`` with ``data`` all at once, keeping its mode (see the module docstring),
    or with ``mode`` when given (set before the rename: the file never has another).

    Text is written as UTF-8 (surrogates back to the bytes they came from)."""
    if not str(path):
        raise UsageError("an empty path was given to write to", hint="name the file to write")
    blob = data.encode("utf-8", errors="surrogateescape") if isinstance(data, str) else data
    directory = path.parent
    if mode is None:
        mode = _mode_of(path)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".kubecurrent-tmp", dir=directory)
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(blob)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.chmod(mode)
        tmp.replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _sync_directory(directory)


def _mode_of(path: Path) -> int:
    """``path``'s permission bits, or those a new file gets (0666 less the umask)."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _sync_directory(directory: Path) -> None:
    """Make the rename itself durable (best effort: not every file system allows it)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
