"""``helm template`` output back to the files it came from.

Helm writes each template's output after a ``# Source: <chart>/<path>`` comment; a template (or a
``crds/`` file) may hold several documents, and only the first carries the comment, so a
document without one belongs to the source before it. ``<chart>`` is the chart's name and a
subchart's path uses its alias when it has one, so paths are mapped back to directories that
exist (``subchart_dirs``), else to the nearest existing parent.

The line of an object is the line of its document's first key in that file: exact for files
helm copies verbatim (``crds/``), and for templates the first key line of the template's
document of the same index (the last one when the template renders more documents than it
has, as a ``range`` does).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from kubecurrent.collect.files._chart import subchart_dirs
from kubecurrent.collect.files._read import read_bytes, split_documents
from kubecurrent.collect.files._types import BodyFields, Document, Skipped
from kubecurrent.model.findings import EvidenceSource, ScanError

_SOURCE_RE = re.compile(r"^# Source: (?P<path>\S+)", re.MULTILINE)
_SEPARATOR = re.compile(r"(?m)^---[ \t]*$")
_KEY_LINE = re.compile(rb"[ \t]*(?:-[ \t]+)?(?:[A-Za-z0-9_$.\-/]+|\"[^\"\n]*\"|'[^'\n]*')[ \t]*:")
CONTEXT_LINES = 3
"""Lines of rendered text shown on each side of a YAML error in a chart's output."""


@dataclass
class _Place:
    """Maps a ``# Source:`` path to a file of the chart, remembering what it has seen."""

    chart: Path
    subcharts: dict[str, Path] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    starts: dict[Path, list[int]] = field(default_factory=dict)

    def file(self, source: str) -> Path:
        rel = Path(source.split("/", 1)[-1]) if "/" in source else Path(source)
        parts = rel.parts
        path = self.chart / rel
        if len(parts) > 1 and parts[0] == "charts" and parts[1] in self.subcharts:
            base = self.subcharts[parts[1]]
            if base.is_file():
                return base  # a packed subchart: the archive is what exists
            path = base / Path(*parts[2:])  # an unpacked or file:// subchart, by name or alias
        while not path.exists() and path != path.parent:
            path = path.parent
        return path

    def line(self, path: Path, source: str) -> int:
        index = self.counts[source] = self.counts.get(source, -1) + 1
        if path not in self.starts:
            self.starts[path] = first_key_lines(path)
        starts = self.starts[path]
        if not starts:
            return 1
        return starts[min(index, len(starts) - 1)]


def first_key_lines(path: Path) -> list[int]:
    """For each document of the file with a key in it, the 1-based line of its first key."""
    if not path.is_file():
        return []
    out: list[int] = []
    with path.open("rb") as fh:
        for text, first in split_documents(fh):
            for offset, line in enumerate(text.splitlines()):
                if _KEY_LINE.match(line) and not line.lstrip().startswith(b"#"):
                    out.append(first + offset + 1)
                    break
    return out


def split_helm_output(
    text: str, chart: Path, body_fields: BodyFields | None = None
) -> list[Document | ScanError | Skipped]:
    """Documents of ``helm template`` output, each at the file and line it came from; read on
    the fast path with ``body_fields`` (see ``read_bytes``)."""
    place = _Place(chart, subchart_dirs(chart))
    items: list[Document | ScanError | Skipped] = []
    source = ""
    for part in _SEPARATOR.split(text):
        chunk = part.removeprefix("\n")
        match = _SOURCE_RE.search(chunk)
        if match:
            source = match["path"]
        if not chunk.strip() or _only_comments(chunk):
            continue
        path = place.file(source) if source else chart
        line = place.line(path, source)
        data = chunk.encode()
        for item in read_bytes(data, str(path), EvidenceSource.HELM_CHART, body_fields, False):
            items.append(_placed(item, path, line, chart, chunk, source))
    return items


def _only_comments(chunk: str) -> bool:
    return all(not ln.strip() or ln.lstrip().startswith("#") for ln in chunk.splitlines())


def _placed(
    item: Document | ScanError | Skipped, path: Path, line: int, chart: Path, chunk: str, src: str
) -> Document | ScanError | Skipped:
    if isinstance(item, Document):
        return Document(item.data, str(path), line, EvidenceSource.HELM_CHART, str(chart))
    if isinstance(item, ScanError):
        return ScanError(file=str(path), line=None, message=rendered_error(item, chunk, src))
    return item


def rendered_error(error: ScanError, chunk: str, source: str) -> str:
    """The error with the rendered text around it, numbered as in the rendered document."""
    lines = chunk.rstrip("\n").splitlines() or [""]
    at = min((error.line or 1) - 1, len(lines) - 1)
    low, high = max(0, at - CONTEXT_LINES), min(len(lines), at + CONTEXT_LINES + 1)
    shown = "\n".join(
        f"{'>' if n == at else ' '} {n + 1:4d} | {lines[n]}" for n in range(low, high)
    )
    what = error.message.removeprefix("not valid YAML: ")
    return (
        f"the chart's template {source or '(unknown)'} renders YAML that does not parse: "
        f"{what} (line {at + 1} of its rendered output):\n{shown}"
    )
