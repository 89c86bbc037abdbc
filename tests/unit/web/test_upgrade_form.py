"""The start form's checks, the production confirmation rule and the event-stream format."""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

import pytest

from kubecurrent.catalog import Catalog
from kubecurrent.rollout import ClusterRef
from kubecurrent.web import WebContext, create_app
from kubecurrent.web._sse import comment, event, snapshots
from kubecurrent.web._upgrade_form import (
    StartForm,
    confirmation_text,
    is_production,
    propose,
)
from tests.unit.web.conftest import TODAY

FLEET = (
    ClusterRef("dev-a", labels={"env": "dev"}),
    ClusterRef("prod-a", labels={"env": "prod"}),
    ClusterRef("prod-b", labels={"tier": "Production"}),
    ClusterRef("misc", labels={"environment": "staging"}),
)


def check(catalog: Catalog, **fields: Any) -> Any:
    return propose(StartForm(**fields), FLEET, catalog, TODAY)


class TestConfirmation:
    @pytest.mark.parametrize(
        ("labels", "expected"),
        [
            ({"env": "prod"}, True),
            ({"environment": "production"}, True),
            ({"tier": " PROD "}, True),
            ({"env": "preprod"}, False),
            ({"stage": "prod"}, False),
            ({}, False),
        ],
    )
    def test_production_labels(self, labels: dict[str, str], expected: bool) -> None:
        assert is_production(labels) is expected

    def test_the_text_to_type(self) -> None:
        assert confirmation_text([]) is None
        assert confirmation_text(["prod-a"]) == "prod-a"
        assert confirmation_text(["prod-a", "prod-b"]) == "2 production clusters"

    def test_only_the_exact_text_confirms(self, catalog: Catalog) -> None:
        for typed, ok in (("prod-a", True), (" prod-a ", True), ("PROD-A", False), ("", False)):
            assert check(catalog, clusters=("prod-a",), confirm=typed).confirmed() is ok
        assert check(catalog, clusters=("dev-a",)).confirmed()


class TestForm:
    def test_the_default_strategy_with_approvals_after_the_canary(self, catalog: Catalog) -> None:
        p = check(catalog, clusters=("dev-a", "prod-a", "misc"), approve_later=True)
        assert p.ok and "1." in p.version
        assert p.waves == (("canary", False, ("dev-a",)), ("rest", True, ("misc", "prod-a")))
        assert p.production == ("prod-a",)

    def test_errors_name_the_field(self, catalog: Catalog) -> None:
        p = check(catalog, clusters=(), target="9.99")
        assert set(p.errors) == {"clusters", "target"}
        assert "choose at least one cluster" in p.errors["clusters"]
        unknown = check(catalog, clusters=("nope",))
        assert "nope" in unknown.errors["clusters"]

    @pytest.mark.parametrize(
        ("text", "said"),
        [
            ("waves: [", "the strategy field, line 2, column 1: not valid YAML"),
            ("waves: [{name: a, count: 0}]", "waves.0.count"),
            ("waves: [{name: a, select: {env: dev}}]", "no wave selects these clusters: prod-a"),
            ("windows: []", "name at least one wave"),
            ("", "paste a strategy"),
        ],
    )
    def test_a_pasted_strategy_is_checked_like_a_strategy_file(
        self, catalog: Catalog, text: str, said: str
    ) -> None:
        p = check(catalog, clusters=("dev-a", "prod-a"), custom_strategy=True, strategy=text)
        assert said in p.errors["strategy"]

    def test_from_fields(self) -> None:
        form = StartForm.from_fields(
            {"target": " 1.37 ", "strategy_mode": "custom", "strategy": "x", "approve_later": "on"},
            ["a", "a", "b", ""],
        )
        assert form == StartForm(("a", "b"), "1.37", True, "x", True, "")


class TestEvents:
    def test_every_line_of_data_is_a_data_field(self) -> None:
        assert event("a\nb", "snapshot", "3") == "id: 3\nevent: snapshot\ndata: a\ndata: b\n\n"
        assert event("{}") == "data: {}\n\n"
        assert comment("keep\nalive") == ": keep alive\n\n"

    def test_the_stream_sends_changes_only_and_ends_with_the_rollout(self) -> None:
        states = iter(["running", "running", "done"])

        def read() -> dict[str, Any]:
            return {"state": next(states), "driver": None}

        async def collect() -> list[str]:
            async def never() -> bool:
                return False

            stream = snapshots(read, closing=threading.Event(), disconnected=never, poll=0)
            return [chunk async for chunk in stream]

        chunks = asyncio.run(collect())
        assert chunks[0] == "retry: 3000\n\n"
        sent = [c for c in chunks if c.startswith("id:")]
        assert len(sent) == 2 and json.loads(sent[1].split("data: ")[1])["state"] == "done"
        assert chunks[-1].startswith("event: end")

    def test_the_stream_stops_when_the_server_closes(self) -> None:
        closing = threading.Event()
        closing.set()

        async def collect() -> list[str]:
            async def never() -> bool:
                return False

            stream = snapshots(lambda: {}, closing=closing, disconnected=never, poll=0)
            return [chunk async for chunk in stream]

        assert asyncio.run(collect()) == ["retry: 3000\n\n"]


def test_the_rollout_pages_are_registered_and_guarded(ctx: WebContext) -> None:
    app = create_app(ctx, background=False)
    paths = {getattr(r, "path", "") for r in app.routes}
    assert {"/upgrade", "/history", "/rollouts/{rid}/events", "/api/rollouts"} <= paths
    assert [n.label for n in ctx.nav] == ["Fleet", "Upgrade", "History"]


def test_without_a_state_store_there_are_no_rollout_pages(ctx: WebContext) -> None:
    ctx.store = None
    app = create_app(ctx, background=False)
    assert "/upgrade" not in {getattr(r, "path", "") for r in app.routes}
    assert [n.label for n in ctx.nav] == ["Fleet"]
