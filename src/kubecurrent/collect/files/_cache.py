"""A content-addressed cache of helm and kustomize runs, so a re-scan renders only what changed.

A run is found again by a key over everything that decides its output: the tool, its binary
(real path, size, modification time: a rebuilt or replaced binary is another tool), its flags
and operands, the ``HELM_*`` and ``KUSTOMIZE_*`` environment, and the content of every file the
render may read (``_digest.tree_digest``: whole directory trees, by content, never by time). A
changed file changes the key, so an entry is never stale; nothing is ever looked up by path
alone. The key reads only regular files, of bounded size, within the scanned directory: a render
that may read anything else (a link or a name leading out, a device, a FIFO, a huge file) is run
every time and never kept (``Uncacheable``, counted with its reason in ``STATS``).

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
import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import msgspec

if TYPE_CHECKING:
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


class RenderCache(msgspec.Struct, frozen=True):
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
        import hashlib

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
    import hashlib

    body = proc.stdout_bytes + proc.stderr_bytes
    head = {
        "returncode": proc.returncode,
        "stdout": len(proc.stdout_bytes),
        "stderr": len(proc.stderr_bytes),
        "sha256": hashlib.sha256(body).hexdigest(),
    }
    return _MAGIC + json.dumps(head).encode() + b"\n" + body


def _decode(data: bytes, argv: tuple[str, ...]) -> Completed | None:
    import hashlib

    from kubecurrent.programs import Completed

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
