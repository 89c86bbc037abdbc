"""Several sandboxes started side by side, all or nothing, and stopped side by side, leaving no
process behind."""

from __future__ import annotations

import threading
from pathlib import Path

import psutil
import pytest
from lightkube.resources.core_v1 import Node

from kubecurrent import sandbox as sb
from kubecurrent.errors import SandboxStateError, UsageError
from tests.integration.conftest import SessionSandbox

pytestmark = pytest.mark.integration


def _options(name: str, version: str = "1.36") -> sb.UpOptions:
    return sb.UpOptions(name, version, (sb.parse_pool("default=1", "1.36"),), timeout=300)


def _processes_of(home: Path, name: str) -> list[str]:
    """Command lines of live processes started for sandbox ``name`` (its run directory in argv)."""
    where = str(home / name)
    found = []
    for proc in psutil.process_iter(["cmdline", "status"]):
        cmdline = proc.info["cmdline"] or []
        if proc.info["status"] != psutil.STATUS_ZOMBIE and any(where in a for a in cmdline):
            found.append(" ".join(cmdline))
    return found


def test_sandboxes_start_side_by_side_and_all_stop_though_one_name_is_unknown(
    sandbox_home: Path,
) -> None:
    seen: list[tuple[str, bool]] = []

    def started(state: sb.SandboxState) -> None:
        seen.append((state.name, threading.current_thread() is threading.main_thread()))

    states = sb.up_many([_options("many-a"), _options("many-b")], started)
    assert [s.name for s in states] == ["many-a", "many-b"]  # in the order asked
    assert sorted(seen) == [("many-a", True), ("many-b", True)]  # reported in the caller's thread
    assert states[0].ports.keys() == states[1].ports.keys()
    assert not set(states[0].ports.values()) & set(states[1].ports.values())
    for name in ("many-a", "many-b"):
        assert sb.load(name) is not None and sb.load(name).phase() == "running"  # type: ignore[union-attr]
        nodes = SessionSandbox(name, sandbox_home).client().list(Node)
        assert len(list(nodes)) == 1, name
        assert _processes_of(sandbox_home, name), name

    with pytest.raises(SandboxStateError, match="many-gone"):
        sb.down_many(["many-a", "many-gone", "many-b"])
    for name in ("many-a", "many-b"):  # stopped although the name between them was unknown
        assert sb.load(name) is None, name
        assert _processes_of(sandbox_home, name) == [], name


def test_when_one_sandbox_fails_to_start_the_others_are_stopped(sandbox_home: Path) -> None:
    with pytest.raises(UsageError, match=r"Kubernetes 1\.29 is not one of the versions"):
        sb.up_many([_options("many-ok"), _options("many-old", "1.29")])
    assert sb.load("many-ok") is None and sb.load("many-old") is None
    assert _processes_of(sandbox_home, "many-ok") == []
    assert "many-ok" not in sb.names()


def test_a_name_given_twice_is_refused_before_anything_starts(sandbox_home: Path) -> None:
    with pytest.raises(UsageError, match="given more than once: twice") as refused:
        sb.up_many([_options("twice"), _options("once"), _options("twice")])
    assert refused.value.hint == "give each sandbox its own name"
    assert sb.load("twice") is None and sb.load("once") is None
