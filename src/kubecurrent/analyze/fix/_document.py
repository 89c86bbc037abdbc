"""Split YAML text into documents and round-trip one document with ruamel.yaml.

Only documents that change are re-emitted; every other byte of the file is kept as it was.
The emitter uses the indentation it finds in the document, keeps quotes, and never folds lines.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML

_SEPARATOR = re.compile(r"(?m)^---[^\n]*\n")
_LINE = re.compile(r"^(?P<indent> *)(?P<dashes>(?:- +)*)(?P<rest>.*)$")


@dataclass
class Chunk:
    """A document's text: the separator line (if any) and the body after it."""

    separator: str
    body: str
    line: int
    """1-based line of the body's first line in the file."""


def split(text: str) -> list[Chunk]:
    chunks: list[Chunk] = []
    pos, line, sep = 0, 1, ""
    for match in _SEPARATOR.finditer(text):
        body = text[pos : match.start()]
        chunks.append(Chunk(sep, body, line))
        line += body.count("\n") + 1
        pos, sep = match.end(), match.group(0)
    chunks.append(Chunk(sep, text[pos:], line))
    return chunks


def join(chunks: list[Chunk]) -> str:
    return "".join(c.separator + c.body for c in chunks)


def guess_indent(body: str) -> tuple[int, int]:
    """(mapping indent, dash offset of block sequences) as the text writes them."""
    mapping: int | None = None
    offset: int | None = None
    parent: int | None = None  # content column of the previous line if it opened a block
    for line in body.splitlines():
        m = _LINE.match(line)
        if m is None or not m["rest"] or m["rest"].startswith("#"):
            continue
        indent, content = len(m["indent"]), len(m["indent"]) + len(m["dashes"])
        if parent is not None and indent > parent and m["dashes"] and offset is None:
            offset = indent - parent
        elif parent is not None and indent > parent and not m["dashes"] and mapping is None:
            mapping = indent - parent
        parent = content if m["rest"].rstrip().endswith(":") else None
        if mapping is not None and offset is not None:
            break
    return mapping or 2, offset or 0


def _yaml(body: str) -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    mapping, offset = guess_indent(body)
    yaml.indent(mapping=mapping, sequence=offset + 2, offset=offset)
    return yaml


def load(body: str) -> tuple[Any, YAML]:
    """The document as round-trip objects, and the emitter configured like its text."""
    yaml = _yaml(body)
    return yaml.load(body), yaml


def dump(data: Any, yaml: YAML, original: str) -> str:
    out = io.StringIO()
    yaml.dump(data, out)
    text = out.getvalue()
    if not original.endswith("\n"):
        text = text.rstrip("\n")
    return text
