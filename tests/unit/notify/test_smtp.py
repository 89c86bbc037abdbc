"""Mail over SMTP with STARTTLS and a login, against aiosmtpd on loopback: the password is only
sent inside TLS verified against the configured CA; a server the CA did not sign is refused."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from kubecurrent.errors import UsageError
from kubecurrent.notify import Dispatcher
from kubecurrent.rollout import ClusterRef, Event, EventKind, Store, create, parse_strategy
from tests.receivers import loopback_tls, mail_receiver

NOW = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)
PASSWORD = "mail-" + "9d3c" * 5


def _rollout(store: Store, port: int, ca: Path, password: Path) -> str:
    strategy = parse_strategy(
        "waves: [{name: all}]\n"
        f"notify: {{retry: {{attempts: 1}}, email: [{{name: cab, host: 127.0.0.1, port: {port}, "
        f"from: kc@example.test, to: [cab@example.test], username: kc, ca: '{ca}', "
        f"password: {{file: '{password}'}}}}]}}",
        "s.yaml",
    )
    return create(
        store,
        clusters=[ClusterRef("c1")],
        target="1.37",
        strategy=strategy,
        fleet="f",
        actor="olga",
        now=NOW,
    )


def test_starttls_then_login_then_the_mail(tmp_path: Path) -> None:
    store = Store(tmp_path / "r.db")
    (tmp_path / "pw").write_text(PASSWORD)
    tls, ca = loopback_tls(tmp_path)
    with mail_receiver("kc", PASSWORD, tls) as mail:
        rid = _rollout(store, mail.port, ca, tmp_path / "pw")
        dispatcher = Dispatcher(store)
        dispatcher.sink(rid).emit(Event(EventKind.HALTED, rid, "1.37", "olga", NOW, reason="x"))
        dispatcher.close(15)
    assert mail.logins == ["kc"]
    assert [m["Subject"] for m in mail.messages] == [f"[kubecurrent] Rollout {rid} halted"]
    (record,) = [a for a in store.audit_records(rid) if a.action == "notify.halted"]
    assert (record.target, record.extra["status"], record.outcome) == (
        "email cab",
        "SMTP 250",
        "ok",
    )


def test_a_certificate_the_ca_did_not_sign_is_refused_before_the_password(tmp_path: Path) -> None:
    store = Store(tmp_path / "r.db")
    (tmp_path / "pw").write_text(PASSWORD)
    (tmp_path / "other").mkdir()
    tls, _ = loopback_tls(tmp_path)
    _, other_ca = loopback_tls(tmp_path / "other")
    with mail_receiver("kc", PASSWORD, tls) as mail:
        rid = _rollout(store, mail.port, other_ca, tmp_path / "pw")
        dispatcher = Dispatcher(store)
        dispatcher.sink(rid).emit(Event(EventKind.HALTED, rid, "1.37", "olga", NOW))
        dispatcher.close(15)
    assert mail.logins == [] and mail.messages == []
    (record,) = [a for a in store.audit_records(rid) if a.action == "notify.halted"]
    assert record.outcome == "failed" and "SSLCertVerificationError" in str(record.extra["status"])


def test_the_ca_path_must_be_absolute() -> None:
    with pytest.raises(UsageError, match=r"notify.email.0.ca: Value error, 'ca.pem': give the CA"):
        parse_strategy(
            "notify: {email: [{host: h, from: a@b.io, to: [c@d.io], ca: ca.pem}]}", "s.yaml"
        )
