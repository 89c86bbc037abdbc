"""Signed session cookies: forgery, expiry, logout, and the login form's token."""

from __future__ import annotations

from kubecurrent.web import Role, Sessions, User
from tests.unit.web.conftest import Clock

ALICE = User("alice", Role.OPERATOR, "password")


def test_a_session_reads_back_with_its_user_and_csrf_token() -> None:
    sessions = Sessions(b"k" * 32)
    issued, cookie = sessions.issue(ALICE)
    read = sessions.read(cookie)
    assert read == issued and read.user == ALICE and len(read.csrf) >= 32


def test_a_tampered_or_foreign_cookie_is_nobody() -> None:
    sessions = Sessions(b"k" * 32)
    _, cookie = sessions.issue(User("vince", Role.VIEWER, "password"))
    body, _, mac = cookie.partition(".")
    forged = body.replace(body[5], "A" if body[5] != "A" else "B") + "." + mac
    assert sessions.read(forged) is None
    assert Sessions(b"x" * 32).read(cookie) is None
    assert sessions.read("garbage") is None and sessions.read("") is None


def test_a_session_expires_after_its_ttl() -> None:
    clock = Clock()
    sessions = Sessions(b"k" * 32, ttl=60, clock=clock)
    _, cookie = sessions.issue(ALICE)
    clock.now += 59
    assert sessions.read(cookie) is not None
    clock.now += 1
    assert sessions.read(cookie) is None


def test_logging_out_revokes_the_session() -> None:
    sessions = Sessions(b"k" * 32)
    session, cookie = sessions.issue(ALICE)
    sessions.revoke(session)
    assert sessions.read(cookie) is None


def test_the_login_token_must_match_its_cookie_and_be_fresh() -> None:
    clock = Clock()
    sessions = Sessions(b"k" * 32, clock=clock)
    token, cookie = sessions.login_token()
    assert sessions.check_login_token(cookie, token)
    assert not sessions.check_login_token(cookie, token + "x")
    assert not sessions.check_login_token(None, token)
    clock.now += 16 * 60
    assert not sessions.check_login_token(cookie, token)
