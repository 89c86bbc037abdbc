"""Password and token guessing is slowed down; the secret is not even checked while blocked."""

from __future__ import annotations

import json

import httpx
from starlette.testclient import TestClient

from kubecurrent.web import Throttle, WebContext
from tests.unit.web.conftest import OPERATOR_TOKEN, PASSWORDS, Clock, csrf_of


def attempt(client: TestClient, user: str, password: str) -> httpx.Response:
    form = client.get("/login")
    data = {"username": user, "password": password, "csrf_token": csrf_of(form.text)}
    return client.post("/login", data=data)


def audit(ctx: WebContext) -> list[dict[str, object]]:
    return [json.loads(line) for line in ctx.audit.path.read_text().splitlines()]


def test_blocks_double_after_the_free_failures_and_forget_after_an_hour() -> None:
    clock = Clock()
    throttle = Throttle(free_per_user=2, clock=clock)
    keys = throttle.keys("Olga", "10.0.0.1")
    assert keys == ["addr:10.0.0.1", "user:olga"]
    throttle.failed(keys)
    assert throttle.wait(keys) == 0  # the first failure is free
    waits = []
    for _ in range(4):
        throttle.failed(keys)
        waits.append(throttle.wait(keys))
    assert waits == [1, 2, 4, 8]  # from the second (free_per_user) on
    assert throttle.wait(["user:vince"]) == 0  # nobody else
    clock.now += 3601
    assert throttle.wait(keys) == 0  # forgotten an hour after the last failure
    throttle.failed(keys)
    assert throttle.wait(keys) == 0  # counting starts again


def test_blocks_stop_at_fifteen_minutes_and_memory_is_bounded() -> None:
    clock = Clock()
    throttle = Throttle(free_per_user=0, capacity=3, clock=clock)
    for _ in range(30):
        throttle.failed(["user:olga"])
    assert throttle.wait(["user:olga"]) == 900
    for name in ("a", "b", "c"):
        throttle.failed([f"user:{name}"])
    assert throttle.wait(["user:olga"]) == 0  # the oldest key went first


def test_wrong_passwords_are_slowed_down_and_even_the_right_one_waits(
    client: TestClient, ctx: WebContext, clock: Clock
) -> None:
    for _ in range(5):
        assert attempt(client, "olga", "wrong").status_code == 401
    blocked = attempt(client, "olga", PASSWORDS["olga"])
    assert blocked.status_code == 429
    assert blocked.headers["retry-after"] == "1"
    assert "Too many failed logins; try again in 1 s." in blocked.text
    assert "kc_session" not in blocked.cookies
    # Another user at the same address is not locked out by olga's typos.
    assert attempt(client, "vince", PASSWORDS["vince"]).status_code == 303

    clock.now += 1
    assert attempt(client, "olga", "wrong").status_code == 401  # the next block is 2 s
    assert attempt(client, "OLGA", PASSWORDS["olga"]).headers["retry-after"] == "2"
    clock.now += 2
    assert attempt(client, "olga", PASSWORDS["olga"]).status_code == 303
    assert attempt(client, "olga", "wrong").status_code == 401  # counts were cleared

    outcomes = [(r["action"], r["outcome"], r["user"]) for r in audit(ctx)]
    assert outcomes.count(("web.login", "throttled", "olga")) == 1
    assert ("web.login", "throttled", "OLGA") in outcomes
    assert PASSWORDS["olga"] not in ctx.audit.path.read_text()


def test_token_guessing_from_one_address_is_slowed_down(
    client: TestClient, ctx: WebContext, clock: Clock
) -> None:
    for i in range(20):
        wrong = {"Authorization": f"Bearer guess-{i:04d}-0123456789abcdef"}
        assert client.get("/api/clusters", headers=wrong).status_code == 401
    right = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}
    blocked = client.get("/api/clusters", headers=right)
    assert blocked.status_code == 429 and blocked.headers["retry-after"] == "1"
    assert blocked.json()["error"].startswith("too many failed attempts")
    clock.now += 1
    assert client.get("/api/clusters", headers=right).status_code == 200
    outcomes = [(r["action"], r["outcome"]) for r in audit(ctx)]
    assert outcomes.count(("web.token", "failed")) == 20
    assert outcomes.count(("web.token", "throttled")) == 1
    assert OPERATOR_TOKEN not in ctx.audit.path.read_text()
