"""The dashboard over HTTP: who gets in, what each role may do, CSRF, headers, and the pages."""

from __future__ import annotations

import json

from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from kubecurrent.pages import stylesheet
from kubecurrent.web import WebContext, create_app
from kubecurrent.web._app import PUBLIC_PATHS
from tests.unit.web.conftest import (
    OPERATOR_TOKEN,
    PASSWORDS,
    VIEWER_TOKEN,
    Clock,
    csrf_of,
    login,
)


def audit(ctx: WebContext) -> list[dict[str, object]]:
    lines = ctx.audit.path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class TestNobodyLoggedIn:
    def test_pages_redirect_to_the_login_page(self, client: TestClient) -> None:
        for path in ("/", "/clusters/dev-us", "/clusters/dev-us/plan"):
            response = client.get(path)
            assert response.status_code == 303
            assert response.headers["location"] == f"/login?next={path}"

    def test_the_api_answers_401(self, client: TestClient) -> None:
        response = client.get("/api/clusters")
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert client.post("/api/refresh").status_code == 401
        assert client.get("/api/clusters", headers=bearer("wrong-token-123456")).status_code == 401

    def test_every_route_but_the_public_ones_is_guarded(self, ctx: WebContext) -> None:
        app = create_app(ctx, background=False)
        for route in app.routes:
            if isinstance(route, Mount) or route.path in PUBLIC_PATHS:  # type: ignore[attr-defined]
                continue
            assert isinstance(route, Route)
            assert hasattr(route.endpoint, "__kc_role__"), f"{route.path} is not guarded"


class TestLogin:
    def test_a_user_logs_in_and_sees_the_fleet(self, client: TestClient, ctx: WebContext) -> None:
        login(client, "olga", PASSWORDS["olga"])
        page = client.get("/")
        assert page.status_code == 200 and "prod-eu" in page.text and "olga" in page.text
        cookie = next(c for c in client.cookies.jar if c.name == "kc_session")
        assert cookie.has_nonstandard_attr("HttpOnly")
        assert audit(ctx)[-1]["action"] == "web.login" and audit(ctx)[-1]["user"] == "olga"

    def test_the_session_cookie_is_httponly_strict_and_expiring(self, client: TestClient) -> None:
        form = client.get("/login")
        response = client.post(
            "/login",
            data={
                "username": "vince",
                "password": PASSWORDS["vince"],
                "csrf_token": csrf_of(form.text),
            },
        )
        header = response.headers["set-cookie"].lower()
        assert "kc_session=" in header and "httponly" in header and "samesite=strict" in header
        assert "max-age=3600" in header

    def test_a_wrong_password_is_refused_and_audited(
        self, client: TestClient, ctx: WebContext
    ) -> None:
        form = client.get("/login")
        response = client.post(
            "/login",
            data={"username": "olga", "password": "nope", "csrf_token": csrf_of(form.text)},
        )
        assert response.status_code == 401 and "Wrong user name or password" in response.text
        last = audit(ctx)[-1]
        assert (last["action"], last["outcome"], last["user"]) == ("web.login", "failed", "olga")
        assert "nope" not in ctx.audit.path.read_text(encoding="utf-8")

    def test_the_login_form_needs_its_csrf_token(self, client: TestClient) -> None:
        client.get("/login")
        response = client.post("/login", data={"username": "olga", "password": PASSWORDS["olga"]})
        assert response.status_code == 403
        assert client.get("/").status_code == 303

    def test_a_token_logs_in_with_an_empty_user_name(self, client: TestClient) -> None:
        login(client, "", VIEWER_TOKEN)
        assert "viewer-token" in client.get("/").text

    def test_next_only_leads_to_this_site(self, client: TestClient) -> None:
        form = client.get("/login?next=//evil.example/x")
        assert 'name="next" value="/"' in form.text
        response = client.post(
            "/login",
            data={
                "username": "olga",
                "password": PASSWORDS["olga"],
                "csrf_token": csrf_of(form.text),
                "next": "https://evil.example/",
            },
        )
        assert response.headers["location"] == "/"

    def test_an_expired_session_sends_back_to_the_login(
        self, client: TestClient, clock: Clock
    ) -> None:
        login(client, "olga", PASSWORDS["olga"])
        clock.now += 3601
        assert client.get("/").status_code == 303

    def test_logging_out_ends_the_session(self, client: TestClient) -> None:
        csrf = login(client, "olga", PASSWORDS["olga"])
        cookie = client.cookies["kc_session"]
        assert client.post("/logout", data={"csrf_token": csrf}).status_code == 303
        client.cookies.set("kc_session", cookie)  # replaying the old cookie does not work
        assert client.get("/").status_code == 303


