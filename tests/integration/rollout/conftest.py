"""Rollout fixtures: a fresh sandbox fleet per test, a fleet file, and the CLI as users run it."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from kubecurrent import sandbox as sb
from tests.integration.conftest import SessionSandbox, guard, start_sandboxes


@dataclass(frozen=True)
class FleetMember:
    box: SessionSandbox
    labels: dict[str, str]


@dataclass
class Fleet:
    members: list[FleetMember]
    path: Path
    """The fleet file naming every member."""
    state: Path
    """The rollout state file of this test."""

    def box(self, name: str) -> SessionSandbox:
        return next(m.box for m in self.members if m.box.name == name)


def write_fleet(members: Sequence[FleetMember], path: Path) -> Path:
    for m in members:
        guard(m.box, m.box.kubeconfig)
    data = {
        "defaults": {"timeout": 60},
        "clusters": [
            {
                "name": m.box.name,
                "kubeconfig": str(m.box.kubeconfig),
                "context": m.box.name,
                "labels": m.labels,
            }
            for m in members
        ],
    }
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@contextlib.contextmanager
def sandbox_fleet(
    home: Path,
    tmp: Path,
    spec: Sequence[tuple[str, str, tuple[str, ...], dict[str, str]]],
) -> Iterator[Fleet]:
    """Sandboxes (name, version, pools, labels), stopped afterwards whatever happens."""
    boxes = start_sandboxes(home, [(name, version, pools) for name, version, pools, _ in spec])
    members = [FleetMember(box, labels) for box, (*_, labels) in zip(boxes, spec, strict=True)]
    try:
        yield Fleet(members, write_fleet(members, tmp / "fleet.yaml"), tmp / "rollouts.db")
    finally:
        with contextlib.suppress(Exception):
            sb.down_many(b.name for b in boxes if sb.load(b.name) is not None)


def rollout_cmd(fleet: Fleet, *args: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "kubecurrent",
        "rollout",
        *args,
        "--state",
        str(fleet.state),
    ]


def run_rollout(fleet: Fleet, *args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    """``kubecurrent rollout ARGS --state …`` as a user runs it."""
    return subprocess.run(
        rollout_cmd(fleet, *args),
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "KUBECURRENT_ACTOR": "alice"},
    )


@pytest.fixture
def fleet_tmp(tmp_path: Path) -> Path:
    return tmp_path
