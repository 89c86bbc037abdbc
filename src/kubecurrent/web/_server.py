"""Serving the app: where to listen, what may be exposed, and the uvicorn server.

Exposure rule: a loopback address (``127.0.0.1``, ``::1``, ``localhost``) is served as is. Any
other address is refused unless the operator states that a TLS-terminating proxy is in front
(``--behind-tls-proxy``): the app speaks plain HTTP, and session cookies and tokens must not
cross a network in clear. With that acknowledgement, cookies are marked ``Secure`` and HSTS is
sent.
"""

from __future__ import annotations

import errno
import ipaddress
import logging
import socket
import threading
from collections.abc import Callable, Sequence
from types import FrameType

import uvicorn
from starlette.applications import Starlette

from kubecurrent.errors import UsageError

log = logging.getLogger("kubecurrent.web")


def parse_listen(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:8080`` for IPv6) into its parts; UsageError naming the input."""
    host, sep, port = text.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise UsageError(f"--listen {text!r}: write HOST:PORT", hint="e.g. --listen 127.0.0.1:8080")
    return host, int(port)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_exposure(host: str, behind_tls_proxy: bool) -> None:
    if not is_loopback(host) and not behind_tls_proxy:
        raise UsageError(
            f"refusing to listen on {host}: the dashboard speaks plain HTTP, and sessions and "
            "tokens would cross the network unencrypted",
            hint="listen on 127.0.0.1 and put a TLS-terminating proxy in front, then pass "
            "--behind-tls-proxy (or use an SSH tunnel to 127.0.0.1)",
        )
    if not is_loopback(host):
        log.warning(
            "listening on %s: only safe behind a TLS-terminating proxy; cookies are Secure", host
        )


def bind(host: str, port: int) -> socket.socket:
    """A listening socket, or a UsageError saying the port is taken or the address is wrong."""
    try:
        info = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        sock = socket.socket(info[0], socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(info[4])
    except socket.gaierror as exc:
        raise UsageError(f"--listen {host}:{port}: unknown host ({exc.strerror})") from None
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise UsageError(
                f"--listen {host}:{port}: the port is already in use",
                hint="stop what listens there, or pick another port, e.g. --listen 127.0.0.1:8081",
            ) from None
        raise UsageError(f"--listen {host}:{port}: cannot listen: {exc.strerror}") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


class _Server(uvicorn.Server):
    """uvicorn's server, telling the app as soon as a stop signal arrives: live streams end and
    rollouts driven here are asked to pause while uvicorn closes the connections."""

    def __init__(self, config: uvicorn.Config, on_exit: Callable[[], None] | None) -> None:
        super().__init__(config)
        self._on_exit = on_exit

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self._on_exit is not None and not self.should_exit:
            # Not in the signal handler itself: the work touches the state store.
            threading.Thread(target=self._on_exit, name="shutdown", daemon=True).start()
        super().handle_exit(sig, frame)


def trusted_proxies(values: Sequence[str]) -> tuple[str, ...]:
    """Proxy addresses (or networks) whose ``X-Forwarded-For`` is believed; anything that is not
    an IP address or network is refused here (uvicorn would silently take it as a name)."""
    for value in values:
        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise UsageError(
                f"--trusted-proxy {value!r} is not an IP address or network",
                hint="give the proxy's address as it connects, e.g. --trusted-proxy 10.0.0.5 "
                "or --trusted-proxy 10.0.0.0/24",
            ) from None
    return tuple(values)


class CallbackQueryFilter(logging.Filter):
    """Keeps the single sign-on callback's query (the one-time authorization code and the state)
    out of the access log: the line shows ``/oidc/callback?…``."""

    PATH = "/oidc/callback"

    def filter(self, record: logging.LogRecord) -> bool:
        # uvicorn's access record: (client, method, path with query, HTTP version, status)
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            path, sep, _query = args[2].partition("?")
            if sep and path == self.PATH:
                record.args = (*args[:2], f"{path}?…", *args[3:])
        return True


_CALLBACK_QUERY = CallbackQueryFilter()


def server_config(
    app: Starlette, log_level: str = "info", proxies: Sequence[str] = ()
) -> uvicorn.Config:
    """uvicorn's settings: ``X-Forwarded-For``/``-Proto`` only from ``proxies`` (none: the
    connection's peer is the client); the access log never shows the single sign-on callback's
    authorization code."""
    config = uvicorn.Config(
        app,
        log_level=log_level,
        proxy_headers=bool(proxies),
        forwarded_allow_ips=list(proxies) or None,
        server_header=False,
        timeout_graceful_shutdown=10,
    )
    logging.getLogger("uvicorn.access").addFilter(_CALLBACK_QUERY)  # after uvicorn's dictConfig
    return config


def serve(
    app: Starlette,
    sock: socket.socket,
    log_level: str = "info",
    on_exit: Callable[[], None] | None = None,
    proxies: Sequence[str] = (),
) -> None:
    """Run until interrupted (Ctrl-C, SIGTERM); ``on_exit`` runs when the first signal comes."""
    _Server(server_config(app, log_level, proxies), on_exit).run(sockets=[sock])
