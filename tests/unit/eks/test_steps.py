"""Which way each step goes for an EKS cluster, how an EKS add-on step is verified, and EKS's
insights beside our findings."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from kubecurrent.analyze.cluster import check_inventory
from kubecurrent.catalog import load_catalog
from kubecurrent.execute import (
    AuditLog,
    Clock,
    PermanentStepError,
    Providers,
    Runtime,
    effect_missing,
    step_actions,
)
from kubecurrent.model import MinorVersion
from kubecurrent.model.inventory import ClusterInventory
from kubecurrent.model.managed import EksCluster, ManagedAddon, SupportType, UpgradeInsight
from kubecurrent.model.plan import Step


class EksAddonsDouble:
    """Test double of the EKS add-on API: records the updates it is asked for."""

    name = "eks"

    def __init__(self) -> None:
        self.updates: list[tuple[str, str, float]] = []

    def update_addon(self, addon: str, version: str, timeout: float) -> str:
        self.updates.append((addon, version, timeout))
        return f"{addon} at {version}"


def _step(target: str, to: str, managed_by: str | None) -> Step:
    return Step.read(
        {"order": 1, "type": "addon", "target": target, "from": "v1", "to": to}
        | {"why": "w", "without": "x", "hop": 1, "managed_by": managed_by}
    )


def _inventory(version: str) -> ClusterInventory:
    eks = EksCluster(
        name="orders",
        region="eu-west-1",
        account="111122223333",
        arn="arn:aws:eks:eu-west-1:111122223333:cluster/orders",
        minor="1.36",
        platform_version="eks.10",
        status="ACTIVE",
        support_type=SupportType.STANDARD,
        addons=(ManagedAddon(name="coredns", version=version, status="ACTIVE"),),
    )
    return ClusterInventory(name="orders", control_plane="1.36.2", managed=eks)


def test_eks_addon_steps_go_to_the_eks_api_and_others_need_helm(tmp_path: Path) -> None:
    addons = EksAddonsDouble()
    runtime = Runtime(
        catalog=load_catalog(),
        providers=Providers(addons=addons),
        drainer=None,  # type: ignore[arg-type]  # no node-pool step here
        audit=AuditLog(tmp_path / "a.jsonl", "orders"),
        clock=Clock(),
        roll_timeout=42.0,
    )
    action = step_actions(runtime)["addon"]
    inv = _inventory("v1.11.4-eksbuild.2")
    assert action(_step("coredns", "v1.12.4-eksbuild.1", "eks"), inv) == (
        "eks: coredns at v1.12.4-eksbuild.1"
    )
    assert addons.updates == [("coredns", "v1.12.4-eksbuild.1", 42.0)]
    with pytest.raises(PermanentStepError, match="no Helm or GitOps for this add-on"):
        action(_step("cert-manager", "1.16.0", None), inv)


def test_an_eks_addon_step_is_verified_against_what_eks_reports() -> None:
    step = _step("coredns", "v1.12.4-eksbuild.1", "eks")
    assert effect_missing(step, _inventory("v1.12.4-eksbuild.1")) is None
    assert effect_missing(step, _inventory("v1.12.4-eksbuild.10")) is None  # newer build
    assert effect_missing(step, _inventory("v1.11.4-eksbuild.2")) == (
        "EKS add-on coredns is at v1.11.4-eksbuild.2, expected v1.12.4-eksbuild.1"
    )
    gone = ClusterInventory(name="orders", control_plane="1.36.2")
    assert effect_missing(step, gone) == "EKS add-on coredns is not listed by EKS any more"


def test_eks_insights_show_beside_our_findings_up_to_the_target() -> None:
    def insight(i: str, status: str, minor: str) -> UpgradeInsight:
        return UpgradeInsight(
            id=i,
            name=f"Deprecated APIs removed in Kubernetes v{minor}",
            status=status,
            kubernetes_version=minor,
            recommendation="move the clients to flowcontrol v1",
            deprecated_apis=("flowcontrol.apiserver.k8s.io/v1beta3/flowschemas",),
        )

    inv = _inventory("v1.12.4-eksbuild.1")
    assert inv.managed is not None
    eks = inv.managed.model_copy(
        update={
            "insights": (
                insight("a", "ERROR", "1.37"),
                insight("b", "PASSING", "1.37"),
                insight("c", "WARNING", "1.38"),
            )
        }
    )
    inv = inv.model_copy(update={"managed": eks})
    found = [
        f
        for f in check_inventory(inv, load_catalog(), MinorVersion(1, 37), dt.date(2026, 12, 6))
        if f.rule == "KC-EKS-INSIGHT"
    ]
    assert [f.object.name for f in found] == ["a"]
    assert found[0].severity.value == "error"
    assert "flowcontrol.apiserver.k8s.io/v1beta3/flowschemas" in found[0].message
    assert found[0].remediation == "move the clients to flowcontrol v1"
