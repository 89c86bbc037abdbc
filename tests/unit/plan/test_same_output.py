"""The planner's speed-ups change nothing a user sees: ``kubecurrent plan -o json`` on a seeded
16-cluster fleet spec (``bench/plan_fleet.py``'s generator, seed 6) prints, byte for byte, the
JSON the planner printed before them (``tests/fixtures/plan/fleet.json``).

When the catalog or the planner's behaviour changes on purpose, regenerate the expected file::

    kubecurrent plan --fleet-spec tests/fixtures/plan/fleet.yaml --target 1.34.13 \
        --replace ingress-nginx=envoy-gateway -o json > tests/fixtures/plan/fleet.json
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from kubecurrent.cli._app import _register, root
from kubecurrent.cli.plan import plan_json
from kubecurrent.model.plan import ClusterPlan, FleetPlan, Step
from kubecurrent.plan import group_paths

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "plan"


def test_the_json_plan_of_a_generated_fleet_is_unchanged_byte_for_byte() -> None:
    _register()
    args = ["plan", "--fleet-spec", str(FIXTURES / "fleet.yaml"), "--target", "1.34.13"]
    args += ["--replace", "ingress-nginx=envoy-gateway", "-o", "json"]
    result = CliRunner().invoke(root, args)
    expected = (FIXTURES / "fleet.json").read_text()
    assert result.exit_code == 3, result.output  # two clusters are blocked (see below)
    assert json.loads(result.output) == json.loads(expected)  # a readable diff first
    assert result.output == expected
    statuses = [c["status"] for c in json.loads(expected)["clusters"]]
    assert statuses.count("blocked") == 2 and len(statuses) == 16


def _fleet_with_names(*names: str) -> FleetPlan:
    step = Step(1, "check", "control-plane", "1.33.2", "1.33.2", "why", "without", 0)
    plans = [
        ClusterPlan(name=n, status="ok", from_version="1.33.2", target="1.33.2", steps=(step,))
        for n in names
    ]
    return FleetPlan(target="1.33", clusters=tuple(plans), groups=group_paths(plans))


@pytest.mark.parametrize(
    "names",
    [
        ("plain", 'with "quotes" and \\ and tab\t and newline\n', "ctl \x00\x1f"),
        ("café", "雪"),  # not ASCII: the standard library escapes it, msgspec would not
        ("del \x7f",),  # ASCII, but the standard library escapes DEL
    ],
    ids=["ascii-escapes", "non-ascii", "del"],
)
def test_the_fast_json_writer_writes_the_standard_librarys_bytes(names: tuple[str, ...]) -> None:
    fleet = _fleet_with_names(*names)
    assert plan_json(fleet) == json.dumps(fleet.to_json(), indent=2, default=str).encode()
