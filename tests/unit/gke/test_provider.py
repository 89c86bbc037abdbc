"""The GKE provider's decisions against a test double of the ClusterManager client (Google
cannot be reached from the tests): it answers with the SDK's own message types and records the
calls. The same paths run end to end against the GKE double in tests/integration/gke/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from google.cloud import container_v1 as gke

from kubecurrent.collect.clouds import GkeRef
from kubecurrent.execute import AuditLog, Clock, PermanentStepError, read_audit
from kubecurrent.execute._gke import GkeOptions, GkeProvider

REF = GkeRef("shop", "europe-west1", "web")
LINK = "https://container.googleapis.com/v1/" + REF.path
RUNNING, DONE = gke.Operation.Status.RUNNING, gke.Operation.Status.DONE


class ClusterManagerDouble:
    """Test double of ``ClusterManagerClient``: a master at ``version``, one node pool,
    operations that finish after ``polls`` reads."""

    def __init__(self, version: str = "1.36.3-gke.1200", channel: int = 2) -> None:
        self.version, self.channel = version, channel
        self.pool_version = version
        self.calls: list[tuple[str, str]] = []
        self.ops: dict[str, list[gke.Operation]] = {}
        self.running: list[gke.Operation] = []
        self.fail = ""

    def get_cluster(self, name: str) -> gke.Cluster:
        self.calls.append(("get_cluster", name))
        return gke.Cluster(
            name="web",
            current_master_version=self.version,
            release_channel=gke.ReleaseChannel(channel=self.channel),
        )

    def get_server_config(self, name: str) -> gke.ServerConfig:
        return gke.ServerConfig(
            valid_master_versions=["1.37.2-gke.1200", "1.36.3-gke.1200"],
            valid_node_versions=["1.37.2-gke.1200", "1.36.3-gke.1200", "1.35.4-gke.1200"],
            channels=[
                gke.ServerConfig.ReleaseChannelConfig(
                    channel=2,
                    valid_versions=["1.37.2-gke.1200", "1.37.1-gke.900", "1.36.3-gke.1200"],
                ),
                gke.ServerConfig.ReleaseChannelConfig(
                    channel=3, valid_versions=["1.36.3-gke.1200", "1.35.4-gke.1200"]
                ),
            ],
        )

    def get_node_pool(self, name: str) -> gke.NodePool:
        if not name.endswith("/default-pool"):
            from google.api_core.exceptions import NotFound

            raise NotFound("Not found: " + name)
        return gke.NodePool(
            name="default-pool",
            version=self.pool_version,
            config=gke.NodeConfig(image_type="COS_CONTAINERD"),
            upgrade_settings=gke.NodePool.UpgradeSettings(max_surge=1),
        )

    def list_operations(self, parent: str) -> gke.ListOperationsResponse:
        return gke.ListOperationsResponse(operations=self.running)

    def _op(self, name: str, then: Any) -> gke.Operation:
        error = self.fail
        final = gke.Operation(name=name, status=DONE, status_message=error)
        if error:
            final.error = {"code": 13, "message": error}
        self.ops[name] = [gke.Operation(name=name, status=RUNNING), final]
        if not error:
            then()
        return gke.Operation(name=name, status=RUNNING)

    def update_master(self, name: str, master_version: str) -> gke.Operation:
        self.calls.append(("update_master", master_version))
        return self._op("operation-m", lambda: setattr(self, "version", master_version))

    def update_node_pool(self, request: dict[str, str]) -> gke.Operation:
        req = gke.UpdateNodePoolRequest(request)  # what the SDK would send
        assert (
            req.name == REF.path + "/nodePools/default-pool" and req.image_type == "COS_CONTAINERD"
        )
        self.calls.append(("update_node_pool", req.node_version))
        return self._op("operation-p", lambda: setattr(self, "pool_version", req.node_version))

    def get_operation(self, name: str) -> gke.Operation:
        short = name.rsplit("/", 1)[-1]
        assert name == f"projects/shop/locations/europe-west1/operations/{short}"
        states = self.ops[short]
        return states.pop(0) if len(states) > 1 else states[0]


@pytest.fixture
def api() -> ClusterManagerDouble:
    return ClusterManagerDouble()


def _provider(api: ClusterManagerDouble, tmp_path: Path) -> GkeProvider:
    audit = AuditLog(tmp_path / "audit.jsonl", "web")
    return GkeProvider(REF, audit, GkeOptions(poll=0.0), Clock(sleep=lambda _s: None), api=api)


def _audit(tmp_path: Path) -> list[dict[str, Any]]:
    return read_audit(tmp_path / "audit.jsonl")


def test_master_goes_to_the_newest_version_its_channel_offers_then_the_pool_follows(
    api: ClusterManagerDouble, tmp_path: Path
) -> None:
    provider = _provider(api, tmp_path)
    assert provider.upgrade_control_plane("1.37") == "1.37.2-gke.1200"
    assert provider.roll_pool("default-pool", "1.37", 60) == (
        "GKE upgraded the nodes of default-pool to 1.37.2-gke.1200 (surge (maxSurge 1, "
        "maxUnavailable 0))"
    )
    assert [c for c in api.calls if c[0].startswith("update")] == [
        ("update_master", "1.37.2-gke.1200"),
        ("update_node_pool", "1.37.2-gke.1200"),
    ]
    actions = [(r["action"], r.get("outcome")) for r in _audit(tmp_path)]
    assert actions == [
        ("gke.UpdateMaster", "ok"),
        ("gke.operation-done", "ok"),
        ("gke.UpdateNodePool", "ok"),
        ("gke.operation-done", "ok"),
    ]
    assert provider.upgrade_control_plane("1.37") == "1.37.2-gke.1200 (already)"


def test_a_failed_operation_stops_the_step_with_gkes_message(
    api: ClusterManagerDouble, tmp_path: Path
) -> None:
    api.fail = "Internal error: the master could not be upgraded"
    with pytest.raises(PermanentStepError) as err:
        _provider(api, tmp_path).upgrade_control_plane("1.37")
    assert "GKE operation operation-m (master of GKE cluster projects/shop" in err.value.message
    assert "the master could not be upgraded" in err.value.message
    assert "rollout resume" in (err.value.hint or "")
    assert _audit(tmp_path)[-1]["outcome"] == "failed"


def test_a_minor_the_channel_does_not_offer_is_refused_before_any_change(tmp_path: Path) -> None:
    api = ClusterManagerDouble(channel=3)  # STABLE: up to 1.36
    with pytest.raises(PermanentStepError) as err:
        _provider(api, tmp_path).upgrade_control_plane("1.37")
    assert "GKE does not offer Kubernetes 1.37 on the STABLE channel in europe-west1" in (
        err.value.message
    )
    assert "1.35, 1.36" in (err.value.hint or "")
    assert not [c for c in api.calls if c[0].startswith("update")]


def test_resume_waits_for_the_running_operation_instead_of_starting_another(
    api: ClusterManagerDouble, tmp_path: Path
) -> None:
    api.running = [
        gke.Operation(
            name="operation-auto",
            operation_type=gke.Operation.Type.UPGRADE_MASTER,
            status=RUNNING,
            target_link=LINK,
        )
    ]
    api.ops["operation-auto"] = [gke.Operation(name="operation-auto", status=DONE)]

    def finished() -> gke.Operation:
        api.version = "1.37.2-gke.1200"
        api.running = []
        return gke.Operation(name="operation-auto", status=DONE)

    api.get_operation = lambda name: finished()  # type: ignore[method-assign]
    assert _provider(api, tmp_path).upgrade_control_plane("1.37") == "1.37.2-gke.1200 (already)"
    assert not [c for c in api.calls if c[0].startswith("update")]
    found = [r for r in _audit(tmp_path) if r["action"] == "gke.operation-found"]
    assert found and "waiting for it instead of starting another" in found[0]["detail"]


def test_a_pool_gke_does_not_manage_is_refused(api: ClusterManagerDouble, tmp_path: Path) -> None:
    with pytest.raises(PermanentStepError, match="is not a GKE node pool"):
        _provider(api, tmp_path).roll_pool("self-made", "1.37", 60)
