"""The cluster commands' progress: drawn by rich where it could show, silent (rich not even
imported) where it could not."""

from __future__ import annotations

import io
import os

import pytest

from kubecurrent.cli._clusters import may_draw, progress
from kubecurrent.collect.cluster import ClusterTarget


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("environ", "stderr", "expected"),
    [
        ({}, io.StringIO(), False),  # a pipe or a file
        ({}, _Tty(), True),
        ({"FORCE_COLOR": "1"}, io.StringIO(), True),  # rich decides
        ({"TTY_COMPATIBLE": "1"}, io.StringIO(), True),
        ({"TTY_COMPATIBLE": ""}, io.StringIO(), False),
        ({}, object(), False),  # no isatty at all
    ],
)
def test_a_bar_may_be_drawn_on_a_terminal_or_when_the_environment_asks_rich(
    environ: dict[str, str], stderr: object, expected: bool
) -> None:
    assert may_draw(environ, stderr) is expected  # type: ignore[arg-type]


def test_without_a_terminal_the_progress_is_silent_and_takes_every_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("sys.stderr", io.StringIO())
    target = ClusterTarget(name="a")
    with progress([target]) as tell:
        tell(target, "started")
        tell(target, "done")
    assert tell.__name__ == "_silent"


def test_when_the_environment_asks_for_it_rich_draws_each_cluster(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(os.environ, "TTY_COMPATIBLE", "1")
    err = io.StringIO()
    monkeypatch.setattr("sys.stderr", err)
    target = ClusterTarget(name="alpha")
    with progress([target]) as tell:
        tell(target, "listing pods")
    assert tell.__name__ == "tell"
    assert "alpha" in err.getvalue()
