"""A dispatcher with an owner (a controller replica) records each delivery as queued before
sending it, and ``resume`` sends what a process that is gone left unfinished — under the same
delivery id, never what a live one still holds or what was delivered. The store is the SQLite
one; the receiver is a real HTTP server on loopback (``tests.receivers``)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kubecurrent.notify import Dispatcher
from kubecurrent.rollout import Event, EventKind, Store
from tests.receivers import WebhookReceiver, wait_until, webhook_receiver
from tests.unit.notify.test_delivery import NOW, _rollout


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "r.db")


@pytest.fixture
def hooks() -> Iterator[WebhookReceiver]:
    with webhook_receiver({"/once": [503, 200]}) as receiver:
        yield receiver


def _ledger(store: Store, rid: str) -> list[tuple[object, str, object]]:
    return [
        (a.extra.get("owner"), a.outcome, a.extra.get("attempt"))
        for a in store.audit_records(rid)
        if a.action.startswith("notify.")
    ]


def test_a_delivery_left_by_a_gone_owner_is_sent_again_under_its_id(
    store: Store, hooks: WebhookReceiver
) -> None:
    notify = (
        f"{{retry: {{attempts: 3, delay: 60s}}, webhooks: [{{name: f, url: '{hooks.url}/once'}}]}}"
    )
    rid = _rollout(store, notify)
    dead = Dispatcher(store, owner="pod-a")
    dead.sink(rid).emit(Event(EventKind.APPROVAL, rid, "1.37", "olga", NOW, wave="all"))
    wait_until(lambda: len(hooks.all("/once")) == 1, "the first attempt (503)", 10)
    wait_until(lambda: len(_ledger(store, rid)) == 2, "the retry recorded", 10)

    lead = Dispatcher(store, owner="pod-b")
    assert lead.resume(rid, alive=lambda owner: owner == "pod-a") == 0  # pod-a holds it still
    assert lead.resume(rid, alive=lambda owner: False) == 1
    wait_until(lambda: bool(hooks.accepted("/once")), "the resent delivery", 10)
    lead.close(5)
    assert lead.resume(rid, alive=lambda owner: False) == 0  # delivered: nothing left
    lead.close(1)
    first, again = hooks.all("/once")
    assert first.headers["x-kubecurrent-delivery"] == again.headers["x-kubecurrent-delivery"]
    assert again.headers["x-kubecurrent-event"] == "approval"
    assert _ledger(store, rid) == [
        ("pod-a", "queued", 1),
        ("pod-a", "retry", 1),
        ("pod-b", "queued", 2),
        ("pod-b", "ok", 2),
    ]
    dead.close(0)


def test_without_an_owner_nothing_is_queued_or_resumed(
    store: Store, hooks: WebhookReceiver
) -> None:
    rid = _rollout(store, f"{{webhooks: [{{name: f, url: '{hooks.url}/ok'}}]}}")
    plain = Dispatcher(store)  # kubecurrent rollout, serve: the audit trail as before
    plain.sink(rid).emit(Event(EventKind.STARTED, rid, "1.37", "olga", NOW))
    plain.close(5)
    assert _ledger(store, rid) == [(None, "ok", 1)]
    assert plain.resume(rid, alive=lambda owner: False) == 0
    time.sleep(0.1)
    assert len(hooks.all("/ok")) == 1
