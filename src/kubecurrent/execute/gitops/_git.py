"""The user's git repository, through the real ``git`` binary: read a commit, add commits to a branch.

Commits are built with git's plumbing (``hash-object``, a private index, ``write-tree``,
``commit-tree``, ``update-ref``) on top of a base commit, so the user's checkout — current
branch, index, working tree — is never touched. Only when the branch to commit on is the one
checked out are the files written to the (clean) working tree and committed the ordinary way,
so that checkout stays consistent. Nothing is ever pushed.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from kubecurrent.errors import KubecurrentError
from kubecurrent.programs import ProgramMissing, run_program
from kubecurrent.textfile import write_atomic

__all__ = ["YAML_SUFFIXES", "Git", "GitError"]

YAML_SUFFIXES = (".yaml", ".yml")


class GitError(KubecurrentError):
    """A git command failed or the repository is not in a state kubecurrent can commit to."""


@dataclass(frozen=True)
class Git:
    root: Path

    @classmethod
    def open(cls, path: Path) -> Git:
        """The repository containing ``path`` (an error names the path when there is none)."""
        if not path.is_dir():
            raise GitError(f"--repo {path}: not a directory", hint="pass the repository's path")
        done = _git(path, "rev-parse", "--show-toplevel", check=False)
        if done.returncode != 0:
            raise GitError(
                f"--repo {path}: not a git repository ({done.stderr.strip()})",
                hint="pass the root of a git clone of your GitOps repository",
            )
        return cls(Path(done.stdout.strip()))

    def run(
        self, *args: str, stdin: bytes | None = None, env: Mapping[str, str] | None = None
    ) -> str:
        done = _git(self.root, *args, stdin=stdin, env=env)
        return done.stdout

    def head(self) -> str:
        return self.run("rev-parse", "--verify", "HEAD^{commit}").strip()

    def current_branch(self) -> str | None:
        done = _git(self.root, "symbolic-ref", "--quiet", "--short", "HEAD", check=False)
        return done.stdout.strip() or None

    def branch_tip(self, branch: str) -> str | None:
        ref = f"refs/heads/{branch}"
        done = _git(self.root, "rev-parse", "--verify", "--quiet", ref + "^{commit}", check=False)
        return done.stdout.strip() or None

    def is_ancestor(self, older: str, newer: str) -> bool:
        return (
            _git(self.root, "merge-base", "--is-ancestor", older, newer, check=False).returncode
            == 0
        )

    def dirty(self) -> list[str]:
        """Tracked files with uncommitted changes (staged or not); untracked files are ignored."""
        out = self.run("status", "--porcelain=v1", "-z", "--untracked-files=no")
        return [entry[3:] for entry in out.split("\0") if len(entry) > 3]

    def check_identity(self) -> None:
        """Author and committer must come from the user's configuration (or GIT_* variables)."""
        for key, env in (("user.name", "GIT_AUTHOR_NAME"), ("user.email", "GIT_AUTHOR_EMAIL")):
            if os.environ.get(env):
                continue
            if _git(self.root, "config", key, check=False).returncode != 0:
                raise GitError(
                    f"git has no {key} for {self.root}: kubecurrent commits as you",
                    hint=f'run `git config --global {key} "..."` (or set it in this repository '
                    "without --global), then run kubecurrent again",
                )

    def yaml_files(self, commit: str) -> dict[str, str]:
        """Every YAML file of ``commit``, path → text (bytes decoded as UTF-8, CRLF kept)."""
        listing = self.run("ls-tree", "-r", "-z", "--full-tree", commit)
        files: dict[str, str] = {}
        for entry in listing.split("\0"):
            if not entry:
                continue
            meta, path = entry.split("\t", 1)
            mode, kind, sha = meta.split()
            if kind != "blob" or mode == "120000" or not path.endswith(YAML_SUFFIXES):
                continue
            data = _git(self.root, "cat-file", "blob", sha, text=False).stdout_bytes
            try:
                files[path] = data.decode("utf-8")
            except UnicodeDecodeError:
                continue
        return files

    def commit_files(self, branch: str, parent: str, files: Mapping[str, str], message: str) -> str:
        """Commit ``files`` (path → new text) on top of ``parent`` and move ``branch`` there."""
        if self.current_branch() == branch:
            return self._commit_checked_out(files, message)
        with tempfile.TemporaryDirectory(prefix="kubecurrent-index-") as tmp:
            env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
            self.run("read-tree", parent, env=env)
            modes = self._modes(parent, files)
            for path, text in sorted(files.items()):
                sha = self.run(
                    "hash-object", "-w", "--no-filters", "--stdin", stdin=text.encode("utf-8")
                ).strip()
                self.run("update-index", "--cacheinfo", f"{modes[path]},{sha},{path}", env=env)
            tree = self.run("write-tree", env=env).strip()
        commit = self.run("commit-tree", tree, "-p", parent, "-F", "-", stdin=message.encode())
        commit = commit.strip()
        old = self.branch_tip(branch) or "0" * 40
        self.run("update-ref", "-m", "kubecurrent: gitops", f"refs/heads/{branch}", commit, old)
        return commit

    def _commit_checked_out(self, files: Mapping[str, str], message: str) -> str:
        for path, text in files.items():
            write_atomic(self.root / path, text.encode("utf-8"))
        self.run("add", "--", *files)
        self.run("commit", "--quiet", "--no-verify", "-F", "-", stdin=message.encode())
        return self.head()

    def _modes(self, commit: str, files: Mapping[str, str]) -> dict[str, str]:
        out = self.run("ls-tree", "-z", "--full-tree", commit, "--", *files)
        modes = {p: "100644" for p in files}
        for entry in out.split("\0"):
            if entry:
                meta, path = entry.split("\t", 1)
                modes[path] = meta.split()[0]
        return modes

    def log(self, base: str, tip: str) -> list[str]:
        """Subjects of the commits in ``base..tip``, oldest first."""
        out = self.run("log", "--reverse", "--format=%s", f"{base}..{tip}")
        return [line for line in out.splitlines() if line]


@dataclass(frozen=True)
class _Done:
    returncode: int
    stdout: str
    stderr: str
    stdout_bytes: bytes


def _git(
    cwd: Path,
    *args: str,
    stdin: bytes | None = None,
    env: Mapping[str, str] | None = None,
    check: bool = True,
    text: bool = True,
) -> _Done:
    """``git ARGS`` in ``cwd``: refs and paths come from git itself or after ``--``."""
    try:
        done = run_program(
            "git",
            ["-c", "core.quotepath=off", *args],
            cwd=cwd,
            stdin=stdin,
            env=env or {},
            timeout=120,
        )
    except ProgramMissing:
        raise GitError("git is not installed", hint="install git and run again") from None
    except KubecurrentError as exc:
        raise GitError(f"git {' '.join(args[:3])} in {cwd}: {exc.message}", hint=exc.hint) from None
    out = _Done(done.returncode, done.stdout if text else "", done.stderr, done.stdout_bytes)
    if check and done.returncode != 0:
        raise GitError(
            f"git {' '.join(args[:3])} failed in {cwd}: {out.stderr.strip()[-400:]}",
            hint="fix the repository state (see git's message), then run again",
        )
    return out
