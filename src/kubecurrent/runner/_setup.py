"""How one cluster is upgraded: its providers, drainer, Helm or GitOps add-ons, health gate and
audit, wired into an ``Executor`` (for ``kubecurrent upgrade``, rollouts and the dashboard)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from lightkube import KubeConfig

from kubecurrent.catalog import Catalog
from kubecurrent.collect.clouds import PROVIDERS, CloudRef, title_of
from kubecurrent.collect.cluster import ClusterTarget
from kubecurrent.errors import UsageError
from kubecurrent.execute import (
    Audit,
    AuditLog,
    Clock,
    CloudOptions,
    ClusterApiProvider,
    Drainer,
    DrainOptions,
    Executor,
    Gate,
    HealthGate,
    HelmAddons,
    Kube,
    PromQLCheck,
    PromQLGate,
    Providers,
    Runtime,
    check_prometheus_url,
    connect,
    connect_target,
    find_clusters,
    providers_for,
    step_actions,
)
from kubecurrent.model.inventory import ClusterInventory
from kubecurrent.model.plan import ClusterPlan, Step
from kubecurrent.runner._modes import gitops_addons
from kubecurrent.sandbox import HELM, SandboxProvider, binary_path, sandbox_for_server

__all__ = [
    "Setup",
    "audit_path",
    "build_executor",
    "cluster_api",
    "default_audit_path",
    "health_gate",
    "promql_flags",
    "providers",
]


@dataclass(frozen=True)
class Setup:
    catalog: Catalog
    kubeconfig: Path
    context: str | None
    dry_run: bool = False
    yes: bool = False
    step_by_step: bool = False
    provider: str = "auto"
    addon_chart: Mapping[str, str] = field(default_factory=dict)
    helm_binary: Path | None = None
    force_unsafe: bool = False
    node_timeout: float = 300.0
    roll_timeout: float = 1800.0
    gate_timeout: float = 180.0
    helm_timeout: float = 300.0
    audit_log: Path | None = None
    gitops_repo: str | None = None
    gitops_branch: str | None = None
    gitops_sync_timeout: float = 600.0
    gitops_no_chart_index: bool = False
    capi_cluster: str | None = None
    capi_kubeconfig: Path | None = None
    capi_context: str | None = None
    capi: ClusterApiProvider | None = None
    """The Cluster API provider ``cluster_api`` found (it also supplies the observed versions)."""
    prometheus_url: str | None = None
    health_query: tuple[str, ...] = ()
    prometheus_ca: Path | None = None
    prometheus_timeout: float | None = None
    promql: tuple[PromQLCheck, ...] = ()
    """More PromQL checks (a rollout strategy's ``health:``), besides the command line's."""
    cloud: CloudRef | None = None
    """The managed cloud's cluster upgraded (reached and changed through the cloud's API)."""
    eks_force: bool = False
    eks_addon_conflicts: str = "PRESERVE"

    def __post_init__(self) -> None:
        if self.capi_cluster and self.provider in ("none", "sandbox", "kubeadm", *PROVIDERS):
            raise UsageError(
                f"--capi-cluster needs --provider cluster-api or auto, not {self.provider}"
            )
        cloud = self.cloud.provider if self.cloud else None
        if self.provider in PROVIDERS and cloud != self.provider:
            title = title_of(self.provider)
            raise UsageError(
                f"--provider {self.provider} upgrades {title} clusters, and this one was not "
                f"reached through {title}",
                hint=f"select it with --discover {self.provider} or a {self.provider}: fleet "
                "entry (for `upgrade`: --eks-cluster REGION/NAME or --gke-cluster "
                "PROJECT/LOCATION/NAME)",
            )
        if self.cloud is not None and self.provider not in ("auto", cloud, "none"):
            raise UsageError(
                f"{self.cloud} cannot be upgraded with --provider {self.provider}",
                hint=f"use --provider {cloud} (or auto)",
            )
        self.promql_checks()  # refuse bad flags before anything runs

    def promql_checks(self) -> tuple[PromQLCheck, ...]:
        flags = promql_flags(
            self.prometheus_url,
            self.health_query,
            self.prometheus_ca,
            self.prometheus_timeout,
            self.gate_timeout,
        )
        return (*flags, *self.promql)


def promql_flags(
    url: str | None,
    queries: tuple[str, ...],
    ca: Path | None,
    timeout: float | None,
    gate_timeout: float,
) -> tuple[PromQLCheck, ...]:
    """The PromQL check the command line asks for (none without --health-query); its timeout
    is ``timeout`` (--prometheus-timeout) or else ``gate_timeout``."""
    if not queries:
        if url or ca or timeout:
            raise UsageError(
                "--prometheus-url, --prometheus-ca and --prometheus-timeout need --health-query",
                hint="add --health-query PROMQL, e.g. --health-query 'sum(up{job=\"apiserver\"}) >= 1'",
            )
        return ()
    if not url:
        raise UsageError(
            "--health-query needs --prometheus-url",
            hint="name the Prometheus to ask, e.g. --prometheus-url http://127.0.0.1:9090",
        )
    check_prometheus_url(url)
    return (PromQLCheck(url, queries, ca, timeout or gate_timeout),)


def health_gate(
    kube: Kube,
    clock: Clock,
    gate_timeout: float,
    checks: tuple[PromQLCheck, ...],
    audit: Audit,
) -> Gate:
    """The cluster's ``HealthGate``, wrapped by a ``PromQLGate`` when PromQL checks are given."""
    gate = HealthGate(kube, clock, gate_timeout)
    return PromQLGate(gate, checks, audit, clock) if checks else gate


def default_audit_path() -> Path:
    return Path.home() / ".local" / "state" / "kubecurrent" / "audit.jsonl"


