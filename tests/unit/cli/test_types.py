"""Durations and counts typed on the command line are checked where they are typed (#18)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from kubecurrent.cli._app import _register, root


@pytest.mark.parametrize("value", ["nan", "inf", "-5", "0", "1e12"])
def test_a_timeout_that_cannot_be_waited_for_is_refused(value: str) -> None:
    _register()
    result = CliRunner().invoke(root, ["upgrade", "--node-timeout", value, "--target", "1.37"])
    assert result.exit_code == 2
    assert "is not a usable number of seconds" in result.output


def test_a_concurrency_of_zero_is_refused_instead_of_waiting_forever() -> None:
    _register()
    result = CliRunner().invoke(root, ["inventory", "--concurrency", "0"])
    assert result.exit_code == 2 and "at least 1 is needed" in result.output
