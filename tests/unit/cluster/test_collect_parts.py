"""Pure parts of the cluster collector: pools, add-ons, Helm records, metrics, audit logs."""

from __future__ import annotations

import base64
import gzip
import json

import pytest

from kubecurrent.catalog import load_catalog
from kubecurrent.collect.cluster._addons import AddonFinder, image_repository, parse_version
from kubecurrent.collect.cluster._audit import summarize_audit
from kubecurrent.collect.cluster._evidence import EvidenceCounter, last_applied_version
from kubecurrent.collect.cluster._helm import (
    ReleaseDecodeError,
    ReleaseSelector,
    decode_release_data,
    summarize,
)
from kubecurrent.collect.cluster._metadata import object_meta
from kubecurrent.collect.cluster._metrics import parse_deprecated_requests
from kubecurrent.collect.cluster._pools import PoolCounter, pool_of
from kubecurrent.collect.cluster._workloads import DrainCounter, workload_from
from kubecurrent.model.findings import EvidenceSource

pytestmark = pytest.mark.unit


def _node(labels: dict[str, str], kubelet: str, proxy: str = "") -> dict[str, object]:
    return {
        "metadata": {"labels": labels},
        "status": {
            "nodeInfo": {
                "kubeletVersion": kubelet,
                "kubeProxyVersion": proxy,
                "containerRuntimeVersion": "containerd://1.7.2",
                "osImage": "Ubuntu 22.04",
            }
        },
    }


@pytest.mark.parametrize(
    ("labels", "pool"),
    [
        ({"eks.amazonaws.com/nodegroup": "ng-1"}, "ng-1"),
        ({"cloud.google.com/gke-nodepool": "pool-a"}, "pool-a"),
        ({"kubernetes.azure.com/agentpool": "sys"}, "sys"),
        ({"agentpool": "legacy"}, "legacy"),
        ({"karpenter.sh/nodepool": "spot"}, "spot"),
        ({"cluster.x-k8s.io/deployment-name": "md-0"}, "md-0"),
        ({"kubecurrent.dev/node-pool": "workers"}, "workers"),
        ({"node-role.kubernetes.io/control-plane": ""}, "control-plane"),
    ],
)
def test_well_known_pool_labels(labels: dict[str, str], pool: str) -> None:
    assert pool_of(labels)[0] == pool


def test_a_cluster_api_machine_pools_nodes_are_named_by_its_owner_annotation() -> None:
    owned = {"cluster.x-k8s.io/owner-kind": "MachinePool", "cluster.x-k8s.io/owner-name": "mp-0"}
    azure = {"kubernetes.azure.com/agentpool": "pool0"}
    assert pool_of(azure, annotations=owned) == ("mp-0", "cluster.x-k8s.io/owner-name")
    assert pool_of({"team": "a"}, "team", owned) == ("a", "team")  # the user's label still wins
    machine_set = {**owned, "cluster.x-k8s.io/owner-kind": "MachineSet"}
    assert pool_of(azure, annotations=machine_set) == ("pool0", "kubernetes.azure.com/agentpool")
    counter = PoolCounter()
    node = _node(azure, "v1.35.4")
    counter.add({**node, "metadata": {"labels": azure, "annotations": owned}})
    (pool,) = counter.result()
    assert (pool.name, pool.label, pool.nodes) == ("mp-0", "cluster.x-k8s.io/owner-name", 1)


def test_user_pool_label_wins_and_pool_keeps_the_oldest_kubelet() -> None:
    counter = PoolCounter(user_label="team")
    counter.add(_node({"team": "a", "karpenter.sh/nodepool": "x"}, "v1.30.4", "v1.30.4"))
    counter.add(_node({"team": "a"}, "v1.29.9"))
    counter.add(_node({"kubernetes.io/arch": "wasm32-wasi", "agentpool": "k"}, "v1.29.0"))
    pools = {p.name: p for p in counter.result()}
    assert set(pools) == {"a", "k"}
    assert str(pools["a"].kubelet) == "v1.29.9" and pools["a"].nodes == 2
    assert pools["a"].kubelet_versions == ("v1.29.9", "v1.30.4")
    assert pools["a"].kube_proxy_versions == ("v1.30.4",) and pools["a"].label == "team"
    assert counter.krustlet_nodes == 1


