"""``--exclude GLOB``: paths a directory walk passes over, matched the way ``.gitignore`` matches.

A pattern is matched against the path of each file and directory the walk meets, relative to
the scan root it was found under (the PATH given on the command line), with ``/`` separators:

* ``*`` matches any characters except ``/``; ``?`` one character except ``/``; ``[abc]``,
  ``[a-z]`` and ``[!abc]`` one character of (or not of) a set; ``\\`` makes the next character
  literal.
* ``**`` as a whole segment matches any number of directories: ``**/x`` is ``x`` at any depth,
  ``x/**`` everything inside ``x`` (not ``x`` itself), ``a/**/b`` is ``b`` any number of
  directories (zero included) below ``a``. ``**`` inside a segment (``a**b``) is ``*``.
* A pattern with no ``/`` except a trailing one matches a name at any depth: ``testdata`` is
  every file or directory named ``testdata``, ``*_test.yaml`` every such file. A pattern with a
  ``/`` at its start or in its middle is anchored at the scan root (a leading ``/`` only
  anchors).
* A trailing ``/`` matches directories only.
* Matching is case-sensitive. A matched directory is not entered. Negation (``!pattern``) is
  not supported and refused, as is an empty pattern.

Sources: the pattern format of https://git-scm.com/docs/gitignore#_pattern_format .
"""

from __future__ import annotations

import re

import msgspec

from kubecurrent.errors import UsageError

__all__ = ["ExcludeRules", "Pattern"]


class Pattern(msgspec.Struct, frozen=True):
    """One ``--exclude`` pattern, compiled."""

    text: str
    regex: re.Pattern[str]
    directories_only: bool

    @classmethod
    def parse(cls, text: str) -> Pattern:
        """The compiled pattern; raises UsageError naming the pattern when it cannot be used."""
        body = text.strip()
        if not body or body.strip("/") == "":
            raise UsageError(
                f"--exclude {text!r}: an empty pattern would match nothing",
                hint="give a glob such as 'testdata/**' or '**/*_test.yaml'",
            )
        if body.startswith("!"):
            raise UsageError(
                f"--exclude {text!r}: negation ('!') is not supported",
                hint="list only what to exclude; everything else is scanned",
            )
        directories_only = body.endswith("/")
        body = body.rstrip("/")
        anchored = "/" in body
        segments = body.lstrip("/").split("/")
        prefix = "" if anchored or segments[0] == "**" else "(?:.*/)?"
        return cls(text, re.compile(prefix + _segments(segments, text) + r"\Z"), directories_only)

    def matches(self, relative: str, is_dir: bool) -> bool:
        """Whether ``relative`` (a path below the scan root, ``/``-separated) is excluded."""
        return (is_dir or not self.directories_only) and self.regex.match(relative) is not None


def _segments(segments: list[str], text: str) -> str:
    out = ""
    last = len(segments) - 1
    for i, segment in enumerate(segments):
        if segment == "**":
            out += "(?:.*/)?" if i < last else ".*"
            if i == last and i > 0:
                out = out[: -len(".*")] + ".+"  # x/** is what is inside x, not x itself
            continue
        out += _segment(segment, text) + ("/" if i < last else "")
    return out


def _segment(segment: str, text: str) -> str:
    """One path segment's glob as a regular expression (never crossing ``/``)."""
    out, i = "", 0
    while i < len(segment):
        c = segment[i]
        if c == "\\" and i + 1 < len(segment):
            out, i = out + re.escape(segment[i + 1]), i + 2
        elif c == "*":
            while i < len(segment) and segment[i] == "*":
                i += 1
            out += "[^/]*"
        elif c == "?":
            out, i = out + "[^/]", i + 1
        elif c == "[":
            end = segment.find("]", i + 2 if segment[i + 1 : i + 2] in ("!", "]") else i + 1)
            if end < 0:
                raise UsageError(
                    f"--exclude {text!r}: '[' opens a character set that is never closed",
                    hint=r"close it with ']' or write '\[' for a literal bracket",
                )
            body = segment[i + 1 : end]
            negate = body.startswith("!")
            body = body[1:] if negate else body
            body = body.replace("\\", "\\\\").replace("^", "\\^")
            out += "[" + ("^/" if negate else "") + body + "]"
            i = end + 1
        else:
            out, i = out + re.escape(c), i + 1
    return out


class ExcludeRules(msgspec.Struct, frozen=True):
    """Every ``--exclude`` pattern of a scan."""

    patterns: tuple[Pattern, ...] = ()

    @classmethod
    def parse(cls, texts: tuple[str, ...] | list[str]) -> ExcludeRules:
        return cls(tuple(Pattern.parse(t) for t in texts))

    def __bool__(self) -> bool:
        return bool(self.patterns)

    def matching(self, relative: str, is_dir: bool) -> str | None:
        """The first pattern that excludes a path below a scan root (``/``-separated, no
        leading ``/``), as the user wrote it; None when it is not excluded."""
        return next((p.text for p in self.patterns if p.matches(relative, is_dir)), None)
