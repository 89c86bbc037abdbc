"""The EKS double's HTTP face: REST-JSON as botocore speaks it, on 127.0.0.1.

Routing follows each operation's ``http.method`` and ``http.requestUri`` in botocore's service
model (``botocore/data/eks/2017-11-01/service-2.json.gz``); URI members are percent-decoded,
query members keep their lists, the body is the JSON of the remaining input members. Responses
are JSON with timestamps as epoch seconds (rest-json's default ``timestampFormat``); errors carry
the code in the ``x-amzn-ErrorType`` header and ``{"message": ...}`` plus the exception's own
members in the body, with the status the model gives the exception.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import botocore.session

# Status per error code, from the ``error.httpStatusCode`` of each exception shape.
_STATUS = {
    "ResourceNotFoundException": 404,
    "InvalidParameterException": 400,
    "InvalidRequestException": 400,
    "ResourceInUseException": 409,
    "ThrottlingException": 429,
    "ClientException": 400,
    "ServerException": 500,
    "UnrecognizedClientException": 403,
    "MissingAuthenticationTokenException": 403,
    "InvalidSignatureException": 403,
    "IncompleteSignatureException": 403,
    "ExpiredTokenException": 403,
    "UnknownOperationException": 404,
}


class ApiError(Exception):
    """An EKS error response: code, message and the exception's members (clusterName, ...)."""

    def __init__(self, code: str, message: str, **fields: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.fields = fields

    @property
    def status(self) -> int:
        return _STATUS[self.code]


@dataclass(frozen=True)
class Request:
    operation: str
    region: str
    path: dict[str, str]
    query: dict[str, list[str]]
    body: dict[str, Any]

    def params(self) -> dict[str, object]:
        """The input members received, by their names in the model (boto3's keyword names)."""
        names = _member_names(self.operation)
        query = {k: v[0] if len(v) == 1 else v for k, v in self.query.items()}
        located = {names.get(k, k): v for k, v in {**self.path, **query}.items()}
        return {**located, **self.body}

    def arg(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None


Handler = Callable[[Request], dict[str, Any]]


@cache
def _member_names(operation: str) -> dict[str, str]:
    """URI and query ``locationName`` -> member name, from botocore's EKS service model."""
    model = botocore.session.get_session().get_service_model("eks")
    shape = model.operation_model(operation).input_shape
    members = shape.members if shape is not None else {}
    return {
        m.serialization.get("name", n): n
        for n, m in members.items()
        if m.serialization.get("location") in ("uri", "querystring")
    }


@dataclass(frozen=True)
class Route:
    operation: str
    method: str
    pattern: re.Pattern[str]
    handler: Handler


def route(operation: str, method: str, uri: str, handler: Handler) -> Route:
    """A route from a service-model ``requestUri`` such as ``/clusters/{name}/updates``."""
    regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", uri)
    return Route(operation, method, re.compile(f"^{regex}$"), handler)


def _default(value: object) -> object:
    if isinstance(value, dt.datetime):
        return value.timestamp()
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(), dt.UTC).timestamp()
    if isinstance(value, Enum):
        return value.value
    raise TypeError(f"cannot encode {type(value).__name__}")


def encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, default=_default).encode()


@dataclass
class Hooks:
    """What the server asks of the double: authenticate, record, throttle, review tokens."""

    authenticate: Callable[[str, str, dict[str, str], bytes], str]  # -> region
    record: Callable[[Request], None]
    throttled: Callable[[], bool]
    token_review: Callable[[str, dict[str, Any]], dict[str, Any]]  # sandbox, review -> review


TOKEN_REVIEW_PATH = "/eks-double/token-review/"


def serve(routes: list[Route], hooks: Hooks) -> ThreadingHTTPServer:
    """Start the server on a free loopback port in a daemon thread."""

    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # quiet
            return

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def _body(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _send(self, status: int, payload: dict[str, Any], error: str | None = None) -> None:
            data = encode(payload)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("x-amzn-RequestId", "00000000-0000-4000-8000-000000000000")
            if error:
                self.send_header("x-amzn-ErrorType", f"{error}:")
            self.end_headers()
            self.wfile.write(data)

        def _fail(self, exc: ApiError) -> None:
            self._send(exc.status, {"message": exc.message, **exc.fields}, exc.code)

        def _serve(self, method: str) -> None:
            body = self._body()
            split = urlsplit(self.path)
            if method == "POST" and split.path.startswith(TOKEN_REVIEW_PATH):
                sandbox = split.path.removeprefix(TOKEN_REVIEW_PATH)
                self._send(200, hooks.token_review(sandbox, json.loads(body or b"{}")))
                return
            headers = {k: v for k, v in self.headers.items()}
            url = f"http://{self.headers.get('Host', '')}{self.path}"
            try:
                region = hooks.authenticate(method, url, headers, body)
                request = self._parse(method, split.path, split.query, body, region)
                hooks.record(request)
                if hooks.throttled():
                    raise ApiError("ThrottlingException", "Rate exceeded")
                handler = next(r.handler for r in routes if r.operation == request.operation)
                self._send(200, handler(request))
            except ApiError as exc:
                self._fail(exc)
            except Exception as exc:  # a bug of the double: answer like AWS's 500
                self._fail(ApiError("ServerException", f"{type(exc).__name__}: {exc}"))

        def _parse(self, method: str, path: str, query: str, body: bytes, region: str) -> Request:
            for r in routes:
                m = r.pattern.match(path)
                if r.method == method and m:
                    try:
                        payload = json.loads(body) if body else {}
                    except json.JSONDecodeError:
                        raise ApiError("InvalidParameterException", "body is not JSON") from None
                    params = {k: unquote(v) for k, v in m.groupdict().items()}
                    return Request(r.operation, region, params, parse_qs(query), payload)
            raise ApiError("UnknownOperationException", f"no EKS operation at {method} {path}")

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="eks-double", daemon=True).start()
    return server