def test_addons_from_helm_images_and_labels() -> None:
    from kubecurrent.model.inventory import HelmRelease

    finder = AddonFinder(load_catalog())
    finder.image("registry.k8s.io/ingress-nginx/controller:v1.11.2@sha256:abc", "ingress")
    finder.image("mirror.example.com/jetstack/cert-manager-controller:v1.14.0", "cm")
    finder.helm_release(
        HelmRelease(
            name="cm",
            namespace="cm",
            revision=2,
            status="deployed",
            chart="cert-manager",
            chart_version="v1.15.3",
            app_version="v1.15.3",
        )
    )
    finder.crd_group("monitoring.coreos.com")
    found, unversioned = finder.result()
    versions = {a.name: a.version for a in found}
    assert versions["cert-manager"] == "1.15.3"  # the Helm record outranks the image tag
    assert versions.get("ingress-nginx") == "1.11.2"
    assert "prometheus-operator" in unversioned


def test_image_and_version_parsing() -> None:
    assert image_repository("quay.io/a/b:v1.2.3") == ("quay.io/a/b", "v1.2.3")
    assert image_repository("localhost:5000/a/b") == ("localhost:5000/a/b", None)
    assert str(parse_version("v1.12.3-debian-11")) == "1.12.3"
    assert parse_version("latest") is None


def _record(manifest: str, version: int = 1, status: str = "deployed") -> str:
    release = {
        "name": "web",
        "namespace": "apps",
        "version": version,
        "info": {"status": status},
        "chart": {"metadata": {"name": "web", "version": "1.2.0", "appVersion": "3.1"}},
        "manifest": manifest,
    }
    helm_value = base64.b64encode(gzip.compress(json.dumps(release).encode()))
    return base64.b64encode(helm_value).decode()  # what the Secret's data.release holds


MANIFEST = """---
apiVersion: policy/v1beta1
kind: PodDisruptionBudget
metadata: {name: web}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
"""


def test_helm_release_record_is_decoded_and_filtered() -> None:
    decoded = summarize(
        decode_release_data(_record(MANIFEST)), {("policy/v1beta1", "PodDisruptionBudget")}
    )
    r = decoded.release
    assert (r.name, r.namespace, r.revision, r.chart_version, r.app_version) == (
        "web",
        "apps",
        1,
        "1.2.0",
        "3.1",
    )
    assert [(x.api_version, x.kind, x.name, x.namespace) for x in decoded.refs] == [
        ("policy/v1beta1", "PodDisruptionBudget", "web", "apps")
    ]


def test_latest_deployed_revision_wins_unless_all_are_asked_for() -> None:
    records = [
        summarize(decode_release_data(_record("", v, s)), None)
        for v, s in ((1, "superseded"), (2, "deployed"), (3, "failed"))
    ]
    latest, every = ReleaseSelector(), ReleaseSelector(all_revisions=True)
    for rec in records:
        latest.offer(rec)
        every.offer(rec)
    assert [d.release.revision for d in latest.releases()] == [2]
    assert len(every.releases()) == 3


def test_garbage_release_record_raises() -> None:
    with pytest.raises(ReleaseDecodeError):
        decode_release_data(base64.b64encode(b"not base64 !!").decode())


