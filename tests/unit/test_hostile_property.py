"""Generated hostile input never produces a traceback, and nothing is written outside tmp (#18).

Hypothesis writes YAML-ish bytes — tags, anchors, aliases, YAML 1.1 values, control characters,
invalid UTF-8, duplicate keys, deep nesting — and odd file names, then feeds them to every reader
of user files and to ``scan files`` through the CLI. Each must end in a result or a clear
``KubecurrentError`` (the CLI: exit code 0, 2, 3 or 4 with ``error:`` text for failures), never
another exception, and the only files that may appear are the inputs themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kubecurrent.catalog import build, data_dir, load_catalog
from kubecurrent.cli._app import _register, root
from kubecurrent.collect.cluster import load_fleet_file
from kubecurrent.collect.fleet_spec import load_fleet_spec
from kubecurrent.errors import KubecurrentError
from kubecurrent.rollout import load_strategy
from kubecurrent.useryaml import load_user_yaml
from kubecurrent.web import UsersFile

ATOMS = [
    "apiVersion: v1",
    "apiVersion: extensions/v1beta1",
    "kind: Deployment",
    "kind: [x]",
    "metadata:",
    "  name: web",
    "  name: [1, 2]",
    "  namespace: {a: b}",
    "name: 22:00",
    "start: 2200",
    "from: 2024-02-30",
    "x: =",
    "y: yes",
    "z: !!python/object:os.system x",
    "t: !custom {a: 1}",
    "a: &anchor {b: 1}",
    "c: *anchor",
    "d: *missing",
    "<<: *anchor",
    "clusters:",
    "  - name: a",
    "    kubernetes: '1.30.1'",
    "waves:",
    "  - {name: w}",
    "users:",
    "  - {name: u, role: operator, passwordHash: 'scrypt$1$1$1$$'}",
    "e: 99999999999999999999999999999",
    "f: .nan",
    "g: 0o777",
    "---",
    "...",
    "- a",
    "  - [",
    "'unclosed",
    '"\\x1b[31mred"',
    "key: value  # comment",
    "? complex",
]
CHUNK = st.one_of(
    st.sampled_from(ATOMS).map(str.encode),
    st.binary(max_size=12),
    st.text(max_size=12).map(lambda t: t.encode("utf-8", "surrogatepass")),
)
DOCUMENT = st.lists(CHUNK, max_size=25).map(b"\n".join)
NAMES = st.text(
    alphabet=st.characters(blacklist_characters="/\0", blacklist_categories=("Cs",)),
    min_size=1,
    max_size=20,
).filter(lambda n: n not in (".", "..") and len(n.encode()) < 200)


def _snapshot(directory: Path) -> set[str]:
    return {str(p.relative_to(directory)) for p in directory.rglob("*")}


def _outside_untouched(work: Path, before: set[str]) -> None:
    assert _snapshot(work.parent) - before <= {work.name}, "something was written outside"


READERS: dict[str, Callable[[Path], Any]] = {
    "user yaml": lambda p: load_user_yaml(p, "file"),
    "fleet spec": lambda p: load_fleet_spec(p, load_catalog()),
    "fleet file": lambda p: load_fleet_file(p),
    "strategy": load_strategy,
    "users file": UsersFile.load,
    "catalog extra": lambda p: build(data_dir(), [p]),
}


@pytest.mark.parametrize("reader", sorted(READERS))
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=DOCUMENT)
def test_readers_give_a_result_or_a_clear_error(
    reader: str, data: bytes, tmp_path_factory: pytest.TempPathFactory
) -> None:
    work = tmp_path_factory.mktemp("reader")
    path = work / "input.yaml"
    path.write_bytes(data)
    before = _snapshot(work.parent)
    try:
        READERS[reader](path)
    except KubecurrentError as exc:
        assert exc.message.strip(), "an error without a message"
    _outside_untouched(work, before)
    assert path.read_bytes() == data


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(files=st.dictionaries(NAMES, DOCUMENT, min_size=1, max_size=4))
def test_scan_files_never_tracebacks_on_hostile_files(
    files: dict[str, bytes], tmp_path_factory: pytest.TempPathFactory
) -> None:
    work = tmp_path_factory.mktemp("scan")
    for name, data in files.items():
        (work / f"{name}.yaml").write_bytes(data)
    before = _snapshot(work.parent)
    _register()
    for args in ([str(work)], [str(work), "-o", "json"], [str(p) for p in work.iterdir()]):
        result = CliRunner().invoke(root, ["scan", "files", "--target", "1.37", *args])
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        assert result.exit_code in (0, 1, 2, 3, 4), result.output
    _outside_untouched(work, before)
    for name, data in files.items():
        assert (work / f"{name}.yaml").read_bytes() == data
