"""What a render cache key reads: the content of every file a render may read, within the
scanned directory only (``tree_digest``), and what a process may remember of files it read
(``settled_key``)."""

from __future__ import annotations

import contextlib
import functools
import os
import stat
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

FileKey = tuple[str, int, int, int, int, int]
SETTLED_NS = 2_000_000_000


def settled_key(path: Path) -> FileKey | None:
    """The file's path and identity (device, inode, size, modification and change times), by
    which what a process read of it may be kept for the rest of the process; None when it
    cannot be kept: it cannot be read, or it changed less than ``SETTLED_NS`` ago (file times
    are coarser than a nanosecond, so a file written twice within one tick keeps its times;
    git's index treats such "racily clean" entries the same way)."""
    try:
        st = path.stat()
    except OSError:
        return None
    if max(st.st_mtime_ns, st.st_ctime_ns) >= time.time_ns() - SETTLED_NS:
        return None
    return (str(path), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


_FILE_DIGESTS: dict[FileKey, tuple[bytes, int]] = {}
"""Content digests (and sizes) of files this process has read (``settled_key``): a file shared
by many overlays is read once per scan."""

MAX_INPUT_BYTES = 64 * 1024 * 1024
"""A file larger than this is not read for a key: the render that may read it is not cached."""
MAX_INPUTS_BYTES = 512 * 1024 * 1024
"""All the files of one key together, at most (else the render is not cached)."""


@dataclass(frozen=True, slots=True)
class Uncacheable:
    """Why a render's inputs were not read for a key: it is rendered every time, never cached."""

    reason: str


class _Refused(Exception):
    """A file the key may not read: the render is ``Uncacheable`` for ``reason``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def tree_digest(roots: Iterable[Path], scope: Iterable[Path]) -> bytes | Uncacheable:
    """A digest of the content of every file under ``roots`` (directories walked whole,
    symbolic links followed, ``.git`` left out), with their paths; or why there is none.

    Only regular files within ``scope`` (directories, or files named one by one) are read, each
    of ``MAX_INPUT_BYTES`` at most, ``MAX_INPUTS_BYTES`` in all. A root or a link leading out of
    the scope, a device, a FIFO or a socket, or too many bytes make the inputs ``Uncacheable``:
    a hostile repository cannot make the key read ``/dev/zero``, a pipe, or a huge file."""
    import hashlib  # renders only (a plain scan never hashes)

    within = [real_path(s) for s in scope]
    digest = hashlib.sha256()
    seen: set[tuple[int, int]] = set()
    left = MAX_INPUTS_BYTES
    try:
        for root in roots:
            digest.update(b"root\0" + os.fsencode(root) + b"\0")
            if not inside(root, within):
                raise _Refused(f"it may read {root}, which leads outside the scanned directory")
            files = _walk_into(root, seen, within) if root.is_dir() else [root]
            for path in files:
                content, size = _file_digest(path)
                left -= size
                if left < 0:
                    raise _Refused(f"the files it may read exceed {MAX_INPUTS_BYTES} bytes")
                digest.update(os.fsencode(path) + b"\0" + content)
    except _Refused as exc:
        return Uncacheable(exc.reason)
    return digest.digest()


def inside(path: Path, within: Sequence[str]) -> bool:
    """Whether ``path``, every link on the way followed, is one of ``within`` (real paths,
    ``real_path``) or under one."""
    real = real_path(path)
    return any(real == s or real.startswith(s.rstrip(os.sep) + os.sep) for s in within)


def real_path(path: Path) -> str:
    """``path`` with every link on the way followed (``os.path.realpath``); the real paths of
    directories are remembered for the process (overlays share their bases)."""
    if path.name in ("", ".", "..") or path.is_symlink():
        return os.path.realpath(path)
    directory = _real_dir(str(path.parent))
    return directory.rstrip(os.sep) + os.sep + path.name


@functools.lru_cache(maxsize=4096)
def _real_dir(directory: str) -> str:
    return os.path.realpath(directory)


def _walk_into(root: Path, seen: set[tuple[int, int]], within: list[str]) -> Iterator[Path]:
    """The files under ``root``, each directory's in name order before its subdirectories'
    (links followed; a directory met again, by device and inode, is not entered again)."""
    try:
        st = root.stat()
        if (st.st_dev, st.st_ino) in seen:
            return
        seen.add((st.st_dev, st.st_ino))
        entries = sorted(os.scandir(root), key=lambda e: e.name)
    except OSError:
        return
    dirs: list[Path] = []
    for entry in entries:
        path = Path(entry.path)
        if entry.is_symlink() and not inside(path, within):
            raise _Refused(f"it may read {path}, which leads outside the scanned directory")
        if not _is_dir(entry):
            yield path
        elif entry.name != ".git":
            dirs.append(path)
    for path in dirs:
        yield from _walk_into(path, seen, within)


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def _file_digest(path: Path) -> tuple[bytes, int]:
    key = settled_key(path)
    known = _FILE_DIGESTS.get(key) if key is not None else None
    if known is None:
        known = _read_digest(path)
        if key is not None:
            _FILE_DIGESTS[key] = known
    return known


def _read_digest(path: Path) -> tuple[bytes, int]:
    """The content digest and size of a regular file of ``MAX_INPUT_BYTES`` at most (raises
    ``_Refused`` for anything else); a file that cannot be read digests as its error."""
    try:  # never blocks: a FIFO opens at once, then fstat refuses it
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        with contextlib.suppress(OSError):
            _refuse_kind(path, path.stat().st_mode)  # a socket cannot be opened
        return f"unreadable:{exc.errno}".encode(), 0
    try:
        st = os.fstat(fd)
        _refuse_kind(path, st.st_mode)
        if st.st_size > MAX_INPUT_BYTES:
            raise _Refused(f"it may read {path}, larger than {MAX_INPUT_BYTES} bytes")
        data = _read_upto(fd, MAX_INPUT_BYTES + 1)
    except OSError as exc:
        return f"unreadable:{exc.errno}".encode(), 0
    finally:
        os.close(fd)
    if len(data) > MAX_INPUT_BYTES:  # it grew since fstat
        raise _Refused(f"it may read {path}, larger than {MAX_INPUT_BYTES} bytes")
    import hashlib

    return hashlib.sha256(data).digest(), len(data)


def _refuse_kind(path: Path, mode: int) -> None:
    kind = _not_regular(mode)
    if kind is not None:
        raise _Refused(f"it may read {path}, {kind}")


def _not_regular(mode: int) -> str | None:
    """What the file is when it is not a regular file, in words."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISFIFO(mode):
        return "a FIFO, not a regular file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device, not a regular file"
    if stat.S_ISSOCK(mode):
        return "a socket, not a regular file"
    return "not a regular file"


def _read_upto(fd: int, size: int) -> bytes:
    chunks: list[bytes] = []
    left = size
    while left > 0 and (chunk := os.read(fd, min(left, 1 << 20))):
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)
