"""docs/rollout.md names the runner options recorded with a rollout: every flag of `rollout
start` that lands in ``RunnerSettings`` (the record) is named there, and nothing else is."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import click
import pytest

from kubecurrent.cli._app import _register, root
from kubecurrent.rollout import RunnerSettings

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]
PROMQL = {"--prometheus-url", "--health-query", "--prometheus-ca", "--prometheus-timeout"}


def test_the_recorded_options_are_the_runner_settings() -> None:
    _register()
    rollout = root.commands["rollout"]
    assert isinstance(rollout, click.Group)
    fields = {f.name for f in dataclasses.fields(RunnerSettings)}
    recorded = {
        p.opts[-1]
        for p in rollout.commands["start"].params
        if p.name in fields and not (isinstance(p, click.Option) and p.hidden)
    }
    text = " ".join((ROOT / "docs" / "rollout.md").read_text(encoding="utf-8").split())
    paragraph = text.split("**Runner options are recorded with the rollout.**", 1)[1]
    paragraph = paragraph.split(" is stored in the state file", 1)[0]
    assert "the PromQL flags" in paragraph and recorded >= PROMQL
    assert set(re.findall(r"`(--[a-z-]+)`", paragraph)) == recorded - PROMQL
