"""The ``notify`` section: bad settings are refused when the strategy is read, each error naming
the setting; secrets are only ever named (environment or file), and read when driving."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubecurrent.errors import UsageError
from kubecurrent.notify import Redactor, channels, check
from kubecurrent.rollout import Notify, parse_strategy


def _refused(text: str) -> str:
    with pytest.raises(UsageError) as caught:
        parse_strategy(text, "s.yaml")
    return caught.value.message


@pytest.mark.parametrize(
    ("text", "said"),
    [
        (
            "notify: {webhooks: [{url: 'ftp://hooks.example/x'}]}",
            "notify.webhooks.0.url: Value error, only http:// and https:// URLs",
        ),
        ("notify: {webhooks: [{url: 'file:///etc/passwd'}]}", "notify.webhooks.0.url"),
        ("notify: {webhooks: [{url: 'https://'}]}", "notify.webhooks.0.url"),
        ("notify: {dashboard: 'javascript:alert(1)'}", "notify.dashboard"),
        (
            "notify: {slack: [{url: 'https://hooks.slack.com/services/T/B/X'}]}",
            "notify.slack.0.url",
        ),
        ("notify: {teams: [{url: 'https://x.webhook.office.com/y'}]}", "notify.teams.0.url"),
        (
            "notify: {webhooks: [{url: 'https://h.example', secret: 'hunter22'}]}",
            "notify.webhooks.0.secret: Value error, do not write a secret in the strategy file",
        ),
        (
            "notify: {webhooks: [{url: 'https://h.example', secret: {env: A, file: b}}]}",
            "give exactly one of env: NAME or file: PATH",
        ),
        (
            "notify: {email: [{host: smtp.example.com, starttls: false, from: a@b.io, to: [c@d.io],"
            " username: u, password: {env: P}}]}",
            "would send the password to smtp.example.com in clear text",
        ),
        (
            "notify: {email: [{host: h, from: a@b.io, to: ['x@y.io, z@w.io']}]}",
            "is not one mail address",
        ),
        (
            "notify: {email: [{host: h, from: a@b.io, to: [c@d.io], username: u}]}",
            "both username and password",
        ),
        ("notify: {events: [started, lunch]}", "notify.events.1"),
        ("notify: {retry: {attempts: 0}}", "notify.retry.attempts"),
        ("notify: {webhook: []}", "notify.webhook: Extra inputs are not permitted"),
        (
            "waves: [{name: p, approval: false, approvals: 2}]",
            "approval: false contradicts approvals: 2",
        ),
    ],
)
def test_a_bad_setting_is_refused_naming_it(text: str, said: str) -> None:
    message = _refused(text)
    assert said in message
    assert "hunter22" not in message and "services/T/B/X" not in message


def test_a_password_to_a_relay_on_this_machine_needs_no_starttls() -> None:
    strategy = parse_strategy(
        "notify: {email: [{host: 127.0.0.1, port: 2525, starttls: false, from: a@b.io, "
        "to: [c@d.io], username: u, password: {env: P}}]}",
        "s.yaml",
    )
    assert strategy.notify is not None and strategy.notify.email[0].smtp_port == 2525


def test_approvals_and_approval_agree() -> None:
    waves = parse_strategy(
        "waves: [{name: a, approvals: 2}, {name: b, approval: true}, {name: c}]", "s.yaml"
    ).waves
    assert [(w.approval, w.approvals_needed) for w in waves] == [(True, 2), (True, 1), (False, 0)]


def test_secrets_are_read_when_checked_and_a_missing_one_names_the_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = Notify.model_validate(
        {
            "slack": [{"url": {"env": "KC_TEST_SLACK"}}],
            "email": [
                {"host": "h", "from": "a@b.io", "to": ["c@d.io"], "username": "u",
                 "password": {"file": str(tmp_path / "pw")}}
            ],
        }
    )  # fmt: skip
    monkeypatch.delenv("KC_TEST_SLACK", raising=False)
    with pytest.raises(UsageError) as caught:
        check(spec)
    assert caught.value.message == (
        "notify.slack[0].url: environment variable KC_TEST_SLACK is not set or empty"
    )
    monkeypatch.setenv("KC_TEST_SLACK", "ftp://hooks.example/T0KEN-abc")
    with pytest.raises(UsageError) as caught:
        check(spec)
    assert caught.value.message.startswith(
        "notify.slack[0].url: the URL in environment variable KC_TEST_SLACK is refused"
    )
    assert "T0KEN" not in str(caught.value)
    monkeypatch.setenv("KC_TEST_SLACK", "https://hooks.slack.example/T0KEN-abc")
    with pytest.raises(UsageError) as caught:
        check(spec)
    assert caught.value.message.startswith(
        f"notify.email[0].password: cannot read the file {tmp_path / 'pw'}"
    )
    (tmp_path / "pw").write_text("  mail-pass-1\n")
    found = channels(spec, Redactor())
    assert [(c.kind.value, c.name) for c in found] == [("slack", "#1"), ("email", "#1")]
    assert found[1].password == "mail-pass-1"  # type: ignore[union-attr]
