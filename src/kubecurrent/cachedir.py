"""Where kubecurrent keeps what it can rebuild: ``$KUBECURRENT_CACHE_DIR``, else
``$XDG_CACHE_HOME/kubecurrent`` (default ``~/.cache/kubecurrent``).

Built binaries live under ``bin/`` (the sandbox), the catalog's scan facts under ``catalog/``,
helm and kustomize output of file scans under ``render/`` (content-addressed, at most 256 MiB).
Deleting the directory is always safe: everything in it is made again on first use.
"""

from __future__ import annotations

import os
from pathlib import Path

CACHE_ENV = "KUBECURRENT_CACHE_DIR"


def cache_dir() -> Path:
    """The root of kubecurrent's cache."""
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "kubecurrent"
