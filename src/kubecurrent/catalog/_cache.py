"""The catalog's cache of derived forms, in ``<cache>/catalog/`` (see ``kubecurrent.cachedir``).

Reading the data files means parsing every YAML file and validating every entry; what that
gives depends only on kubecurrent's code and those files. So a derived form (the validated
catalog as JSON, the file scan's facts) is written at first use under a name keyed by
kubecurrent's version, a hash of the catalog package's code and a hash of every data file: an
upgrade, an edited module or an edited data file misses and rebuilds. A cache file that cannot
be read or decoded is rebuilt; one that cannot be written is passed over (the next run builds
again). Extra catalog files are never cached.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from kubecurrent._version import __version__
from kubecurrent.cachedir import cache_dir

T = TypeVar("T")


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
        return decode(path.read_bytes())
    except (OSError, ValueError):
        pass
    value = make()
    from kubecurrent.textfile import write_atomic  # only on a miss

    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, encode(value), mode=0o644)
    return value
