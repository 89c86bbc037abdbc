"""The API server, not kubecurrent, enforces PodDisruptionBudgets on evictions."""

from __future__ import annotations

from lightkube import Client, codecs
from lightkube.core.exceptions import ApiError
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.core_v1 import Pod
from lightkube.resources.policy_v1 import PodDisruptionBudget

from tests.integration.conftest import SessionSandbox, wait_for


def running_pods(client: Client, namespace: str) -> list[Pod]:
    return [
        p
        for p in client.list(Pod, namespace=namespace, labels={"app": "web"})
        if p.status and p.status.phase == "Running" and not p.metadata.deletionTimestamp
    ]


def deploy_web(client: Client, namespace: str, min_available: int) -> None:
    client.create(
        codecs.from_dict(
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": "web", "namespace": namespace},
                "spec": {
                    "replicas": 3,
                    "selector": {"matchLabels": {"app": "web"}},
                    "template": {
                        "metadata": {"labels": {"app": "web"}},
                        "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]},
                    },
                },
            }
        )
    )
    client.create(
        codecs.from_dict(
            {
                "apiVersion": "policy/v1",
                "kind": "PodDisruptionBudget",
                "metadata": {"name": "web", "namespace": namespace},
                "spec": {
                    "minAvailable": min_available,
                    "selector": {"matchLabels": {"app": "web"}},
                },
            }
        )
    )


def evict(client: Client, pod: Pod) -> None:
    name, ns = pod.metadata.name, pod.metadata.namespace
    client.create(
        Pod.Eviction(metadata=ObjectMeta(name=name, namespace=ns)), name=name, namespace=ns
    )


def pdb_observed(client: Client, namespace: str, healthy: int, allowed: int) -> bool:
    pdb = client.get(PodDisruptionBudget, "web", namespace=namespace)
    s = pdb.status
    return bool(
        s
        and s.currentHealthy == healthy
        and s.disruptionsAllowed == allowed
        and s.observedGeneration == pdb.metadata.generation
    )


def test_eviction_is_refused_by_pdb_then_allowed_once_relaxed(
    cluster: SessionSandbox, namespace: str
) -> None:
    client = cluster.client()
    deploy_web(client, namespace, min_available=3)
    wait_for(lambda: len(running_pods(client, namespace)) == 3, "3 web pods Running")
    nodes = {p.spec.nodeName for p in running_pods(client, namespace)}
    assert nodes <= {"default-0", "default-1", "default-2"}
    wait_for(
        lambda: pdb_observed(client, namespace, healthy=3, allowed=0),
        "PDB status: 0 disruptions allowed",
    )

    victim = running_pods(client, namespace)[0]
    try:
        evict(client, victim)
        raise AssertionError("the API server accepted an eviction that violates the PDB")
    except ApiError as exc:
        assert exc.status.code == 429, exc.status
        assert "disruption budget" in (exc.status.message or "")
    assert victim.metadata.name in {p.metadata.name for p in running_pods(client, namespace)}

    client.patch(PodDisruptionBudget, "web", {"spec": {"minAvailable": 2}}, namespace=namespace)
    wait_for(
        lambda: pdb_observed(client, namespace, healthy=3, allowed=1),
        "PDB status: 1 disruption allowed",
    )
    evict(client, victim)

    def replaced() -> bool:
        names = {p.metadata.name for p in running_pods(client, namespace)}
        return len(names) == 3 and victim.metadata.name not in names

    wait_for(replaced, "the ReplicaSet to replace the evicted pod")
