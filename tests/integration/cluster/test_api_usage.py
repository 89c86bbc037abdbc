"""Objects written through APIs a later version removes are found, with who wrote them."""

from __future__ import annotations

import json
import uuid

from lightkube.generic_resource import create_global_resource
from lightkube.models.apps_v1 import DeploymentSpec
from lightkube.models.core_v1 import Container, PodSpec, PodTemplateSpec
from lightkube.models.meta_v1 import LabelSelector, ObjectMeta
from lightkube.resources.apps_v1 import Deployment

from kubecurrent.catalog import Catalog
from kubecurrent.model.findings import EvidenceSource
from tests.integration.cluster.conftest import collect, findings
from tests.integration.conftest import SessionSandbox

FlowSchemaV1beta3 = create_global_resource(
    "flowcontrol.apiserver.k8s.io", "v1beta3", "FlowSchema", "flowschemas"
)


def _flowschema(name: str) -> object:
    return FlowSchemaV1beta3(
        metadata=ObjectMeta(name=name),
        spec={
            "priorityLevelConfiguration": {"name": "global-default"},
            "matchingPrecedence": 9100,
            "rules": [
                {
                    "subjects": [{"kind": "Group", "group": {"name": f"{name}-clients"}}],
                    "resourceRules": [
                        {
                            "verbs": ["get"],
                            "apiGroups": ["*"],
                            "resources": ["*"],
                            "namespaces": ["*"],
                        }
                    ],
                }
            ],
        },
    )


def test_managed_fields_name_the_writer_of_a_removed_api(
    cluster131: SessionSandbox, catalog: Catalog
) -> None:
    name = f"legacy-{uuid.uuid4().hex[:6]}"
    cluster131.client().create(_flowschema(name), field_manager="legacy-operator")

    inv = collect(cluster131, catalog)
    hits = [
        f
        for f in findings(inv, catalog, "1.32")
        if f.rule == "KC-API-REMOVED"
        and f.source is EvidenceSource.MANAGED_FIELDS
        and f.object.kind == "FlowSchema"
    ]

    assert hits, "no managedFields finding for the v1beta3 FlowSchema"
    hit = next(f for f in hits if "legacy-operator" in f.message)
    assert hit.object.api_version == "flowcontrol.apiserver.k8s.io/v1beta3"
    assert name in hit.message
    assert hit.replacement == "flowcontrol.apiserver.k8s.io/v1"
    assert hit.location.rendered_from == "managedFields manager legacy-operator"


def test_one_deployment_list_gives_its_api_usage_its_add_on_images_and_its_drain_blocker(
    cluster131: SessionSandbox, ns131: str, catalog: Catalog
) -> None:
    applied = {"apiVersion": "extensions/v1beta1", "kind": "Deployment"}  # kubectl's record
    annotations = {"kubectl.kubernetes.io/last-applied-configuration": json.dumps(applied)}
    labels = {"app": "ingress"}
    cluster131.client().create(
        Deployment(
            metadata=ObjectMeta(name="ingress", namespace=ns131, annotations=annotations),
            spec=DeploymentSpec(
                replicas=1,
                selector=LabelSelector(matchLabels=labels),
                template=PodTemplateSpec(
                    metadata=ObjectMeta(labels=labels),
                    spec=PodSpec(
                        containers=[
                            Container(
                                name="c", image="registry.k8s.io/ingress-nginx/controller:v1.9.4"
                            )
                        ]
                    ),
                ),
            ),
        ),
        field_manager="old-deployer",
    )

    inv = collect(cluster131, catalog)

    applied_use = [
        e
        for e in inv.api_evidence
        if e.source == EvidenceSource.LAST_APPLIED.value and e.kind == "Deployment"
    ]
    assert [(e.api_version, f"{ns131}/ingress" in e.examples) for e in applied_use] == [
        ("extensions/v1beta1", True)
    ], applied_use
    assert f"{ns131}/ingress" in {f"{b.namespace}/{b.name}" for b in inv.drain_blockers}
    assert any(a.name == "ingress-nginx" for a in inv.addons), inv.addons
    assert not [lim for lim in inv.limitations if "Deployment" in lim.check], inv.limitations


def test_deprecated_api_metric_is_read_from_the_api_server(
    cluster131: SessionSandbox, catalog: Catalog
) -> None:
    client = cluster131.client()
    list(client.list(FlowSchemaV1beta3))  # a request to the deprecated API

    inv = collect(cluster131, catalog)

    metric = [e for e in inv.api_evidence if e.source == EvidenceSource.METRICS.value]
    assert any(
        e.api_version == "flowcontrol.apiserver.k8s.io/v1beta3" and e.kind == "FlowSchema"
        for e in metric
    )
    hits = [f for f in findings(inv, catalog, "1.32") if f.source is EvidenceSource.METRICS]
    assert any(
        f.rule == "KC-API-REMOVED" and "apiserver_requested_deprecated_apis" in f.message
        for f in hits
    )


def test_without_metrics_the_metric_is_not_read(
    cluster131: SessionSandbox, catalog: Catalog
) -> None:
    inv = collect(cluster131, catalog, read_metrics=False)
    assert not [e for e in inv.api_evidence if e.source == EvidenceSource.METRICS.value]


def test_node_pools_eol_and_skew_of_a_live_cluster(
    cluster131: SessionSandbox, catalog: Catalog
) -> None:
    inv = collect(cluster131, catalog)

    pools = {p.name: p for p in inv.node_pools}
    assert pools["default"].nodes == 2 and str(pools["default"].kubelet) == "v1.31.13"
    assert pools["old"].label == "kubecurrent.dev/node-pool"
    assert str(pools["old"].kubelet) == "v1.29.4"
    assert inv.end_of_life_passed is True
    rules = {f.rule for f in findings(inv, catalog, "1.33")}
    assert {"KC-EOL", "KC-SKEW"} <= rules
