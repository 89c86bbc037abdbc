"""The state file is only ever created by `rollout start` and only ever changed if it is ours."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from kubecurrent.cli._app import _register, root
from kubecurrent.errors import UsageError
from kubecurrent.rollout import Store


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def cli(*args: str) -> tuple[int, str]:
    _register()
    result = CliRunner().invoke(root, ["rollout", *args])
    return result.exit_code, result.output


def test_a_read_only_command_on_a_mistyped_path_creates_nothing(tmp_path: Path) -> None:
    typo = tmp_path / "typo" / "dir" / "s.db"
    for command in (["status"], ["list"], ["history"], ["pause", "r-1"], ["resume", "r-1"]):
        code, output = cli(*command, "--state", str(typo))
        assert code == 2, (command, output)
        assert "no rollout state file here" in output
    assert list(tmp_path.iterdir()) == []


def test_another_applications_database_is_refused_untouched(tmp_path: Path) -> None:
    other = tmp_path / "app.db"
    db = sqlite3.connect(other)
    db.execute("CREATE TABLE customers(id INTEGER PRIMARY KEY, name TEXT)")
    db.execute("INSERT INTO customers(name) VALUES ('ada')")
    db.commit()
    db.close()
    before = digest(other)

    with pytest.raises(UsageError) as err:
        Store(other)
    assert "not a kubecurrent state file (it holds: customers)" in err.value.message
    code, output = cli("status", "--state", str(other))
    assert code == 2 and "left untouched" in output

    assert digest(other) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.db"]  # no -wal/-shm either


def test_a_new_file_is_marked_as_ours_and_opens_again(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    Store(path)
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA application_id").fetchone()[0] == 0x6B637572
    db.close()
    Store(path, create=False)  # opens without complaint
