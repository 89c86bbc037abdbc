"""Text from data, made safe to show: control characters become visible escapes.

Names, paths and messages come from files and clusters kubecurrent does not control. Shown raw, an
ESC sequence from a manifest would drive the user's terminal, and a ``\\x01`` would make a JUnit
file invalid XML. ``visible`` turns every control character except newline and tab (C0, DEL, C1)
into ``\\xNN`` / ``\\uNNNN``, so the reader sees that it is there and nothing acts on it. Markup is a
separate matter: printers pass data to rich as text, never as markup.
"""

from __future__ import annotations

import re

__all__ = ["visible", "visible_line"]

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_CONTROL_OR_NEWLINE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def visible(text: str) -> str:
    """``text`` with control characters other than newline and tab escaped."""
    return _CONTROL.sub(_escape, text)


def visible_line(text: str) -> str:
    """``text`` on one line: newlines and tabs escaped too (table cells, XML attributes)."""
    return _CONTROL_OR_NEWLINE.sub(_escape, text)
