"""The one reader for the YAML files users write: no silent surprises (issue #18)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubecurrent.catalog import load_catalog
from kubecurrent.collect.fleet_spec import load_fleet_spec
from kubecurrent.errors import UsageError
from kubecurrent.rollout import parse_strategy
from kubecurrent.useryaml import load_user_yaml, parse_user_yaml


def test_values_keep_the_meaning_they_look_like() -> None:
    data = parse_user_yaml(
        "start: 22:00\nlong: 1:30:00\nday: 2024-02-30\nflag: yes\nsw: off\nop: =\n"
        "octal: 0o17\nhex: 0x1f\nplain: 010\nreal: true\nnum: 1.5\nnothing: ~\n",
        "s.yaml",
        "strategy",
    )
    assert data == {
        "start": "22:00",  # YAML 1.1 would read 1320 (base 60)
        "long": "1:30:00",
        "day": "2024-02-30",  # an invalid date is a string the field's parser reports
        "flag": "yes",
        "sw": "off",
        "op": "=",
        "octal": 15,
        "hex": 31,
        "plain": 10,  # not YAML 1.1's octal 8
        "real": True,
        "num": 1.5,
        "nothing": None,
    }


def test_a_key_written_twice_names_both_lines() -> None:
    with pytest.raises(UsageError) as err:
        parse_user_yaml("clusters: []\nname: a\nclusters: [x]\n", "fleet.yaml", "fleet spec")
    assert err.value.message == (
        "fleet.yaml, line 3, column 1: the key 'clusters' is written twice (lines 1 and 3)"
    )
    nested = "a:\n  apiVersion: v1\n  kind: X\n  apiVersion: v2\n"
    with pytest.raises(UsageError, match=r"'apiVersion' is written twice \(lines 2 and 4\)"):
        parse_user_yaml(nested, "x.yaml", "fleet file")


def test_bad_bytes_and_bad_syntax_name_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "users.yaml"
    bad.write_bytes(b"users:\n  - name: \xe9lise\n")
    with pytest.raises(UsageError) as err:
        load_user_yaml(bad, "users file")
    assert f"{bad}, line 2: not UTF-8 text" in err.value.message
    assert err.value.hint == "save the users file as UTF-8"

    with pytest.raises(UsageError, match=r"s.yaml, line 2, column 1: not valid YAML"):
        parse_user_yaml("waves: [\n", "s.yaml", "rollout strategy")
    with pytest.raises(UsageError, match="cannot read"):
        load_user_yaml(tmp_path / "missing.yaml", "fleet spec")
    with pytest.raises(UsageError, match="is a directory"):
        load_user_yaml(tmp_path, "fleet spec")


def test_a_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_bytes(b"\xef\xbb\xbfname: x\n")
    assert load_user_yaml(path, "fleet file") == {"name": "x"}


STRATEGY = """
waves:
  - {{name: all}}
windows:
  - {{name: nights, start: {start}, duration: 4h}}
"""


def test_an_unquoted_window_time_is_the_time_it_looks_like() -> None:
    strategy = parse_strategy(STRATEGY.format(start="22:00"), "s.yaml")
    assert str(strategy.windows[0].start) == "22:00:00"


@pytest.mark.parametrize("start", ["2200", "25:00", "22.5"])
def test_a_window_time_that_is_not_a_clock_time_is_refused(start: str) -> None:
    with pytest.raises(UsageError) as err:
        parse_strategy(STRATEGY.format(start=start), "s.yaml")
    assert "windows.0.start" in err.value.message
    assert 'write it quoted as HH:MM, e.g. start: "22:00"' in err.value.message


def test_an_invalid_blackout_date_names_the_field() -> None:
    text = "waves: [{name: all}]\nblackouts:\n  - {from: 2024-02-30, to: 2024-03-02}\n"
    with pytest.raises(UsageError) as err:
        parse_strategy(text, "s.yaml")
    assert "blackouts.0.from" in err.value.message


def test_a_fleet_spec_with_a_duplicate_key_is_refused(tmp_path: Path) -> None:
    spec = tmp_path / "fleet.yaml"
    spec.write_text("clusters:\n  - name: a\n    kubernetes: '1.30.1'\n    kubernetes: '1.25.0'\n")
    with pytest.raises(UsageError, match=r"'kubernetes' is written twice \(lines 3 and 4\)"):
        load_fleet_spec(spec, load_catalog())
