"""docs/controller.md states tables that the code holds: metrics, printer columns, journal and
audit bounds, Accepted reasons, and the chart's Role rule by rule."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from kubecurrent.cli._kubectl import COMMANDS
from kubecurrent.controller import METRICS, _declare
from kubecurrent.kubestate import _codec, crd_documents

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]
PAGE = (ROOT / "docs" / "controller.md").read_text(encoding="utf-8")


def table(after: str) -> list[list[str]]:
    """The rows (cells stripped) of the first table after the line starting with ``after``."""
    lines = PAGE.split("\n" + after, 1)[1].splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("|"))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split(" | ")])
    return rows


def test_the_metrics_table_is_what_metrics_serves() -> None:
    names = [row[0].strip("`") for row in table("`--listen`")]
    assert names == list(METRICS)


def test_the_resources_table_names_the_kinds_and_their_printer_columns() -> None:
    documented = {row[0]: (row[1], row[3]) for row in table("Group `kubecurrent.io`")}
    for doc in crd_documents():
        (version,) = doc.body["spec"]["versions"]
        columns = ", ".join(c["name"] for c in version["additionalPrinterColumns"])
        assert documented[doc.kind] == (doc.body["spec"]["names"]["shortNames"][0], columns)


def test_the_bounds_table_is_what_the_store_keeps() -> None:
    rows = {row[0]: row for row in table("etcd refuses a write")}
    assert rows["FleetUpgrade"][1].startswith(f"{_codec.ROLLOUT_JOURNAL} ")
    assert rows["FleetUpgrade"][2] == str(_codec.ROLLOUT_AUDIT)
    assert rows["ClusterUpgrade"][1].startswith(f"{_codec.CLUSTER_JOURNAL} ")
    assert rows["ClusterUpgrade"][2] == str(_codec.CLUSTER_AUDIT)
    schemas = {
        doc.kind: doc.schema()["properties"]["status"]["properties"] for doc in crd_documents()
    }
    assert schemas["FleetUpgrade"]["journal"]["maxItems"] == _codec.ROLLOUT_JOURNAL
    assert schemas["FleetUpgrade"]["audit"]["maxItems"] == _codec.ROLLOUT_AUDIT
    assert schemas["ClusterUpgrade"]["journal"]["maxItems"] == _codec.CLUSTER_JOURNAL
    assert schemas["ClusterUpgrade"]["audit"]["maxItems"] == _codec.CLUSTER_AUDIT


def test_every_refusal_reason_in_the_code_is_documented() -> None:
    source = Path(_declare.__file__).read_text(encoding="utf-8")
    in_code = set(re.findall(r'Refused\(\s*"(\w+)"', source))
    documented = {row[0].strip("`").split("`")[0] for row in table("What a schema cannot know")}
    assert in_code and in_code | {"Recorded"} == documented


def test_the_permissions_table_is_the_charts_role() -> None:
    text = (ROOT / "deploy" / "chart" / "templates" / "controller-rbac.yaml").read_text()
    plain = "\n".join(  # template-only lines dropped, other template expressions as "x"
        re.sub(r"\{\{.*?\}\}", "x", line)
        for line in text.splitlines()
        if not re.fullmatch(r"\s*\{\{.*\}\}\s*", line)
    )
    role = next(d for d in yaml.safe_load_all(plain) if d["kind"] == "Role")
    in_chart = {tuple(sorted(rule["resources"])): tuple(rule["verbs"]) for rule in role["rules"]}
    documented = {}
    for row in table("The controller needs, in its namespace only"):
        resources = tuple(sorted(r.split(" ")[0] for r in re.findall(r"`([^`]+)`", row[0])))
        documented[resources] = tuple(v.strip() for v in row[1].split("(")[0].split(","))
    assert documented == in_chart


def test_the_plugin_table_lists_the_plugins_commands() -> None:
    documented = [row[0].strip("`") for row in table("- A cluster without kubecurrent's CRDs")]
    assert documented == list(COMMANDS)
