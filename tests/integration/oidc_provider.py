"""A real OpenID Connect provider for the tests: Ory Hydra 2.3.0 and a tiny login/consent app.

``Hydra`` starts ``hydra serve all --dev`` (in-memory database, loopback ports, built from the
Go module proxy on demand) and its login/consent app: a stdlib HTTP server that knows the test
people below. Hydra sends the browser to the app's ``/login``: a ``login_hint`` naming a known
person is accepted at once (the tests' own code flows), otherwise a form asks for the account
name. ``/consent`` grants the requested scopes and puts ``email`` and ``groups`` into the ID
token. Everything is torn down when the ``with`` block ends.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import html
import json
import secrets
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from kubecurrent.sandbox._build import build_component, cached_paths, is_built
from kubecurrent.sandbox._components import HYDRA

PEOPLE: dict[str, list[str]] = {
    "olga": ["platform-admins", "engineering"],
    "dana": ["dev-operators"],
    "vince": ["engineering"],
    "eve": ["marketing"],
}
"""Account name → groups; each person's email is ``<name>@example.test``."""
CLIENT_SECRET = "kc-test-client-secret-" + secrets.token_hex(8)
TEST_REDIRECT = "http://127.0.0.1:9/test-callback"
"""A second redirect URI of the client: the tests' own code flows stop at it (nothing listens)."""


