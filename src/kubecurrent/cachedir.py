"""Where kubecurrent keeps what it can rebuild: ``$KUBECURRENT_CACHE_DIR``, else
``$XDG_CACHE_HOME/kubecurrent`` (default ``~/.cache/kubecurrent``).

Built binaries live under ``bin/`` (the sandbox), the catalog's scan facts under ``catalog/``,
helm and kustomize output of file scans under ``render/`` (content-addressed, at most 256 MiB;
``$KUBECURRENT_RENDER_CACHE_DIR`` puts it elsewhere, alone: a test session keeps its renders
apart from the user's while using the binaries built there). Deleting the directory is always
safe: everything in it is made again on first use.
"""

from __future__ import annotations

import os
from pathlib import Path

CACHE_ENV = "KUBECURRENT_CACHE_DIR"
RENDER_CACHE_ENV = "KUBECURRENT_RENDER_CACHE_DIR"


def cache_dir() -> Path:
    """The root of kubecurrent's cache."""
    override = os.environ.get(CACHE_ENV)
    if override:
        return Path(override)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "kubecurrent"


def render_cache_dir() -> Path:
    """Where helm and kustomize output is kept: ``$KUBECURRENT_RENDER_CACHE_DIR``, else
    ``render/`` of ``cache_dir``."""
    override = os.environ.get(RENDER_CACHE_ENV)
    return Path(override) if override else cache_dir() / "render"
