"""Delivery: bounded exponential backoff, never blocking the caller, every attempt audited,
secrets never recorded. The receivers are real HTTP servers on loopback (``tests.receivers``)."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kubecurrent.notify import Dispatcher, Redactor
from kubecurrent.rollout import (
    ClusterRef,
    Event,
    EventKind,
    Retry,
    Store,
    create,
    parse_strategy,
)
from tests.receivers import WebhookReceiver, wait_until, webhook_receiver

NOW = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)


def test_the_backoff_doubles_from_the_delay_up_to_the_cap() -> None:
    assert Retry().schedule() == (2.0, 4.0, 8.0, 16.0)
    capped = Retry.model_validate({"attempts": 8, "delay": "30s", "maxDelay": "2m"})
    assert capped.schedule() == (30.0, 60.0, 120.0, 120.0, 120.0, 120.0, 120.0)
    assert Retry(attempts=1).schedule() == ()


def test_the_redactor_hides_secrets_and_the_token_part_of_urls() -> None:
    redactor = Redactor()
    redactor.keep_url("https://hooks.slack.com/services/T0/B0/XyZsecret")
    redactor.keep("pw-123456")
    text = "POST https://hooks.slack.com/services/T0/B0/XyZsecret failed; path /services/T0/B0/XyZsecret; pw-123456"
    shown = redactor.redact(text)
    assert "XyZsecret" not in shown and "pw-123456" not in shown
    assert shown == "POST *** failed; path ***; ***"


def _rollout(store: Store, notify: str) -> str:
    strategy = parse_strategy(f"waves: [{{name: all}}]\nnotify: {notify}", "s.yaml")
    return create(
        store,
        clusters=[ClusterRef("c1")],
        target="1.37",
        strategy=strategy,
        fleet="f",
        actor="olga",
        now=NOW,
    )


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "r.db")


@pytest.fixture
def hooks() -> Iterator[WebhookReceiver]:
    with webhook_receiver({"/flaky": [500, 500, 200], "/gone": [404], "/down": [503]}) as r:
        yield r


def _notify(store: Store, rid: str, audit_of: str) -> list[tuple[object, object, str]]:
    return [
        (a.extra["attempt"], a.extra["status"], a.outcome)
        for a in store.audit_records(rid)
        if a.target == audit_of
    ]


def _event(rid: str, kind: EventKind = EventKind.STARTED) -> Event:
    return Event(kind, rid, "1.37", "olga", NOW)


def test_500_twice_then_200_delivers_once_and_audits_each_attempt(
    store: Store, hooks: WebhookReceiver
) -> None:
    rid = _rollout(
        store,
        f"{{retry: {{attempts: 5, delay: 0.1s}}, webhooks: [{{name: f, url: '{hooks.url}/flaky'}}]}}",
    )
    dispatcher = Dispatcher(store)
    dispatcher.sink(rid).emit(_event(rid))
    wait_until(lambda: bool(hooks.accepted("/flaky")), "the third attempt", 10)
    dispatcher.close(5)
    assert [r.status for r in hooks.all("/flaky")] == [500, 500, 200]
    assert _notify(store, rid, "webhook f") == [
        (1, "HTTP 500", "retry"),
        (2, "HTTP 500", "retry"),
        (3, "HTTP 200", "ok"),
    ]


def test_a_client_error_is_not_retried_and_attempts_are_bounded(
    store: Store, hooks: WebhookReceiver
) -> None:
    rid = _rollout(
        store,
        f"{{retry: {{attempts: 3, delay: 0.05s}}, webhooks: [{{name: gone, url: '{hooks.url}/gone'}},"
        f" {{name: down, url: '{hooks.url}/down'}}]}}",
    )
    dispatcher = Dispatcher(store)
    dispatcher.sink(rid).emit(_event(rid))
    dispatcher.close(5)
    assert _notify(store, rid, "webhook gone") == [(1, "HTTP 404", "failed")]
    assert _notify(store, rid, "webhook down") == [
        (1, "HTTP 503", "retry"),
        (2, "HTTP 503", "retry"),
        (3, "HTTP 503", "failed"),
    ]
    assert len(hooks.all("/down")) == 3


def test_emit_never_waits_for_the_receiver_and_close_is_bounded(
    store: Store, hooks: WebhookReceiver
) -> None:
    rid = _rollout(
        store,
        f"{{retry: {{attempts: 5, delay: 30s}}, webhooks: [{{name: d, url: '{hooks.url}/down'}}]}}",
    )
    dispatcher = Dispatcher(store)
    sink = dispatcher.sink(rid)
    began = time.monotonic()
    for _ in range(20):
        sink.emit(_event(rid))
    assert time.monotonic() - began < 0.5
    wait_until(lambda: len(hooks.all("/down")) == 20, "the first attempts", 10)
    began = time.monotonic()
    dispatcher.close(0.5)
    assert time.monotonic() - began < 5
    outcomes = [o for _, _, o in _notify(store, rid, "webhook d")]
    assert outcomes.count("retry") == 20 and outcomes.count("undelivered") == 20


def test_events_not_asked_for_are_not_sent(store: Store, hooks: WebhookReceiver) -> None:
    rid = _rollout(
        store,
        f"{{events: [done, approval], webhooks: [{{name: a, url: '{hooks.url}/a', events: [approval]}}]}}",
    )
    dispatcher = Dispatcher(store)
    sink = dispatcher.sink(rid)
    for kind in EventKind:
        sink.emit(_event(rid, kind))
    dispatcher.close(5)
    assert [json.loads(r.body)["event"] for r in hooks.all("/a")] == ["approval"]


def test_no_secret_reaches_the_audit_trail_even_when_delivery_fails(
    store: Store, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    secret_url = "http://127.0.0.1:9/services/T0/B0/SeCrEtToKeN"  # discard port: refused
    monkeypatch.setenv("KC_TEST_SLACK_URL", secret_url)
    (tmp_path / "key").write_text("hmac-key-SeCrEt")
    rid = _rollout(
        store,
        "{retry: {attempts: 2, delay: 0.05s}, slack: [{url: {env: KC_TEST_SLACK_URL}}], "
        f"webhooks: [{{url: {{env: KC_TEST_SLACK_URL}}, secret: {{file: '{tmp_path / 'key'}'}}}}]}}",
    )
    dispatcher = Dispatcher(store)
    dispatcher.sink(rid).emit(_event(rid, EventKind.HALTED))
    dispatcher.close(5)
    records = [a for a in store.audit_records(rid) if a.action == "notify.halted"]
    assert {a.target for a in records} == {"slack #1", "webhook #1"}
    assert {a.outcome for a in records} == {"retry", "failed"}
    dumped = json.dumps([a.to_json() for a in store.audit_records(rid)])
    dumped += json.dumps([j.to_json() for j in store.journal(rid)])
    assert "SeCrEt" not in dumped and "services/T0" not in dumped
