"""A content-addressed cache of helm and kustomize runs, so a re-scan renders only what changed.

A run is found again by a key over everything that decides its output: the tool, its binary
(real path, size, modification time: a rebuilt or replaced binary is another tool), its flags
and operands, the ``HELM_*`` and ``KUSTOMIZE_*`` environment, and the content of every file the
render may read (``tree_digest``: whole directory trees, by content, never by time). A changed
file changes the key, so an entry is never stale; nothing is ever looked up by path alone. The
key reads only regular files, of bounded size, within the scanned directory: a render that may
read anything else (a link or a name leading out, a device, a FIFO, a huge file) is run every
time and never kept (``Uncacheable``, counted with its reason in ``STATS``).

Entries are files under ``<cache dir>/render/v1/``, written to a temporary name and renamed
(concurrent scans read whole entries or none). Each holds a checksum of its body: an entry that
does not check (cut short, edited) is ignored, rendered again and replaced. The directory is
kept under ``max_bytes``: a process that writes counts what is there once, then what it adds,
and past the cap removes the least recently used entries (a hit refreshes an entry's time)
until it holds ``EVICT_TO`` of the cap. Runs that did not end by themselves (a timeout, a
signal) are never stored.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import stat
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from kubecurrent.programs import Completed

MAX_BYTES = 256 * 1024 * 1024
"""Default cap of the render cache's directory."""
EVICT_TO = 0.8
"""Eviction removes entries until the directory holds this part of the cap."""
STALE_TEMP_SECONDS = 3600.0
"""A temporary file older than this was left by a writer that died: eviction removes it."""
_MAGIC = b"kubecurrent-render 1\n"
_TEMP = ".tmp-"


@dataclass
class CacheStats:
    """What this process's renders found in the cache (for ``--debug``)."""

    hits: int = 0
    misses: int = 0
    stored: int = 0
    evicted: int = 0
    uncacheable: list[str] = field(default_factory=list)
    """Why each run that was not looked up is not cached (``Uncacheable``), in order."""


STATS = CacheStats()


@dataclass(frozen=True, slots=True)
class RenderCache:
    """Where rendered output is kept, and how much of it at most."""

    directory: Path
    max_bytes: int = MAX_BYTES

    def key(
        self,
        tool: str,
        binary: Path,
        args: Sequence[str],
        operands: Sequence[str | Path],
        inputs: bytes,
    ) -> str:
        """The key of one run: see the module docstring."""
        st = binary.stat()
        env = sorted((k, v) for k, v in os.environ.items() if k.startswith(("HELM_", "KUSTOMIZE_")))
        what = [tool, str(binary.resolve()), st.st_size, st.st_mtime_ns, list(args)]
        what += [[str(o) for o in operands], env, inputs.hex()]
        return hashlib.sha256(json.dumps(what).encode()).hexdigest()

    def get(self, key: str, argv: tuple[str, ...]) -> Completed | None:
        """The stored run under ``key``, or None (absent, unreadable, or failing its check)."""
        path = self.directory / key
        try:
            data = path.read_bytes()
        except OSError:
            STATS.misses += 1
            return None
        found = _decode(data, argv)
        if found is None:
            STATS.misses += 1
            return None
        STATS.hits += 1
        with contextlib.suppress(OSError):  # evicted meanwhile: what was read is still right
            os.utime(path)
        return found

    def put(self, key: str, proc: Completed) -> None:
        """Keep ``proc`` under ``key`` (not when it did not end by itself or exceeds the cap)."""
        if proc.returncode < 0:
            return
        data = _encode(proc)
        if len(data) > self.max_bytes:
            return
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            temp = self.directory / f"{_TEMP}{key}-{os.getpid()}"
            temp.write_bytes(data)
            temp.replace(self.directory / key)
        except OSError:
            return  # a cache that cannot be written only costs the next scan a render
        STATS.stored += 1
        _Usage.add(self, len(data))


def _encode(proc: Completed) -> bytes:
    body = proc.stdout_bytes + proc.stderr_bytes
    head = {
        "returncode": proc.returncode,
        "stdout": len(proc.stdout_bytes),
        "stderr": len(proc.stderr_bytes),
        "sha256": hashlib.sha256(body).hexdigest(),
    }
    return _MAGIC + json.dumps(head).encode() + b"\n" + body


def _decode(data: bytes, argv: tuple[str, ...]) -> Completed | None:
    if not data.startswith(_MAGIC):
        return None
    head_end = data.find(b"\n", len(_MAGIC))
    try:
        head = json.loads(data[len(_MAGIC) : head_end])
        body = data[head_end + 1 :]
        out, err, code = int(head["stdout"]), int(head["stderr"]), int(head["returncode"])
        ok = head_end > 0 and len(body) == out + err
        ok = ok and hashlib.sha256(body).hexdigest() == head["sha256"]
    except (ValueError, KeyError, TypeError):
        return None
    return Completed(argv, code, body[:out], body[out:]) if ok else None


class _Usage:
    """Bytes in each cache directory as this process knows them: counted on its first write,
    then what it adds."""

    known: ClassVar[dict[Path, int]] = {}

    @classmethod
    def add(cls, cache: RenderCache, size: int) -> None:
        if cache.directory not in cls.known:
            cls.known[cache.directory] = sum(size for _, size, _ in _entries(cache.directory))
        else:
            cls.known[cache.directory] += size
        if cls.known[cache.directory] > cache.max_bytes:
            cls.known[cache.directory] = evict(cache)


def _entries(directory: Path) -> list[tuple[float, int, Path]]:
    """(modification time, size, path) of every file in ``directory``."""
    found: list[tuple[float, int, Path]] = []
    try:
        listing = list(os.scandir(directory))
    except OSError:
        return found
    for entry in listing:
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        found.append((st.st_mtime, st.st_size, Path(entry.path)))
    return found


def evict(cache: RenderCache) -> int:
    """Remove the least recently used entries (and temporary files left by dead writers) until
    the directory holds ``EVICT_TO`` of the cap; returns the bytes left."""
    entries = sorted(_entries(cache.directory))
    total = sum(size for _, size, _ in entries)
    now = time.time()
    for mtime, size, path in entries:
        stale_temp = path.name.startswith(_TEMP) and now - mtime > STALE_TEMP_SECONDS
        if total <= cache.max_bytes * EVICT_TO and not stale_temp:
            continue
        if path.name.startswith(_TEMP) and not stale_temp:
            continue  # another scan is writing it
        try:
            path.unlink()
        except OSError:
            continue
        total -= size
        STATS.evicted += 1
    return total


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
