"""Remote references in a kustomization: what ``kustomize build`` would fetch over the network.

kustomize reads an entry of ``resources`` (and ``bases``, ``components``, ``generators``,
``transformers``, ``validators``) that is not a local path as a git repository to clone, and an
``http(s)://`` entry of a file field (``crds``, ``configurations``, patch paths) as a file to
download. A reference is remote here when it:

* has a URL scheme other than ``file://`` (``https://``, ``http://``, ``ssh://``, ``git://``…);
* starts with one of the host prefixes kustomize's repository parser knows: ``git::``, ``gh:``,
  ``git@``, ``github.com/``, ``github.com:`` (and ``gitlab.com/``, ``bitbucket.org/``);
* holds ``_git/`` (Azure DevOps repositories);
* or, when no local file or directory of that name exists, starts with a host name followed by
  at least two path segments (``example.com/org/repo//path?ref=v1``).

Sources: kustomize's repository URL parser
https://github.com/kubernetes-sigs/kustomize/blob/master/api/internal/git/repospec.go and its
remote-build example https://github.com/kubernetes-sigs/kustomize/blob/master/examples/remoteBuild.md .
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["is_remote", "remote_refs"]

DIRECTORY_FIELDS = ("resources", "bases", "components", "generators", "transformers", "validators")
"""Fields whose entries may be directories (or git repositories)."""
FILE_FIELDS = ("crds", "configurations", "patchesStrategicMerge")
"""Fields whose entries are files (a URL is downloaded)."""
PATCH_FIELDS = ("patches", "patchesJson6902")
"""Fields of patch objects whose ``path`` is a file."""

_PREFIXES = ("git::", "gh:", "git@", "github.com/", "github.com:", "gitlab.com/", "bitbucket.org/")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_HOST_PATH = re.compile(r"^[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?::\d+)?/[^/]+/[^/]")


def is_remote(ref: str, base: Path) -> bool:
    """Whether ``ref``, named by the kustomization in ``base``, is fetched over the network."""
    if "\n" in ref:
        return False  # an inline generator or transformer configuration, not a reference
    lowered = ref.lower()
    if _SCHEME.match(ref):
        return not lowered.startswith("file://")
    if lowered.startswith(_PREFIXES) or "_git/" in ref:
        return True
    return _HOST_PATH.match(ref) is not None and not (base / ref.split("?")[0]).exists()


def references(spec: dict[str, Any]) -> Iterator[str]:
    """Every string the kustomization names as a resource, base, component, plugin, file or
    patch path."""
    for field in (*DIRECTORY_FIELDS, *FILE_FIELDS):
        value = spec.get(field)
        for ref in value if isinstance(value, list) else []:
            if isinstance(ref, str):
                yield ref
    for field in PATCH_FIELDS:
        value = spec.get(field)
        for patch in value if isinstance(value, list) else []:
            path = patch.get("path") if isinstance(patch, dict) else None
            if isinstance(path, str):
                yield path


def remote_refs(base: Path, spec: dict[str, Any]) -> list[str]:
    """The remote references of one kustomization (not of the bases it names), in order."""
    found: list[str] = []
    for ref in references(spec):
        if ref not in found and is_remote(ref, base):
            found.append(ref)
    return found
