"""The fast reader's grammar decides a document line by line: a document it refuses late (here a
flow sequence over two lines) after many lines it could read in several ways (plain text with
trailing blanks, as shell scripts in block scalars have) is refused at once, not after trying
every way of reading the lines before (exponential: a scan of such a ConfigMap never ended)."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kubecurrent.analyze import body_fields
from kubecurrent.collect.files import Document, read_file

LINES = 60
DOC = (
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: script\ndata:\n  run.sh: |\n"
    + "    echo some words   \n" * LINES
    + "  list: [one,\n    two]\n"
)


@contextmanager
def no_hang(seconds: int) -> Iterator[None]:
    """Turns a read that never ends into a failure (it takes milliseconds)."""

    def stop(signum: int, frame: object) -> None:
        raise AssertionError(f"still reading after {seconds} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_a_document_refused_late_is_refused_at_once_and_read_in_full(tmp_path: Path) -> None:
    path = tmp_path / "configmap.yaml"
    path.write_text(DOC)
    with no_hang(30):
        fast = list(read_file(path, body_fields=body_fields))
    careful = list(read_file(path))
    assert [(i.kind, i.name, i.line) for i in fast if isinstance(i, Document)] == [
        ("ConfigMap", "script", 1)
    ]
    assert fast == careful
