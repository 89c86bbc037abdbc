"""Where sandboxes keep binaries (a cache) and run state (one directory per sandbox).

- binaries: ``$KUBECURRENT_CACHE_DIR`` or ``$XDG_CACHE_HOME/kubecurrent`` (default
  ``~/.cache/kubecurrent``), then ``bin/<family>/<version>/<binary>``;
- run state: ``$KUBECURRENT_SANDBOX_HOME`` or ``$XDG_STATE_HOME/kubecurrent/sandboxes``
  (default ``~/.local/state/kubecurrent/sandboxes``), then ``<name>/``.
"""

from __future__ import annotations

import os
from pathlib import Path

from kubecurrent.cachedir import cache_dir

GOMOD_DIR = Path(__file__).with_name("gomod")
DATA_DIR = Path(__file__).with_name("data")


def _xdg(var: str, default: str) -> Path:
    value = os.environ.get(var)
    return Path(value) if value else Path.home() / default


def bin_dir(family: str, version: str) -> Path:
    """The directory holding the binaries of one component version."""
    return cache_dir() / "bin" / family / version


def sandbox_home() -> Path:
    """The directory holding one sub-directory of run state per sandbox."""
    override = os.environ.get("KUBECURRENT_SANDBOX_HOME")
    if override:
        return Path(override)
    return _xdg("XDG_STATE_HOME", ".local/state") / "kubecurrent" / "sandboxes"
