"""--listen parsing, the exposure rule, and a port already in use."""

from __future__ import annotations

import json
import logging
import socket

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from kubecurrent.errors import UsageError
from kubecurrent.web import (
    WebContext,
    bind,
    check_exposure,
    create_app,
    parse_listen,
    server_config,
    trusted_proxies,
)
from tests.unit.web.conftest import csrf_of


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("127.0.0.1:8080", ("127.0.0.1", 8080)),
        ("[::1]:9000", ("::1", 9000)),
        ("localhost:1", ("localhost", 1)),
    ],
)
def test_listen_addresses_parse(text: str, parsed: tuple[str, int]) -> None:
    assert parse_listen(text) == parsed


@pytest.mark.parametrize("text", ["8080", "127.0.0.1", "127.0.0.1:http", ":8080", "h:70000"])
def test_bad_listen_addresses_name_the_input(text: str) -> None:
    with pytest.raises(UsageError) as err:
        parse_listen(text)
    assert text in err.value.message and "127.0.0.1:8080" in (err.value.hint or "")


def test_a_non_loopback_address_needs_the_proxy_acknowledgement() -> None:
    check_exposure("127.0.0.1", behind_tls_proxy=False)
    check_exposure("::1", behind_tls_proxy=False)
    with pytest.raises(UsageError, match=r"refusing to listen on 0\.0\.0\.0") as err:
        check_exposure("0.0.0.0", behind_tls_proxy=False)  # noqa: S104
    assert "--behind-tls-proxy" in (err.value.hint or "")
    check_exposure("0.0.0.0", behind_tls_proxy=True)  # noqa: S104


def test_a_port_in_use_is_a_clear_error() -> None:
    first = bind("127.0.0.1", 0)
    port = first.getsockname()[1]
    try:
        with pytest.raises(UsageError, match="already in use") as err:
            bind("127.0.0.1", port)
        assert "--listen" in (err.value.hint or "")
    finally:
        first.close()
    again = bind("127.0.0.1", port)
    assert again.type == socket.SOCK_STREAM
    again.close()


def _failed_login_from(ctx: WebContext, peer: str, proxies: tuple[str, ...]) -> str:
    """The address the audit log records for a failed login arriving from ``peer`` with
    ``X-Forwarded-For: 203.0.113.7``, through uvicorn's app as ``serve`` configures it."""
    config = server_config(create_app(ctx, background=False), proxies=proxies)
    config.load()
    with TestClient(config.loaded_app, client=(peer, 40000)) as client:
        form = client.get("/login")
        client.post(
            "/login",
            data={"username": "olga", "password": "wrong", "csrf_token": csrf_of(form.text)},
            headers={"X-Forwarded-For": "203.0.113.7"},
        )
    last = ctx.audit.path.read_text().splitlines()[-1]
    return str(json.loads(last)["remote"])


def test_forwarded_client_addresses_come_only_from_a_trusted_proxy(ctx: WebContext) -> None:
    assert _failed_login_from(ctx, "10.0.0.5", ()) == "10.0.0.5"  # default: trust nobody
    proxies = trusted_proxies(["10.0.0.5"])
    assert _failed_login_from(ctx, "10.0.0.5", proxies) == "203.0.113.7"
    assert _failed_login_from(ctx, "10.0.0.6", proxies) == "10.0.0.6"  # not the proxy
    assert _failed_login_from(ctx, "10.0.0.9", trusted_proxies(["10.0.0.0/24"])) == "203.0.113.7"


def test_a_trusted_proxy_must_be_an_address_or_network() -> None:
    with pytest.raises(UsageError, match=r"'proxy\.example' is not an IP address or network"):
        trusted_proxies(["10.0.0.5", "proxy.example"])


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def test_the_access_log_never_shows_the_single_sign_on_callbacks_code() -> None:
    server_config(Starlette())  # installs the filter on uvicorn's access logger
    access = logging.getLogger("uvicorn.access")  # uvicorn's: it does not propagate
    seen = _Lines()
    access.addHandler(seen)
    try:
        line = '%s - "%s %s HTTP/%s" %d'
        code = "/oidc/callback?code=one-time-code-123&state=xyz"
        access.info(line, "127.0.0.1:5000", "GET", code, "1.1", 303)
        access.info(line, "127.0.0.1:5000", "GET", "/fleet?env=dev", "1.1", 200)
    finally:
        access.removeHandler(seen)
    assert seen.lines[0] == '127.0.0.1:5000 - "GET /oidc/callback?… HTTP/1.1" 303'
    assert "one-time-code-123" not in "\n".join(seen.lines)
    assert seen.lines[1].endswith('"GET /fleet?env=dev HTTP/1.1" 200')  # other queries stay