def hydra_binary() -> Path:
    """The cached Hydra binary, built first when the cache does not hold this build."""
    if not is_built(HYDRA):
        started = time.monotonic()
        build_component(HYDRA, lambda _b, _d, _t: None)
        print(f"built Hydra {HYDRA.version} in {time.monotonic() - started:.0f}s")
    paths = cached_paths(HYDRA)
    assert paths is not None
    return paths["hydra"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class _App(BaseHTTPRequestHandler):
    admin = ""

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _admin(self, method: str, path: str, challenge: str, body: Any = None) -> Any:
        kind = "login" if "login" in path else "consent"
        url = f"{self.admin}/admin/oauth2/auth/requests/{path}?{kind}_challenge={challenge}"
        response = httpx.request(method, url, json=body, timeout=10)
        response.raise_for_status()
        return response.json()

    def _redirect(self, to: str) -> None:
        self.send_response(302)
        self.send_header("Location", to)
        self.end_headers()

    def _accept_login(self, challenge: str, person: str) -> None:
        done = self._admin("PUT", "login/accept", challenge, {"subject": person})
        self._redirect(done["redirect_to"])

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if parts.path == "/login":
            challenge = query["login_challenge"]
            asked = self._admin("GET", "login", challenge)
            hint = (asked.get("oidc_context") or {}).get("login_hint", "")
            if hint in PEOPLE:
                self._accept_login(challenge, hint)
                return
            page = (
                "<!doctype html><title>Test provider</title><h1>Test provider sign-in</h1>"
                '<form method="post" action="/login">'
                f'<input type="hidden" name="challenge" value="{html.escape(challenge)}">'
                '<label for="account">Account</label><input id="account" name="account">'
                "<button>Sign in</button></form>"
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(page)
        elif parts.path == "/consent":
            challenge = query["consent_challenge"]
            asked = self._admin("GET", "consent", challenge)
            person = asked["subject"]
            grant = {
                "grant_scope": asked["requested_scope"],
                "grant_access_token_audience": asked["requested_access_token_audience"],
                "session": {
                    "id_token": {"email": f"{person}@example.test", "groups": PEOPLE[person]}
                },
            }
            self._redirect(self._admin("PUT", "consent/accept", challenge, grant)["redirect_to"])
        else:
            self.send_error(404)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        if self.path != "/login" or form.get("account") not in PEOPLE:
            self.send_error(400, "unknown account")
            return
        self._accept_login(form["challenge"], form["account"])


@dataclass
class Hydra:
    issuer: str
    admin: str
    client_id: str

    def add_redirect(self, uri: str) -> None:
        """Register one more redirect URI for the test client (the dashboard's callback)."""
        url = f"{self.admin}/admin/clients/{self.client_id}"
        client = httpx.get(url, timeout=10).raise_for_status().json()
        client["redirect_uris"] = [*client["redirect_uris"], uri]
        client["client_secret"] = CLIENT_SECRET
        httpx.put(url, json=client, timeout=10).raise_for_status()

    def rotate_key(self) -> str:
        """A new ID-token signing key in ``hydra.openid.id-token``; its kid."""
        kid = "rotated-" + secrets.token_hex(4)
        body = {"alg": "RS256", "kid": kid, "use": "sig"}
        url = f"{self.admin}/admin/keys/hydra.openid.id-token"
        httpx.post(url, json=body, timeout=30).raise_for_status()
        return kid

    def id_token(self, person: str) -> str:
        """An ID token for ``person`` through a whole code flow with PKCE, without a browser
        (``login_hint`` lets the login app accept at once)."""
        verifier = secrets.token_urlsafe(48)
        challenge = (
            base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
            .decode()
            .rstrip("=")
        )
        query = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": TEST_REDIRECT,
            "scope": "openid email profile",
            "state": secrets.token_urlsafe(16),
            "nonce": secrets.token_urlsafe(16),
            "login_hint": person,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        url = f"{self.issuer}oauth2/auth?{urlencode(query)}"
        with httpx.Client(timeout=10) as client:
            for _ in range(12):
                response = client.get(url)
                location = response.headers.get("location", "")
                if location.startswith(TEST_REDIRECT):
                    code = parse_qs(urlsplit(location).query)["code"][0]
                    break
                assert response.status_code in (302, 303), response.text
                url = location
            else:
                pytest.fail("the code flow did not reach the test redirect URI")
            token = client.post(
                f"{self.issuer}oauth2/token",
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": TEST_REDIRECT,
                    "code_verifier": verifier,
                },
                auth=(self.client_id, CLIENT_SECRET),
            )
            token.raise_for_status()
            id_token: str = token.json()["id_token"]
            return id_token


@contextlib.contextmanager
def run_hydra(work: Path, id_token_ttl: str = "6s") -> Iterator[Hydra]:  # noqa: S107
    """Hydra and its login/consent app on free loopback ports, with one confidential client."""
    public, admin = free_port(), free_port()
    issuer, admin_url = f"http://127.0.0.1:{public}/", f"http://127.0.0.1:{admin}"
    app_handler = type("App", (_App,), {"admin": admin_url})
    app = ThreadingHTTPServer(("127.0.0.1", 0), app_handler)
    app_url = f"http://127.0.0.1:{app.server_address[1]}"
    threading.Thread(target=app.serve_forever, daemon=True).start()
    env = {
        "DSN": "memory",
        "SECRETS_SYSTEM": secrets.token_hex(16),
        "URLS_SELF_ISSUER": issuer,
        "URLS_LOGIN": f"{app_url}/login",
        "URLS_CONSENT": f"{app_url}/consent",
        "SERVE_PUBLIC_HOST": "127.0.0.1",
        "SERVE_PUBLIC_PORT": str(public),
        "SERVE_ADMIN_HOST": "127.0.0.1",
        "SERVE_ADMIN_PORT": str(admin),
        "TTL_ID_TOKEN": id_token_ttl,
        "LOG_LEVEL": "warn",
        "PATH": "/usr/bin:/bin",
    }
    log = work / "hydra.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [str(hydra_binary()), "serve", "all", "--dev", "--sqa-opt-out"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=work,
        )
    try:
        _wait_ready(admin_url, issuer, proc, log)
        client = {
            "client_secret": CLIENT_SECRET,
            "redirect_uris": [TEST_REDIRECT],
            "grant_types": ["authorization_code"],
            "response_types": ["code"],
            "scope": "openid email profile",
            "token_endpoint_auth_method": "client_secret_basic",
        }
        made = httpx.post(f"{admin_url}/admin/clients", json=client, timeout=10)
        made.raise_for_status()
        yield Hydra(issuer, admin_url, made.json()["client_id"])
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        app.shutdown()
        app.server_close()


def _wait_ready(admin: str, issuer: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"hydra exited {proc.returncode}:\n{log.read_text()}")
        with contextlib.suppress(httpx.HTTPError):
            ready = httpx.get(f"{admin}/health/ready", timeout=2).status_code == 200
            keys = httpx.get(f"{issuer}.well-known/jwks.json", timeout=5)
            if ready and keys.status_code == 200 and json.loads(keys.text).get("keys"):
                return
        time.sleep(0.3)
    pytest.fail(f"hydra was not ready in 60s:\n{log.read_text()}")
