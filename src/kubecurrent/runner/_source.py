"""Where the runners of a rollout come from in a process that drives rollouts it did not
start: the settings recorded with each rollout."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kubecurrent.rollout import ClusterRef, ClusterRun, RunnerFactory, RunnerSettings
from kubecurrent.runner._options import DEFAULTS, RUNNER_OPTIONS, from_values, run_settings
from kubecurrent.runner._run import SandboxAwareRun

__all__ = ["RecordedRunners"]


@dataclass(frozen=True)
class RecordedRunners:
    """The ``RunnerSource`` of a process that drives rollouts it may not have started (the
    dashboard, a controller): clusters are upgraded as `kubecurrent rollout` upgrades them (the
    sandbox provider for sandboxes), with the settings each rollout was started with; one
    started here records this process's runner settings (those of `rollout start`, without
    --today). The day is taken when a rollout is driven, so a long-running process stays right."""

    settings: RunnerSettings

    @classmethod
    def checked(cls, flags: Mapping[str, Any]) -> RecordedRunners:
        """From the serve command's runner flags; bad ones stop the server from starting."""
        values = {n: flags.get(n, DEFAULTS[n]) for n in RUNNER_OPTIONS} | {"today": None}
        settings = from_values(values)
        run_settings(settings, lambda _m: None)
        return cls(settings)

    def record(self) -> RunnerSettings:
        return self.settings

    def factory(self, recorded: RunnerSettings | None) -> RunnerFactory:
        log = logging.getLogger(__name__)
        settings = run_settings(recorded if recorded is not None else self.settings, log.info)

        def make(ref: ClusterRef) -> ClusterRun:
            return SandboxAwareRun(ref, settings)

        return make