def audit_path(setup: Setup) -> Path:
    return setup.audit_log or default_audit_path()


def _server(kubeconfig: Path, context: str | None) -> str:
    try:
        single = KubeConfig.from_file(kubeconfig).get(context_name=context)
    except Exception as exc:  # lightkube's ConfigError, or the YAML or OS error under it
        raise UsageError(
            f"cannot use kubeconfig {kubeconfig} context {context or '(current)'}: {exc}",
            hint="check --kubeconfig and --context (kubectl config get-contexts)",
        ) from None
    if single is None:
        raise UsageError(f"no context {context!r} in {kubeconfig}")
    return str(single.cluster.server)


def cluster_api(setup: Setup, audit: Audit) -> ClusterApiProvider | None:
    """The Cluster API provider for the target, or None when another provider applies.

    ``--capi-cluster NAMESPACE/NAME`` names the Cluster; without it, the management cluster's
    Clusters whose ``spec.controlPlaneEndpoint`` is the target's API server are looked up (with
    ``--provider auto`` only when the target is not a sandbox); exactly one must match.
    """
    if setup.provider in ("none", "sandbox", "kubeadm", *PROVIDERS) or setup.cloud is not None:
        return None
    server = _server(setup.kubeconfig, setup.context)
    if setup.provider == "auto" and not setup.capi_cluster and sandbox_for_server(server):
        return None
    mgmt_config = setup.capi_kubeconfig or setup.kubeconfig
    mgmt_context = setup.capi_context or (None if setup.capi_kubeconfig else setup.context)
    mgmt = connect(mgmt_config, mgmt_context)
    if setup.capi_cluster:
        namespace, sep, name = setup.capi_cluster.partition("/")
        if not sep or not namespace or not name:
            raise UsageError(
                f"--capi-cluster {setup.capi_cluster!r}: write NAMESPACE/NAME",
                hint="e.g. --capi-cluster default/prod (kubectl get clusters -A)",
            )
    else:
        found = find_clusters(mgmt, server)
        if len(found) != 1:
            if setup.provider == "auto" and not found:
                return None
            listed = ", ".join(f"{ns}/{n}" for ns, n in found) or "none"
            raise UsageError(
                f"Cluster API Clusters on {mgmt_config} whose controlPlaneEndpoint is {server}: "
                f"{listed}; expected exactly one",
                hint="name it with --capi-cluster NAMESPACE/NAME (and the management cluster "
                "with --capi-kubeconfig/--capi-context)",
            )
        namespace, name = found[0]
    return ClusterApiProvider(mgmt, namespace, name, audit, timeout=setup.roll_timeout)


def providers(setup: Setup, audit: Audit) -> Providers:
    if setup.provider == "none":
        return Providers()
    if setup.cloud is not None:
        options = CloudOptions(
            timeout=setup.roll_timeout,
            eks_force=setup.eks_force,
            eks_addon_conflicts=setup.eks_addon_conflicts,
        )
        return providers_for(setup.cloud, audit, options)
    if setup.capi is not None:
        return Providers(control_plane=setup.capi, node_pools=setup.capi)
    server = _server(setup.kubeconfig, setup.context)
    name = sandbox_for_server(server)
    if name is None:
        if setup.provider == "sandbox":
            raise UsageError(
                f"no running sandbox serves {server}",
                hint="start one with `kubecurrent sandbox up`, or use --provider none",
            )
        return Providers()  # kubeadm and managed-cloud providers are not written yet
    provider = SandboxProvider(name)
    return Providers(control_plane=provider, node_pools=provider)


def build_executor(
    setup: Setup,
    plan: ClusterPlan,
    collect: Callable[[], ClusterInventory],
    cluster: str,
    audit: Audit | None = None,
    tell: Callable[[str], None] = lambda _msg: None,
    confirm: Callable[[Step], bool] = lambda _step: True,
) -> Executor:
    """The executor of ``plan`` on ``cluster``; ``tell`` hears its progress, ``confirm`` is asked
    before each step (``--step-by-step``)."""
    clock = Clock()
    if audit is None:
        audit = setup.capi.audit if setup.capi else AuditLog(audit_path(setup), cluster)
    if setup.cloud is not None:
        kube = connect_target(ClusterTarget(name=cluster, cloud=setup.cloud))
    else:
        kube = connect(setup.kubeconfig, setup.context)
    drain = DrainOptions(node_timeout=setup.node_timeout, force_unsafe=setup.force_unsafe)
    helm = None
    gitops = gitops_addons(
        Path(setup.gitops_repo) if setup.gitops_repo else None,
        setup.gitops_branch,
        setup.gitops_sync_timeout,
        setup.catalog,
        plan,
        collect,
        audit,
        clock,
        setup.dry_run,
        chart_index=not setup.gitops_no_chart_index,
    )
    generic_addons = any(s.type == "addon" and s.managed_by is None for s in plan.steps)
    if gitops is None and generic_addons:
        helm = HelmAddons(
            setup.helm_binary or binary_path(HELM, "helm"),
            kube,
            setup.kubeconfig,
            setup.context,
            setup.addon_chart,
            audit,
            setup.helm_timeout,
        )
    runtime = Runtime(
        catalog=setup.catalog,
        providers=providers(setup, audit),
        drainer=Drainer(kube, audit, drain, clock),
        audit=audit,
        clock=clock,
        helm=helm,
        gitops=gitops.upgrade if gitops else None,
        roll_timeout=setup.roll_timeout,
    )
    return Executor(
        plan=plan,
        actions=step_actions(runtime),
        collect=collect,
        gate=health_gate(kube, clock, setup.gate_timeout, setup.promql_checks(), audit),
        audit=audit,
        clock=clock,
        confirm=confirm,
        tell=tell,
    )
