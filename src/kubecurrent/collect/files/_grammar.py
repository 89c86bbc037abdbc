"""The lines the fast reader trusts: block-style YAML that opens nothing spanning lines (a quote
or flow collection left open) and builds plainly (no anchor, alias, tag, merge key, complex or
flow key, and no timestamp or hex/binary number, whose construction can fail).

A line is indentation, ``- `` entries, then a key (plain or quoted) with a value, a value alone,
a comment, or nothing. A value is a quoted string closed on the line, a flat flow sequence of
such strings and plain words, ``{}``, a block scalar header, or a plain scalar (which runs to the
end of the line: past its first character nothing in it is special). Anything else sends the
document to the full parser; the grammar only has to be conservative, never complete.
"""

from __future__ import annotations

import re
from functools import cache

_DQ = rb'"[^"\\\n]*(?:\\[^\n][^"\\\n]*)*"'
_SQ = rb"'[^'\n]*+(?:''[^'\n]*+)*+'"
_TRAPS = rb"(?![0-9]{4}-|[-+]?0[xXbB])"  # timestamps and hex/binary ints may not construct
_PLAIN_START = _TRAPS + rb"(?:[^\s\-?:,\[\]{}#&*!|>'\"%@`<]|-(?=[^\s]))"
_TAIL = rb"[ \t]*(?:#[^\n]*)?"
_ITEM = rb"(?:" + _DQ + rb"|" + _SQ + rb"|" + _TRAPS + rb"[A-Za-z0-9_./=~$][A-Za-z0-9_./=~$ +-]*)"
_FLAT = rb"\[[ \t]*(?:" + _ITEM + rb"[ \t]*(?:,[ \t]*" + _ITEM + rb"[ \t]*)*,?[ \t]*)?\]"
_CLOSED = rb"(?:" + _DQ + rb"|" + _SQ + rb"|" + _FLAT + rb"|\{[ \t]*\})" + _TAIL
_VALUE = rb"(?:" + _CLOSED + rb"|[|>][-+0-9]*" + _TAIL + rb"|" + _PLAIN_START + rb"[^\n]*)"
_KEY = rb"(?:" + _TRAPS + rb"[A-Za-z0-9_][A-Za-z0-9_./-]*|" + _DQ + rb"|" + _SQ + rb")"
_BARE = _PLAIN_START + rb"[^:\n]*(?::(?=[^\s])[^:\n]*)*"  # text with no mapping indicator
_LINE = (
    rb"[ ]*(?:-[ \t]+)*(?:"
    + _KEY
    + rb":(?:[ \t]+(?:"
    + _VALUE
    + rb"|#[^\n]*)?)?|"
    + _CLOSED
    + rb"|"
    + _BARE
    + rb"|#[^\n]*|-)?[ \t]*"
)


@cache
def safe_document() -> re.Pattern[bytes]:
    """The grammar as one pattern (a document matches it whole), compiled when the fast
    reader first needs it: most files never come to that reader (``_rapid`` reads them).

    No part of a line matches a newline, so whether a line matches is its own affair: each line
    with its newline is an atomic group, and a failure late in a document never retries the
    lines before it in other ways (which took exponential time on a shell script in a block
    scalar: helm/charts' mongodb-replicaset test ConfigMap, rendered)."""
    return re.compile(rb"(?>" + _LINE + rb"\n)*+" + _LINE)
