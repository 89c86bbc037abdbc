"""How clusters are upgraded, wired once for every interface (CLI, dashboard, controller).

``Setup`` and ``build_executor`` assemble one cluster's executor (providers, drainer, Helm or
GitOps add-ons, health and PromQL gates, audit); ``SandboxAwareRun`` is a rollout's per-cluster
``ClusterRun`` built on them; ``RunSettings`` is what every cluster of a rollout shares. The
runner options (``DEFAULTS``) are recorded with a rollout (``to_record``) and read back
(``from_record``, ``settings_from``), so a resume, the dashboard or a controller upgrades the
clusters exactly as the rollout was started; ``RecordedRunners`` is that ``RunnerSource``.
This layer sits below the interfaces and above the sandbox: it prints nothing and asks nothing.
"""

from kubecurrent.runner._modes import gitops_addons, server_of, wants_runbook
from kubecurrent.runner._options import (
    DEFAULTS,
    RUNNER_OPTIONS,
    from_record,
    in_force,
    settings_from,
    to_record,
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
    "from_record",
    "gitops_addons",
    "health_gate",
    "in_force",
    "promql_flags",
    "providers",
    "server_of",
    "settings_from",
    "to_record",
    "wants_runbook",
]