class TestRolesAndCsrf:
    def test_a_viewer_sees_no_refresh_button_and_is_refused(
        self, client: TestClient, ctx: WebContext
    ) -> None:
        csrf = login(client, "vince", PASSWORDS["vince"])
        assert 'action="/refresh"' not in client.get("/").text
        response = client.post("/refresh", data={"csrf_token": csrf})
        assert response.status_code == 403 and "operator" in response.text
        last = audit(ctx)[-1]
        assert (last["user"], last["outcome"], last["role"]) == ("vince", "denied", "viewer")

    def test_an_operator_refreshes_and_it_is_audited(
        self, client: TestClient, ctx: WebContext
    ) -> None:
        csrf = login(client, "olga", PASSWORDS["olga"])
        assert 'action="/refresh"' in client.get("/").text
        response = client.post("/refresh", data={"csrf_token": csrf})
        assert response.status_code == 303
        last = audit(ctx)[-1]
        assert (last["user"], last["action"], last["outcome"]) == ("olga", "web.refresh", "ok")
        assert last["via"] == "password" and last["remote"] == "testclient"

    def test_a_post_without_the_csrf_token_is_refused(
        self, client: TestClient, ctx: WebContext
    ) -> None:
        login(client, "olga", PASSWORDS["olga"])
        assert client.post("/refresh").status_code == 403
        assert client.post("/refresh", data={"csrf_token": "forged"}).status_code == 403
        assert client.post("/api/refresh").status_code == 403
        assert audit(ctx)[-1]["detail"] == "missing or wrong CSRF token"

    def test_the_api_with_a_cookie_needs_the_csrf_header(self, client: TestClient) -> None:
        csrf = login(client, "olga", PASSWORDS["olga"])
        response = client.post("/api/refresh", headers={"X-CSRF-Token": csrf})
        assert response.status_code == 202

    def test_bearer_tokens_have_their_roles_on_the_api(self, client: TestClient) -> None:
        assert client.get("/api/whoami", headers=bearer(VIEWER_TOKEN)).json()["role"] == "viewer"
        assert client.post("/api/refresh", headers=bearer(VIEWER_TOKEN)).status_code == 403
        assert client.post("/api/refresh", headers=bearer(OPERATOR_TOKEN)).status_code == 202

    def test_a_bearer_token_does_not_open_the_pages(self, client: TestClient) -> None:
        assert client.get("/", headers=bearer(OPERATOR_TOKEN)).status_code == 303


class TestHeaders:
    def test_pages_forbid_framing_inline_script_and_caching(self, client: TestClient) -> None:
        login(client, "vince", PASSWORDS["vince"])
        for path in ("/", "/login", "/api/clusters"):
            h = client.get(path).headers
            assert "script-src 'self'" in h["content-security-policy"]
            assert "unsafe-inline" not in h["content-security-policy"]
            assert "frame-ancestors 'none'" in h["content-security-policy"]
            assert h["x-frame-options"] == "DENY" and h["cache-control"] == "no-store"
            assert (
                h["referrer-policy"] == "no-referrer" and h["x-content-type-options"] == "nosniff"
            )

    def test_pages_have_no_inline_script(self, client: TestClient) -> None:
        login(client, "olga", PASSWORDS["olga"])
        for path in ("/", "/clusters/dev-us", "/clusters/dev-us/plan", "/login"):
            page = client.get(path).text
            assert "<script>" not in page and " on" + "click=" not in page and "style=" not in page

    def test_static_files_are_served_and_cacheable(self, client: TestClient) -> None:
        response = client.get("/static/style.css")
        assert response.status_code == 200 and "public" in response.headers["cache-control"]
        assert response.text == stylesheet()  # the one stylesheet the reports inline
        assert client.get("/static/app.js").status_code == 200
        assert client.get("/healthz").text == "ok"
