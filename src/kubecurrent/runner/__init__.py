"""How clusters are upgraded, wired once for every interface (CLI, dashboard, controller).

``Setup`` and ``build_executor`` assemble one cluster's executor (providers, drainer, Helm or
GitOps add-ons, health and PromQL gates, audit); ``SandboxAwareRun`` is a rollout's per-cluster
``ClusterRun`` built on them; ``RunSettings`` is what every cluster of a rollout shares. The
runner options (``DEFAULTS``) of a command line become the ``rollout.RunnerSettings`` recorded
with a rollout (``from_values``; ``to_values`` back, ``in_force`` with options given again) and
``run_settings`` builds the ``RunSettings`` from them, so a resume, the dashboard or a controller
upgrades the clusters exactly as the rollout was started; ``RecordedRunners`` is that
``RunnerSource``.
This layer sits below the interfaces and above the sandbox: it prints nothing and asks nothing.
"""

from kubecurrent.runner._modes import gitops_addons, server_of, wants_runbook
from kubecurrent.runner._options import (
    DEFAULTS,
    RUNNER_OPTIONS,
    from_values,
    in_force,
    run_settings,
    to_values,
)
from kubecurrent.runner._run import RunSettings, SandboxAwareRun
from kubecurrent.runner._setup import (
    Setup,
    audit_path,
    build_executor,
    cluster_api,
    default_audit_path,
    health_gate,
    promql_flags,
    providers,
)
from kubecurrent.runner._source import RecordedRunners

__all__ = [
    "DEFAULTS",
    "RUNNER_OPTIONS",
    "RecordedRunners",
    "RunSettings",
    "SandboxAwareRun",
    "Setup",
    "audit_path",
    "build_executor",
    "cluster_api",
    "default_audit_path",
    "from_values",
    "gitops_addons",
    "health_gate",
    "in_force",
    "promql_flags",
    "providers",
    "run_settings",
    "server_of",
    "to_values",
    "wants_runbook",
]
