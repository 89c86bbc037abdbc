"""Users, roles, password hashes and tokens."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest

from kubecurrent.errors import UsageError
from kubecurrent.web import Authenticators, Role, Tokens, UsersFile, hash_password
from kubecurrent.web._auth import check_hash_format, verify_password


class TestPasswordHashes:
    def test_a_scrypt_hash_verifies_only_its_password(self) -> None:
        encoded = hash_password("correct horse")
        assert encoded.startswith("scrypt$16384$8$1$")
        assert verify_password("correct horse", encoded)
        assert not verify_password("correct horsE", encoded)

    def test_two_hashes_of_one_password_differ_by_salt(self) -> None:
        assert hash_password("x" * 12) != hash_password("x" * 12)

    def test_pbkdf2_hashes_are_accepted(self) -> None:
        import base64

        salt = b"0123456789abcdef"
        digest = hashlib.pbkdf2_hmac("sha256", b"pw-for-pbkdf2", salt, 100_000)
        b64 = lambda b: base64.urlsafe_b64encode(b).decode().rstrip("=")  # noqa: E731
        encoded = f"pbkdf2_sha256$100000${b64(salt)}${b64(digest)}"
        assert check_hash_format(encoded) is None
        assert verify_password("pw-for-pbkdf2", encoded)

    @pytest.mark.parametrize(
        "encoded",
        ["plaintext", "scrypt$1000$8$1$a$b", "pbkdf2_sha256$10$a$b", "md5$x$y"],
    )
    def test_weak_or_unknown_hashes_are_named(self, encoded: str) -> None:
        assert check_hash_format(encoded) is not None

    @pytest.mark.parametrize(
        ("change", "problem"),
        [
            (lambda h: h.rsplit("$", 1)[0] + "$", "the digest is 0 bytes"),
            (lambda h: h[: h.rindex("$") + 3], "the digest is 1 bytes"),
            (lambda h: h[:-4] + "!!!!", "base64 in the hash do not parse"),
            (lambda h: h.replace("$16384$8$1$", "$1048576$32$16$"), "128*N*r*p at most 128 MiB"),
            (lambda h: h.replace("$16384$", "$2097152$"), "power of two from 1024 to 1048576"),
            (lambda h: "$".join([*h.split("$")[:4], "YWJj", h.split("$")[5]]), "salt is 3 bytes"),
        ],
    )
    def test_hashes_that_would_be_weak_or_slow_are_refused_at_start(
        self, change: Callable[[str], str], problem: str
    ) -> None:
        good = hash_password("a long password")
        assert check_hash_format(good) is None
        found = check_hash_format(change(good))
        assert found is not None and problem in found


class TestUsersFile:
    def write(self, tmp_path: Path, text: str) -> Path:
        path = tmp_path / "users.yaml"
        path.write_text(text, encoding="utf-8")
        return path

    def test_users_log_in_with_their_role(self, tmp_path: Path) -> None:
        h = hash_password("pw-alice-123")
        users = UsersFile.load(
            self.write(tmp_path, f"users: [{{name: alice, role: operator, passwordHash: '{h}'}}]")
        )
        user = users.login("alice", "pw-alice-123")
        assert user is not None and user.role is Role.OPERATOR and user.via == "password"
        assert users.login("alice", "wrong") is None
        assert users.login("mallory", "pw-alice-123") is None
        assert users.bearer("pw-alice-123") is None

    def test_a_plaintext_password_is_refused_naming_file_and_user(self, tmp_path: Path) -> None:
        path = self.write(tmp_path, "users: [{name: bob, role: viewer, passwordHash: hunter2}]")
        with pytest.raises(UsageError) as err:
            UsersFile.load(path)
        assert str(path) in err.value.message and "user bob" in err.value.message
        assert "--hash-password" in (err.value.hint or "")

    def test_an_unknown_role_is_refused(self, tmp_path: Path) -> None:
        path = self.write(tmp_path, "users: [{name: bob, role: admin, passwordHash: x}]")
        with pytest.raises(UsageError, match=r"users\.0\.role"):
            UsersFile.load(path)

    def test_a_missing_file_says_so(self, tmp_path: Path) -> None:
        with pytest.raises(UsageError, match="cannot read"):
            UsersFile.load(tmp_path / "nope.yaml")

    def test_duplicate_users_are_refused(self, tmp_path: Path) -> None:
        h = hash_password("pw-12345678")
        entry = f"{{name: a, role: viewer, passwordHash: '{h}'}}"
        with pytest.raises(UsageError, match="listed twice: a"):
            UsersFile.load(self.write(tmp_path, f"users: [{entry}, {entry}]"))


class TestTokens:
    def test_each_token_is_its_role(self) -> None:
        tokens = Tokens({Role.OPERATOR: "o" * 20, Role.VIEWER: "v" * 20})
        op, viewer = tokens.bearer("o" * 20), tokens.bearer("v" * 20)
        assert op is not None and op.role is Role.OPERATOR and op.name == "operator-token"
        assert viewer is not None and viewer.role is Role.VIEWER
        assert tokens.bearer("x" * 20) is None

    def test_a_token_logs_in_with_an_empty_user_name_only(self) -> None:
        tokens = Tokens({Role.VIEWER: "v" * 20})
        assert tokens.login("", "v" * 20) is not None
        assert tokens.login("alice", "v" * 20) is None

    def test_short_or_shared_tokens_are_refused(self) -> None:
        with pytest.raises(UsageError, match="shorter than 16"):
            Tokens({Role.OPERATOR: "short"})
        with pytest.raises(UsageError, match="the same"):
            Tokens({Role.OPERATOR: "s" * 20, Role.VIEWER: "s" * 20})

    def test_nobody_configured_is_an_error_naming_the_variables(self) -> None:
        with pytest.raises(UsageError) as err:
            Authenticators([])
        assert "KUBECURRENT_SERVE_OPERATOR_TOKEN" in (err.value.hint or "")


def test_operators_may_do_what_viewers_may_and_not_the_reverse() -> None:
    assert Role.OPERATOR.allows(Role.VIEWER) and Role.OPERATOR.allows(Role.OPERATOR)
    assert Role.VIEWER.allows(Role.VIEWER) and not Role.VIEWER.allows(Role.OPERATOR)
