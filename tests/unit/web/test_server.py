"""--listen parsing, the exposure rule, and a port already in use."""

from __future__ import annotations

import socket

import pytest

from kubecurrent.errors import UsageError
from kubecurrent.web import bind, check_exposure, parse_listen


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
