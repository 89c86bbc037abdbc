"""Executing a plan on one cluster: providers, drains, Helm add-ons, health gates, audit.

``Executor`` walks a ``ClusterPlan`` step by step; ``step_actions`` binds the step types to a
``Runtime`` (providers for the control plane and node pools, a ``Drainer`` using the Eviction
API, ``HelmAddons``); ``HealthGate`` runs between steps, optionally wrapped by ``PromQLGate`` (PromQL queries against a
Prometheus that must hold); every action lands in an ``AuditLog``.
Errors are ``PermanentStepError`` (stop) or ``RetryableStepError`` (retried by ``RetryPolicy``).
This layer never imports the sandbox: its provider is injected by the CLI. ``ClusterApiProvider``
upgrades Cluster API clusters through their management cluster (topology version, or the
KubeadmControlPlane then each MachineDeployment) and rolls node pools as a managed roll;
``EksProvider`` upgrades Amazon EKS clusters through the EKS API (control plane, managed node
groups, EKS add-ons), waiting for each EKS update and resuming one in progress.
"""

from kubecurrent.execute._actions import Runtime, step_actions
from kubecurrent.execute._aks import AksOptions, AksProvider, aks_minor_steps
from kubecurrent.execute._audit import Audit, AuditLog, audit_record, read_audit
from kubecurrent.execute._capi import ClusterApiProvider
from kubecurrent.execute._capi_api import find_clusters
from kubecurrent.execute._capi_rules import endpoint_matches
from kubecurrent.execute._charts import Chart, choose_chart, is_repo_chart
from kubecurrent.execute._clock import Clock
from kubecurrent.execute._clouds import CloudOptions, cloud_steps, providers_for
from kubecurrent.execute._drain import Drainer, DrainOptions, DrainReport
from kubecurrent.execute._eks import Conflicts, EksOptions, EksProvider, eks_minor_steps
from kubecurrent.execute._errors import (
    PermanentStepError,
    RetryableStepError,
    RetryPolicy,
    StepError,
)
from kubecurrent.execute._executor import (
    ExecutionReport,
    Executor,
    Gate,
    StepProgress,
    StepResult,
)
from kubecurrent.execute._health import Baseline, HealthGate
from kubecurrent.execute._helm import HelmAddons, chart_source, find_release
from kubecurrent.execute._kube import Kube, connect, connect_target
from kubecurrent.execute._promql import (
    TOKEN_ENV,
    Prometheus,
    PromQLCheck,
    PromQLGate,
    Verdict,
    check_prometheus_url,
    evaluate,
    redact_url,
    tls_context,
)
from kubecurrent.execute._provider import (
    ControlPlaneProvider,
    ManagedAddonProvider,
    ManagedPoolProvider,
    NodeImageProvider,
    NodePoolProvider,
    Providers,
)
from kubecurrent.execute._select import select_pods, selector_matches
from kubecurrent.execute._verify import already_done, effect_missing, unsupported

__all__ = [
    "TOKEN_ENV",
    "AksOptions",
    "AksProvider",
    "Audit",
    "AuditLog",
    "Baseline",
    "Chart",
    "Clock",
    "CloudOptions",
    "ClusterApiProvider",
    "Conflicts",
    "ControlPlaneProvider",
    "DrainOptions",
    "DrainReport",
    "Drainer",
    "EksOptions",
    "EksProvider",
    "ExecutionReport",
    "Executor",
    "Gate",
    "HealthGate",
    "HelmAddons",
    "Kube",
    "ManagedAddonProvider",
    "ManagedPoolProvider",
    "NodeImageProvider",
    "NodePoolProvider",
    "PermanentStepError",
    "PromQLCheck",
    "PromQLGate",
    "Prometheus",
    "Providers",
    "RetryPolicy",
    "RetryableStepError",
    "Runtime",
    "StepError",
    "StepProgress",
    "StepResult",
    "Verdict",
    "aks_minor_steps",
    "already_done",
    "audit_record",
    "chart_source",
    "check_prometheus_url",
    "choose_chart",
    "cloud_steps",
    "connect",
    "connect_target",
    "effect_missing",
    "eks_minor_steps",
    "endpoint_matches",
    "evaluate",
    "find_clusters",
    "find_release",
    "is_repo_chart",
    "providers_for",
    "read_audit",
    "redact_url",
    "select_pods",
    "selector_matches",
    "step_actions",
    "tls_context",
    "unsupported",
]
