"""The CRDs kubecurrent ships: served with schemas, status subresources, printer columns, and
every object bounded below etcd's request limit."""

from __future__ import annotations

from typing import Any

import pytest

from kubecurrent.errors import UsageError
from kubecurrent.kubestate import (
    ETCD_REQUEST_LIMIT,
    GROUP,
    METADATA_ALLOWANCE,
    VERSION,
    crd_documents,
    worst_case_bytes,
)
from kubecurrent.rollout import (
    Blackout,
    EmailChannel,
    FailureBudget,
    Health,
    Notify,
    Retry,
    SecretSource,
    SlackChannel,
    Strategy,
    TeamsChannel,
    Wave,
    WebhookChannel,
    Window,
)

DOCS = {doc.kind: doc for doc in crd_documents()}


def test_three_kinds_in_one_group_and_version() -> None:
    assert set(DOCS) == {"MemberCluster", "FleetUpgrade", "ClusterUpgrade"}
    for doc in DOCS.values():
        assert doc.body["spec"]["group"] == GROUP
        (version,) = doc.body["spec"]["versions"]
        assert (version["name"], version["served"], version["storage"]) == (VERSION, True, True)
        assert doc.body["metadata"]["name"] == f"{doc.body['spec']['names']['plural']}.{GROUP}"


@pytest.mark.parametrize("kind", sorted(DOCS))
def test_status_is_a_subresource_and_columns_are_printed(kind: str) -> None:
    (version,) = DOCS[kind].body["spec"]["versions"]
    assert version["subresources"] == {"status": {}}
    columns = [c["name"] for c in version["additionalPrinterColumns"]]
    assert columns[-1] == "Age" and len(columns) >= 4


@pytest.mark.parametrize("kind", sorted(DOCS))
def test_an_object_cannot_outgrow_etcds_request_limit(kind: str) -> None:
    bound = worst_case_bytes(DOCS[kind].schema()) + METADATA_ALLOWANCE
    assert bound < ETCD_REQUEST_LIMIT, f"{kind}: up to {bound} bytes"


def test_an_unbounded_string_is_named() -> None:
    schema = {
        "type": "object",
        "properties": {"status": {"type": "object", "properties": {"x": {"type": "string"}}}},
    }
    with pytest.raises(UsageError, match=r"\.status\.x: no maxLength"):
        worst_case_bytes(schema)


def test_an_unbounded_list_is_named() -> None:
    schema = {"type": "array", "items": {"type": "integer"}}
    with pytest.raises(UsageError, match="no maxItems"):
        worst_case_bytes(schema, ".spec.waves")


def test_a_string_or_map_node_is_bounded_by_its_length_and_one_key() -> None:
    either = {"x-kubernetes-preserve-unknown-fields": True, "maxLength": 10, "maxProperties": 1}
    assert worst_case_bytes(either) == (10 + 8) * 6 + 4
    with pytest.raises(UsageError, match=r"\.url: no maxLength and maxProperties: 1"):
        worst_case_bytes({"x-kubernetes-preserve-unknown-fields": True, "maxLength": 10}, ".url")


def test_the_bound_adds_up_limits() -> None:
    schema = {
        "type": "object",
        "properties": {
            "a": {"type": "string", "maxLength": 10},
            "b": {"type": "array", "maxItems": 3, "items": {"type": "boolean"}},
        },
    }
    # {"a": <10 chars * 6 bytes + quotes>, "b": [3 * (5 + comma)]}
    assert worst_case_bytes(schema) == 2 + (1 + 4 + 62) + (1 + 4 + 3 * 6 + 2)


def _fields(model: type[Any]) -> set[str]:
    return {f.alias or name for name, f in model.model_fields.items()}


def _props(schema: dict[str, Any]) -> set[str]:
    return set(schema["properties"])


def test_the_strategy_schema_has_every_key_of_a_strategy_file() -> None:
    strategy = DOCS["FleetUpgrade"].schema()["properties"]["spec"]["properties"]["strategy"]
    p = strategy["properties"]
    assert _props(strategy) == _fields(Strategy)
    assert _props(p["waves"]["items"]) == _fields(Wave)
    assert _props(p["waves"]["items"]["properties"]["failureBudget"]) == _fields(FailureBudget)
    assert _props(p["health"]) == _fields(Health)
    assert _props(p["windows"]["items"]) == _fields(Window)
    assert _props(p["blackouts"]["items"]) == _fields(Blackout)
    notify = p["notify"]["properties"]
    assert _props(p["notify"]) == _fields(Notify)
    assert _props(notify["retry"]) == _fields(Retry)
    assert _props(notify["webhooks"]["items"]) == _fields(WebhookChannel)
    assert _props(notify["slack"]["items"]) == _fields(SlackChannel)
    assert _props(notify["teams"]["items"]) == _fields(TeamsChannel)
    assert _props(notify["email"]["items"]) == _fields(EmailChannel)
    assert _props(notify["webhooks"]["items"]["properties"]["secret"]) == _fields(SecretSource)


def test_a_valid_spec_is_a_valid_strategy() -> None:
    spec = {
        "waves": [
            {"name": "canary", "select": {"env": "dev"}, "count": 1, "soak": "30m"},
            {"name": "rest", "approval": True, "failureBudget": {"clusters": 1}},
        ],
        "windows": [{"start": "22:00", "duration": "4h", "days": ["mon"]}],
        "blackouts": [{"from": "2026-12-21", "to": "2027-01-05", "reason": "freeze"}],
    }
    parsed = Strategy.model_validate(spec)
    assert [w.name for w in parsed.waves] == ["canary", "rest"]
