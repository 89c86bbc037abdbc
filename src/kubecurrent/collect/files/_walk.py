"""Find what to scan under the paths a user gave: manifest files, Helm charts, kustomizations.

Directories are walked in sorted order; symbolic links are followed, but a directory already
visited (by device and inode) is not entered again, so link loops end. Hidden directories
(``.git``) are skipped. A directory with a ``Chart.yaml`` is a chart: it is rendered, not read
file by file. A directory with a kustomization is rendered *and* its files are read, because
those files are where a fix goes.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from kubecurrent.model.findings import ScanError

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
SNIFF_BYTES = 8192

InputKind = Literal["file", "chart", "kustomize", "stdin"]


@dataclass(frozen=True, slots=True)
class Input:
    """One thing to read or render."""

    kind: InputKind
    path: Path


def discover(paths: list[str]) -> Iterator[Input | ScanError]:
    """Inputs under ``paths`` (``-`` is standard input) in a stable order."""
    seen: set[tuple[int, int]] = set()
    for raw in paths:
        if raw == "-":
            yield Input("stdin", Path("-"))
            continue
        path = Path(raw)
        if path.is_dir():
            yield from _walk_dir(path, seen)
        elif path.is_file():
            if not is_binary(path):
                yield Input("file", path)
        else:
            yield ScanError(file=raw, message="no such file or directory")


def _walk_dir(path: Path, seen: set[tuple[int, int]]) -> Iterator[Input | ScanError]:
    try:
        st = path.stat()
    except OSError as exc:
        yield ScanError(file=str(path), message=f"cannot read directory: {exc.strerror}")
        return
    if (st.st_dev, st.st_ino) in seen:
        return
    seen.add((st.st_dev, st.st_ino))
    try:
        entries = sorted(os.scandir(path), key=lambda e: e.name)
    except OSError as exc:
        yield ScanError(file=str(path), message=f"cannot list directory: {exc.strerror}")
        return
    names = {e.name for e in entries}
    if "Chart.yaml" in names:
        yield Input("chart", path)
        return
    if names.intersection(KUSTOMIZATION_FILES):
        yield Input("kustomize", path)
    for entry in entries:
        yield from _entry(entry, seen)


def _entry(entry: os.DirEntry[str], seen: set[tuple[int, int]]) -> Iterator[Input | ScanError]:
    child = Path(entry.path)
    try:
        is_dir = entry.is_dir()
        is_file = entry.is_file()
    except OSError:
        return
    if is_dir:
        if not entry.name.startswith("."):
            yield from _walk_dir(child, seen)
    elif is_file and _is_manifest_name(entry.name) and not is_binary(child):
        yield Input("file", child)


def _is_manifest_name(name: str) -> bool:
    return name.endswith(MANIFEST_SUFFIXES) and name not in KUSTOMIZATION_FILES


def is_binary(path: Path) -> bool:
    """A NUL byte in the first few kilobytes: not text, skip it."""
    try:
        with path.open("rb") as fh:
            head = fh.read(SNIFF_BYTES)
    except OSError:
        return True
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 text has NULs but is text
        return False
    return b"\0" in head
