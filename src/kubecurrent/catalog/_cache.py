"""The catalog's cache of derived forms, in ``<cache>/catalog/`` (see ``kubecurrent.cachedir``).

Reading the data files means parsing every YAML file and validating every entry; what that
gives depends only on kubecurrent's code and those files. So a derived form (the validated
catalog as JSON, the file scan's facts) is written at first use under a name keyed by
kubecurrent's version, a hash of the catalog package's code and a hash of every data file: an
upgrade, an edited module or an edited data file misses and rebuilds. A cache file that cannot
be read or decoded is rebuilt; one that cannot be written is passed over (the next run builds
again). Extra catalog files are never cached.

Each miss writes a new file, so old keys would pile up (≈0.5 MB each) with every upgrade or
edit. A hit marks its file as used (its modification time); a miss removes the files of the
same form not used for ``STALE_DAYS``, so a second kubecurrent installation sharing the cache
directory keeps its own file as long as it runs now and then.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from kubecurrent._version import __version__
from kubecurrent.cachedir import cache_dir

T = TypeVar("T")

STALE_DAYS = 30
"""A cache file of another key not used for this many days is removed on the next miss."""


def data_key(root: Path) -> str:
    """kubecurrent's version, the catalog package's code, and every file under ``root``."""
    digest = hashlib.sha256(__version__.encode())
    for code in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(b"\0" + code.name.encode() + b"\0" + code.read_bytes())
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(b"\0" + path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()[:32]


def cache_file(root: Path, form: str) -> Path:
    """Where the derived ``form`` (``scan-facts``) of the data in ``root`` is cached."""
    return cache_dir() / "catalog" / f"{form}-{data_key(root)}.json"


def cached(
    path: Path, decode: Callable[[bytes], T], make: Callable[[], T], encode: Callable[[T], bytes]
) -> T:
    """``decode`` of the file at ``path``; when it is missing or ``decode`` raises ValueError,
    ``make()``, written there by ``encode`` (if the cache can be written)."""
    try:
        value = decode(path.read_bytes())
    except (OSError, ValueError):
        pass
    else:
        with contextlib.suppress(OSError):
            os.utime(path)  # used: keeps another installation's miss from removing it
        return value
    value = make()
    from kubecurrent.textfile import write_atomic  # only on a miss

    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, encode(value), mode=0o644)
    prune(path)
    return value


def prune(path: Path, now: float | None = None) -> list[Path]:
    """Remove the cache files of ``path``'s form under other keys not used for ``STALE_DAYS``;
    returns what was removed. Files that vanish or cannot be removed are passed over."""
    form = path.name.rsplit("-", 1)[0]
    cutoff = (time.time() if now is None else now) - STALE_DAYS * 86400
    removed = []
    for old in path.parent.glob(f"{form}-*.json"):
        if old == path or old.name.rsplit("-", 1)[0] != form:
            continue
        with contextlib.suppress(OSError):
            if old.stat().st_mtime < cutoff:
                old.unlink()
                removed.append(old)
    return removed
