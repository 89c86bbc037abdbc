"""Charts whose own ``kubeVersion`` constraint excludes the target (helm would refuse them)."""

from __future__ import annotations

from pathlib import Path

from kubecurrent.analyze._context import Context
from kubecurrent.collect.files import ChartInfo
from kubecurrent.model.constraint import ConstraintError, satisfies
from kubecurrent.model.findings import (
    Category,
    EvidenceSource,
    Finding,
    Location,
    ObjectRef,
    ScanError,
    Severity,
    Status,
)


def check_chart(chart: ChartInfo, ctx: Context) -> Finding | ScanError | None:
    if not chart.kube_version:
        return None
    target = (ctx.target.major, ctx.target.minor, 0)
    chart_file = str(Path(chart.path) / "Chart.yaml")
    try:
        ok = satisfies(target, chart.kube_version)
    except ConstraintError as exc:
        return ScanError(file=chart_file, message=f"kubeVersion: {exc}")
    if ok:
        return None
    return Finding(
        rule="KC-CHART-KUBEVERSION",
        severity=Severity.ERROR,
        status=Status.REMOVED,
        object=ObjectRef(api_version="", kind="Chart", name=chart.name),
        category=Category.CHART,
        location=Location(file=chart_file, line=1, rendered_from=chart.path),
        source=EvidenceSource.HELM_CHART,
        message=f"chart {chart.name} {chart.version} requires kubeVersion "
        f"{chart.kube_version!r}, which excludes {ctx.target}",
        fix_by=str(ctx.target),
        remediation="upgrade to a chart release whose kubeVersion includes "
        f"{ctx.target} before upgrading the cluster",
    )
