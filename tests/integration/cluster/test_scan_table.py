"""``scan cluster`` as a table against a real sandbox: the global flags after the verb, cluster
findings named by their kind and severity, placed in the cluster, never an invented object."""

from __future__ import annotations

import re

from click.testing import CliRunner
from lightkube.models.apps_v1 import DeploymentSpec
from lightkube.models.core_v1 import Container, PodSpec, PodTemplateSpec
from lightkube.models.meta_v1 import LabelSelector, ObjectMeta
from lightkube.resources.apps_v1 import Deployment

from kubecurrent.cli._app import _register, root
from tests.integration.conftest import SessionSandbox, guard


def _single_replica(box: SessionSandbox, namespace: str) -> None:
    labels = {"app": "web"}
    box.client().create(
        Deployment(
            metadata=ObjectMeta(name="web", namespace=namespace),
            spec=DeploymentSpec(
                replicas=1,
                selector=LabelSelector(matchLabels=labels),
                template=PodTemplateSpec(
                    metadata=ObjectMeta(labels=labels),
                    spec=PodSpec(containers=[Container(name="web", image="nginx")]),
                ),
            ),
        )
    )


def test_wide_table_names_cluster_findings_by_kind_severity_and_cluster(
    cluster131: SessionSandbox, ns131: str
) -> None:
    _single_replica(cluster131, ns131)
    guard(cluster131, cluster131.kubeconfig)
    _register()
    args = ["scan", "cluster", "-o", "wide", "--fail-on", "none"]
    result = CliRunner().invoke(root, [*args, "--kubeconfig", str(cluster131.kubeconfig)])

    assert result.exit_code in (0, 1), result.output  # 1: something could not be checked
    rows = result.stdout.splitlines()
    (eol,) = [r for r in rows if "KC-EOL" in r]
    assert eol.split()[0] == "error" and "end of life: k131" in eol and "cluster k131" in eol
    (drain,) = [r for r in rows if f"{ns131}/web" in r]
    assert drain.split()[0] == "info" and f"drain blocker: Deployment {ns131}/web" in drain
    for wrong in ("kubecurrent.dev", "cluster/k131:1", "None", "deprecated  KC-EOL"):
        assert wrong not in result.stdout, wrong
    summary = rows[-1]  # API findings by status (other tests leave some), the rest by severity
    pattern = r"target next minor of each cluster: clusters 1 \| \d+ removed, \d+ deprecated, "
    assert re.match(pattern + r"\d+ error, (\d+ warning, )?\d+ info, \d+ unreadable$", summary)