def test_metric_text_parsing() -> None:
    text = (
        "# HELP apiserver_requested_deprecated_apis ...\n"
        'apiserver_requested_deprecated_apis{group="flowcontrol.apiserver.k8s.io",'
        'removed_release="1.32",resource="flowschemas",subresource="",version="v1beta3"} 1\n'
        'apiserver_requested_deprecated_apis{group="",removed_release="",'
        'resource="componentstatuses",subresource="",version="v1"} 0\n'
        "apiserver_request_total 5\n"
    )
    reqs = parse_deprecated_requests(text.splitlines())
    assert len(reqs) == 1
    assert reqs[0].api_version == "flowcontrol.apiserver.k8s.io/v1beta3"
    assert reqs[0].removed_release == "1.32"


def _event(agent: str, stage: str, when: str, deprecated: bool = True) -> str:
    return json.dumps(
        {
            "kind": "Event",
            "apiVersion": "audit.k8s.io/v1",
            "stage": stage,
            "userAgent": agent,
            "stageTimestamp": when,
            "objectRef": {"apiGroup": "batch", "apiVersion": "v1beta1", "resource": "cronjobs"},
            "annotations": {"k8s.io/deprecated": "true"} if deprecated else {},
        }
    )


def test_audit_log_counts_requests_per_user_agent() -> None:
    lines = [
        _event("helm/3.14", "ResponseStarted", "2026-11-01T00:00:00Z"),
        _event("helm/3.14", "ResponseComplete", "2026-11-01T00:00:01Z"),
        _event("helm/3.14", "ResponseComplete", "2026-11-20T10:00:00Z"),
        _event("old-bot/1.0", "ResponseComplete", "2026-10-02T00:00:00Z"),
        "not json",
    ]
    summary = summarize_audit(lines, lambda g, v, r: "CronJob" if r == "cronjobs" else None)
    helm = summary.uses[("batch/v1beta1", "cronjobs", "helm/3.14")]
    assert (helm.count, helm.last_seen, helm.kind) == (2, "2026-11-20T10:00:00Z", "CronJob")
    assert summary.unreadable == 1 and len(summary.uses) == 2


def test_managed_fields_and_last_applied_evidence_is_bounded() -> None:
    counter = EvidenceCounter({("batch/v1beta1", "CronJob")})
    for i in range(50):
        counter.object_metadata(
            "CronJob",
            object_meta(
                {
                    "name": f"job{i}",
                    "namespace": "ns",
                    "managedFields": [
                        {
                            "manager": "argocd-controller",
                            "operation": "Update",
                            "apiVersion": "batch/v1beta1",
                            "time": f"2026-01-{i % 28 + 1:02}",
                        },
                        {"manager": "kube-controller-manager", "apiVersion": "batch/v1"},
                    ],
                    "annotations": {
                        "kubectl.kubernetes.io/last-applied-configuration": '{"apiVersion":"batch/v1beta1","kind":"CronJob"}'
                    },
                }
            ),
        )
    by_source = {e.source: e for e in counter.result()}
    mf = by_source[EvidenceSource.MANAGED_FIELDS.value]
    assert (mf.manager, mf.count, len(mf.examples)) == ("argocd-controller", 50, 5)
    assert by_source[EvidenceSource.LAST_APPLIED.value].count == 50
    assert last_applied_version("{bad") is None


def test_drain_blockers() -> None:
    drain = DrainCounter()
    drain.add_pdb(
        {
            "metadata": {"namespace": "a", "name": "db"},
            "spec": {"selector": {"matchLabels": {"app": "db"}}},
            "status": {"disruptionsAllowed": 0, "expectedPods": 3},
        }
    )
    for name, replicas, app in (("db", 3, "db"), ("web", 4, "web"), ("cron", 1, "c")):
        drain.add_workload(
            "Deployment",
            workload_from(
                {
                    "metadata": {"namespace": "a", "name": name},
                    "spec": {
                        "replicas": replicas,
                        "template": {"metadata": {"labels": {"app": app}}},
                    },
                }
            ),
        )
    reasons = {(b.name, b.reason) for b in drain.blockers}
    assert reasons == {
        ("db", "pdb-zero-disruptions"),
        ("web", "no-pdb"),
        ("cron", "single-replica"),
    }
