"""The CRDs on a real API server: valid objects are stored, invalid ones refused at admission
with the field named, status only through its subresource, printer columns served."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx2
import pytest
from lightkube import Client
from lightkube.core.exceptions import ApiError
from lightkube.types import PatchType

from kubecurrent.kubestate import FleetUpgrade, MemberCluster, crd_documents, install_crds
from tests.integration.conftest import SessionSandbox, guard

pytestmark = pytest.mark.integration

MERGE = PatchType.MERGE


@pytest.fixture(scope="module")
def crds(cluster: SessionSandbox) -> Iterator[Client]:
    client = cluster.client()
    assert install_crds(client, "kubecurrent-tests") == [
        "memberclusters.kubecurrent.io",
        "fleetupgrades.kubecurrent.io",
        "clusterupgrades.kubecurrent.io",
    ]
    yield client


def fleet_upgrade(namespace: str, name: str, spec: dict[str, Any]) -> Any:
    return FleetUpgrade(metadata={"name": name, "namespace": namespace}, spec=spec)


def refused(client: Client, obj: Any) -> str:
    with pytest.raises(ApiError) as caught:
        client.create(obj)
    assert caught.value.status.code == 422, caught.value.status.message
    return str(caught.value.status.message)


GOOD = {
    "target": "1.37",
    "clusterSelector": {"matchLabels": {"fleet": "eu"}},
    "strategy": {
        "waves": [
            {"name": "canary", "select": {"env": "dev"}, "count": 1, "soak": "30s"},
            {"name": "rest", "approval": True, "concurrency": 3},
        ],
        "blackouts": [{"from": "2026-12-21", "to": "2027-01-05", "reason": "freeze"}],
    },
}


def test_a_valid_fleet_upgrade_is_stored_with_defaults(crds: Client, namespace: str) -> None:
    made = crds.create(fleet_upgrade(namespace, "to-137", GOOD))
    waves = made["spec"]["strategy"]["waves"]
    assert waves[0]["concurrency"] == 1 and waves[0]["approval"] is False  # schema defaults
    assert made["spec"]["paused"] is False


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"target": "latest"}, "spec.target"),
        (
            {"strategy": {"waves": [{"name": "w", "count": 1, "percent": 10}]}},
            "give count or percent, not both",
        ),
        ({"strategy": {"waves": [{"name": "a"}, {"name": "a"}]}}, "wave names must be unique"),
        ({"strategy": {"waves": [{"name": "a", "soak": "soon"}]}}, "spec.strategy.waves[0].soak"),
        (
            {"strategy": {"waves": [{"name": "a", "concurrency": 0}]}},
            "spec.strategy.waves[0].concurrency",
        ),
        (
            {"strategy": {"blackouts": [{"from": "2027-01-05", "to": "2026-12-21"}]}},
            "`to` must be after `from`",
        ),
        (
            {"strategy": {"windows": [{"start": "25:00", "duration": "1h"}]}},
            "spec.strategy.windows[0].start",
        ),
        ({"runner": {"provider": "openstack"}}, "spec.runner.provider"),
        ({"approvals": [{"wave": "rest"}]}, "spec.approvals[0].by"),
        (
            {"strategy": {"notify": {"webhooks": [{"url": {"env": "A", "file": "/b"}}]}}},
            "spec.strategy.notify.webhooks[0].url",
        ),
        (
            {"strategy": {"notify": {"webhooks": [{"url": "https://h/" + "x" * 600}]}}},
            "spec.strategy.notify.webhooks[0].url",
        ),
        (
            {"strategy": {"notify": {"slack": [{"url": {"env": "A", "file": "/b"}}]}}},
            "give exactly one of env: NAME or file: PATH",
        ),
        ({"strategy": {"notify": {"events": ["sometimes"]}}}, "spec.strategy.notify.events[0]"),
        (
            {"strategy": {"notify": {"email": [{"host": "h", "from": "a@b", "to": ["nobody"]}]}}},
            "spec.strategy.notify.email[0].to[0]",
        ),
    ],
)
def test_an_invalid_fleet_upgrade_is_refused_naming_the_field(
    crds: Client, namespace: str, change: dict[str, Any], said: str
) -> None:
    message = refused(crds, fleet_upgrade(namespace, "bad", {**GOOD, **change}))
    assert said in message


NOTIFY = {
    "dashboard": "https://kubecurrent.example.com",
    "events": ["started", "approval", "done"],
    "retry": {"attempts": 3, "delay": "1s"},
    "webhooks": [
        {"name": "bus", "url": "https://hooks.example.com/kc", "secret": {"env": "HOOK_KEY"}},
        {"name": "hidden", "url": {"file": "/etc/kubecurrent/notify/hook-url"}},
    ],
    "slack": [{"url": {"env": "SLACK_URL"}, "events": ["approval"]}],
    "email": [
        {
            "host": "smtp.example.com",
            "from": "kc@example.com",
            "to": ["cab@example.com"],
            "username": "kc",
            "password": {"file": "/etc/kubecurrent/notify/smtp"},
        }
    ],
}


def test_a_notify_section_is_stored_as_written(crds: Client, namespace: str) -> None:
    spec = {**GOOD, "strategy": {**GOOD["strategy"], "notify": NOTIFY}}  # type: ignore[dict-item]
    made = crds.create(fleet_upgrade(namespace, "told", spec))
    assert made["spec"]["strategy"]["notify"] == NOTIFY  # nothing pruned


def test_a_member_cluster_needs_its_secret_reference(crds: Client, namespace: str) -> None:
    bad = MemberCluster(metadata={"name": "m1", "namespace": namespace}, spec={"provider": "eks"})
    assert "spec.kubeconfigSecretRef" in refused(crds, bad)
    good = MemberCluster(
        metadata={"name": "m1", "namespace": namespace, "labels": {"env": "dev"}},
        spec={"kubeconfigSecretRef": {"name": "m1-kubeconfig"}},
    )
    made = crds.create(good)
    assert made["spec"]["kubeconfigSecretRef"]["key"] == "kubeconfig"
    assert made["spec"]["provider"] == "auto"


def test_status_changes_only_through_the_status_subresource(crds: Client, namespace: str) -> None:
    made = crds.create(fleet_upgrade(namespace, "sub", GOOD))
    made["status"] = {"phase": "done"}
    assert "status" not in crds.replace(made)  # the main resource ignores status
    change = {"status": {"phase": "running"}}
    ignored = crds.patch(FleetUpgrade, "sub", change, namespace=namespace, patch_type=MERGE)
    assert "status" not in ignored
    patched = crds.patch(FleetUpgrade.Status, "sub", change, namespace=namespace, patch_type=MERGE)
    assert patched["status"]["phase"] == "running"
    bad = {"status": {"phase": "finished"}}
    with pytest.raises(ApiError) as caught:
        crds.patch(FleetUpgrade.Status, "sub", bad, namespace=namespace, patch_type=MERGE)
    assert caught.value.status.code == 422
    assert "status.phase" in str(caught.value.status.message)


def test_kubectl_get_shows_the_printer_columns(
    crds: Client, cluster: SessionSandbox, namespace: str
) -> None:
    crds.create(fleet_upgrade(namespace, "cols", GOOD))
    crds.patch(
        FleetUpgrade.Status,
        "cols",
        {
            "status": {
                "phase": "running",
                "currentWave": "canary",
                "clusters": {"total": 4, "done": 1, "failed": 0},
            }
        },
        namespace=namespace,
        patch_type=MERGE,
    )
    table = _table(cluster, f"/apis/kubecurrent.io/v1alpha1/namespaces/{namespace}/fleetupgrades")
    columns = [c["name"] for c in table["columnDefinitions"]]
    assert columns == ["Name", "Target", "Phase", "Done", "Failed", "Total", "Wave", "Age"]
    (row,) = table["rows"]
    assert row["cells"][:7] == ["cols", "1.37", "running", 1, 0, 4, "canary"]


def test_the_shipped_documents_are_what_the_server_serves(crds: Client) -> None:
    from lightkube.resources.apiextensions_v1 import CustomResourceDefinition

    for doc in crd_documents():
        served = crds.get(CustomResourceDefinition, doc.body["metadata"]["name"])
        assert served.spec.versions[0].additionalPrinterColumns is not None
        assert len(served.spec.versions[0].additionalPrinterColumns) == len(
            doc.body["spec"]["versions"][0]["additionalPrinterColumns"]
        )


def _table(box: SessionSandbox, path: str) -> dict[str, Any]:
    """The Table kubectl asks for (the same Accept header), through the sandbox's credentials."""
    from lightkube import KubeConfig
    from lightkube.config.client_adapter import Client as RawClient
    from lightkube.config.client_adapter import ConnectionParams

    guard(box, box.kubeconfig)
    config = KubeConfig.from_file(box.kubeconfig).get()
    with RawClient(config, ConnectionParams(timeout=httpx2.Timeout(30), trust_env=False)) as raw:
        reply = raw.get(path, headers={"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io"})
        reply.raise_for_status()
        table: dict[str, Any] = reply.json()
        return table
