"""GitOps mode on real git repositories: exact version edits, one commit per step, nothing else."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from kubecurrent.catalog import Catalog, load_catalog
from kubecurrent.execute.gitops import (
    Git,
    GitError,
    apply_edits,
    edits_for_step,
    find_pins,
    is_range,
    propose,
)
from kubecurrent.execute.gitops._edit import requote
from kubecurrent.model.plan import ClusterPlan, Step

FIXTURE = Path(__file__).parent / "gitops_repo"


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True)
    return done.stdout


@pytest.fixture(autouse=True)
def identity(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "gitconfig"
    config.write_text("[user]\n\tname = Ada Ops\n\temail = ada@example.com\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for var in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_DIR"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(FIXTURE, root)
    git(root, "init", "--quiet", "--initial-branch=main")
    git(root, "config", "core.autocrlf", "false")
    git(root, "add", ".")
    git(root, "commit", "--quiet", "-m", "platform")
    return root


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog([])


def step(order: int, addon: str, from_: str, to: str, hop: int = 0) -> Step:
    return Step.read(
        {
            "order": order,
            "type": "addon",
            "target": addon,
            "from": from_,
            "to": to,
            "why": f"{addon} {from_} does not support the next hop",
            "without": f"{addon} would run outside its window",
            "hop": hop,
        }
    )


def plan(*steps: Step) -> ClusterPlan:
    return ClusterPlan(name="prod", status="ok", from_version="1.33.5", target="1.35", steps=steps)


CERT = step(1, "cert-manager", "1.14.5", "1.15.3")
METRICS = step(2, "metrics-server", "3.12.1", "3.12.2", hop=1)


def files_of(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and ".git" not in p.parts
    }


class TestFindingPins:
    def test_every_kind_of_pin_with_its_exact_token(self) -> None:
        files = {
            str(p.relative_to(FIXTURE)): p.read_bytes().decode() for p in FIXTURE.rglob("*.yaml")
        }
        scan = find_pins(files)
        found = [
            (p.path, p.line, p.kind, p.chart, p.field, files[p.path][p.start : p.end])
            for p in scan.pins
        ]
        assert found == [
            (
                "apps.yaml",
                12,
                "Application",
                "cert-manager",
                "spec.source.targetRevision",
                '"v1.14.5"',
            ),
            (
                "apps.yaml",
                28,
                "Application",
                "external-dns",
                "spec.sources[1].targetRevision",
                "1.14.5",
            ),
            (
                "chart/Chart.yaml",
                6,
                "Chart.yaml",
                "cert-manager",
                "dependencies[0].version",
                "~1.14.0",
            ),
            ("chart/Chart.yaml", 9, "Chart.yaml", "kyverno", "dependencies[1].version", "3.1.4"),
            (
                "flux-metrics.yaml",
                11,
                "HelmRelease",
                "metrics-server",
                "spec.chart.spec.version",
                "'3.12.1'",
            ),
            (
                "flux/cert-manager.yaml",
                11,
                "HelmRelease",
                "cert-manager",
                "spec.chart.spec.version",
                "v1.14.5",
            ),
            (
                "flux/cert-manager.yaml",
                33,
                "OCIRepository",
                "metrics-server",
                "spec.ref.tag",
                '"3.12.1"',
            ),
            (
                "overlay/kustomization.yaml",
                5,
                "kustomization",
                "metrics-server",
                "helmCharts[0].version",
                "3.12.1",
            ),
        ]
        assert [(r.name, r.target) for r in scan.references] == [
            ("podinfo", "OCIRepository/apps/podinfo")
        ]

    def test_applicationset_templates_and_flow_mappings(self) -> None:
        text = (
            "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata: {name: x}\n"
            "spec:\n  template:\n    spec:\n      source: {chart: cert-manager, "
            "targetRevision: v1.14.5, repoURL: https://charts.jetstack.io}\n"
        )
        (pin,) = find_pins({"set.yaml": text}).pins
        assert (pin.kind, pin.field) == (
            "ApplicationSet",
            "spec.template.spec.source.targetRevision",
        )
        assert text[pin.start : pin.end] == "v1.14.5"


class TestEdits:
    def test_quote_style_is_kept_and_float_looking_versions_are_quoted(self) -> None:
        assert requote('"v1.14.5"', "v1.15.3") == '"v1.15.3"'
        assert requote("'3.12.1'", "3.12.2") == "'3.12.2'"
        assert requote("1.14.5", "1.15.3") == "1.15.3"
        assert requote("1.19", "1.20") == '"1.20"'

    def test_ranges(self) -> None:
        assert is_range("~1.14.0") and is_range(">=1.2 <2") and is_range("1.14.x")
        assert not is_range("v1.14.5") and not is_range("1.14.5")

    def test_a_range_becomes_the_exact_planned_version_with_a_note(self, catalog: Catalog) -> None:
        files = {"Chart.yaml": (FIXTURE / "chart" / "Chart.yaml").read_text()}
        found = edits_for_step(files, CERT, catalog)
        (edit,) = found.edits
        assert (edit.old, edit.new) == ("~1.14.0", "1.15.3")
        assert "range '~1.14.0' replaced by the exact planned version 1.15.3" in edit.note
        after = apply_edits(files["Chart.yaml"], found.edits)
        assert after == files["Chart.yaml"].replace("~1.14.0", "1.15.3")

    def test_a_chart_numbered_differently_is_left_alone_and_said(self, catalog: Catalog) -> None:
        files = {"apps.yaml": (FIXTURE / "apps.yaml").read_text()}
        found = edits_for_step(files, step(1, "external-dns", "0.14.2", "0.15.0"), catalog)
        assert found.blocked and not found.edits
        assert found.problems[0].startswith(
            "add-on external-dns (step 1, 0.14.2 → 0.15.0): no pin follows the add-on version"
        )
        assert (
            "apps.yaml:28 (Application dns, spec.sources[1].targetRevision) pins chart "
            in (found.problems[1])
        )
        assert (
            "neither the add-on's current version 0.14.2 nor the planned 0.15.0"
            in found.problems[1]
        )

    def test_an_addon_without_a_pin_is_reported(self, catalog: Catalog) -> None:
        files = {"apps.yaml": (FIXTURE / "apps.yaml").read_text()}
        found = edits_for_step(files, step(3, "velero", "1.13.0", "1.14.1"), catalog, "/r")
        assert found.blocked
        assert found.problems == [
            "add-on velero (step 3, 1.13.0 → 1.14.1): no pin of chart velero in /r (looked in "
            "Argo CD Applications and ApplicationSets, Flux HelmReleases and OCIRepositories, "
            "Chart.yaml dependencies and kustomize helmCharts)"
        ]


class TestPropose:
    def test_exactly_the_planned_version_edits_one_commit_per_step(
        self, repo: Path, catalog: Catalog
    ) -> None:
        before = files_of(repo)
        head = git(repo, "rev-parse", "HEAD").strip()

        result = propose(Git.open(repo), plan(CERT, METRICS), catalog)

        branch = "kubecurrent/upgrade-prod-1.35"
        assert result.branch == branch and len(result.commits) == 2 and not result.problems
        # the user's checkout is untouched: same branch, same HEAD, same files, clean
        assert git(repo, "branch", "--show-current").strip() == "main"
        assert git(repo, "rev-parse", "HEAD").strip() == head
        assert files_of(repo) == before
        assert git(repo, "status", "--porcelain") == ""

        stat = git(repo, "diff", "--numstat", f"main..{branch}")
        assert sorted(stat.splitlines()) == [
            "1\t1\tapps.yaml",
            "1\t1\tchart/Chart.yaml",
            "1\t1\tflux-metrics.yaml",
            "1\t1\toverlay/kustomization.yaml",
            "2\t2\tflux/cert-manager.yaml",
        ]
        changed = [
            line
            for line in git(repo, "diff", "-U0", f"main..{branch}").splitlines()
            if line[:1] in "+-" and not line.startswith(("+++", "---"))
        ]
        assert changed == [
            '-    targetRevision: "v1.14.5"  # keep in step with the CRDs',
            '+    targetRevision: "v1.15.3"  # keep in step with the CRDs',
            "-    version: ~1.14.0   # any 1.14 patch",
            "+    version: 1.15.3   # any 1.14 patch",
            "-            version: '3.12.1' # pinned",  # CRLF: checked on bytes below
            "+            version: '3.12.2' # pinned",  # CRLF: checked on bytes below
            "-      version: v1.14.5",
            "+      version: v1.15.3",
            '-    tag: "3.12.1"',
            '+    tag: "3.12.2"',
            "-  version: 3.12.1",
            "+  version: 3.12.2",
        ]
        crlf = subprocess.run(
            ["git", "show", f"{branch}:flux-metrics.yaml"], cwd=repo, capture_output=True
        ).stdout
        assert crlf == before["flux-metrics.yaml"].replace(b"'3.12.1'", b"'3.12.2'")

        subjects = git(repo, "log", "--format=%s", f"main..{branch}").splitlines()
        assert subjects == [
            "metrics-server: 3.12.1 → 3.12.2 (kubecurrent plan step 2)",
            "cert-manager: 1.14.5 → 1.15.3 (kubecurrent plan step 1)",
        ]
        body = git(repo, "log", "-1", "--format=%B", f"{branch}~1")
        assert "Cluster prod, upgrade 1.33.5 → 1.35, before the first control-plane hop." in body
        assert "Why: cert-manager 1.14.5 does not support the next hop" in body
        assert (
            "- chart/Chart.yaml:6 Chart.yaml cert-manager dependencies[0].version: ~1.14.0 → "
            "1.15.3 (range '~1.14.0' replaced by the exact planned version 1.15.3)"
        ) in body
        assert "Generated by kubecurrent" in body
        author = git(repo, "log", "-1", "--format=%an <%ae>|%cn", branch)
        assert author.strip() == "Ada Ops <ada@example.com>|Ada Ops"
        assert git(repo, "diff", "--numstat", f"main..{branch}~1").count("\n") == 3

    def test_running_twice_adds_no_commit(self, repo: Path, catalog: Catalog) -> None:
        first = propose(Git.open(repo), plan(CERT, METRICS), catalog)
        again = propose(Git.open(repo), plan(CERT, METRICS), catalog)
        assert again.commits == [] and again.diff == ""
        assert [len(s.done) for s in again.steps] == [3, 3]
        tip = git(repo, "rev-parse", first.branch).strip()
        assert tip == first.commits[-1]

    def test_a_later_step_of_the_same_addon_counts_as_done(
        self, repo: Path, catalog: Catalog
    ) -> None:
        two = plan(CERT, step(5, "cert-manager", "1.15.3", "1.16.2", hop=2))
        assert len(propose(Git.open(repo), two, catalog).commits) == 2
        again = propose(Git.open(repo), two, catalog)
        assert again.commits == [] and not again.problems

    def test_dry_run_prints_the_diff_and_changes_nothing(
        self, repo: Path, catalog: Catalog
    ) -> None:
        (repo / "notes.txt").write_text("untracked\n")
        (repo / "apps.yaml").write_text((repo / "apps.yaml").read_text() + "# wip\n")
        refs = git(repo, "for-each-ref")
        result = propose(Git.open(repo), plan(CERT), catalog, dry_run=True)
        assert git(repo, "for-each-ref") == refs
        assert result.commits == []
        assert '-    targetRevision: "v1.14.5"  # keep in step with the CRDs\n' in result.diff
        assert "+++ b/flux/cert-manager.yaml\n" in result.diff
        assert result.diff.count("\n+ ") == 3  # three changed lines, no other

    def test_a_dirty_work_tree_is_refused_naming_the_files(
        self, repo: Path, catalog: Catalog
    ) -> None:
        (repo / "apps.yaml").write_text("changed\n")
        with pytest.raises(GitError) as err:
            propose(Git.open(repo), plan(CERT), catalog)
        assert err.value.message == f"{repo} has uncommitted changes: apps.yaml"
        assert err.value.hint is not None and "commit or stash" in err.value.hint
        assert "kubecurrent" not in git(repo, "branch")

    def test_missing_identity_names_the_git_config_command(
        self, repo: Path, catalog: Catalog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        empty = tmp_path / "empty-gitconfig"
        empty.write_text("")
        monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(empty))
        with pytest.raises(GitError) as err:
            propose(Git.open(repo), plan(CERT), catalog)
        assert "git has no user.name" in err.value.message
        assert (
            err.value.hint is not None and 'git config --global user.name "..."' in err.value.hint
        )

    def test_missing_pins_are_reported_and_the_rest_committed(
        self, repo: Path, catalog: Catalog
    ) -> None:
        result = propose(Git.open(repo), plan(CERT, step(2, "velero", "1.13.0", "1.14.1")), catalog)
        assert len(result.commits) == 1
        assert [s.blocked for s in result.steps] == [False, True]
        assert result.problems[0].startswith("add-on velero (step 2, 1.13.0 → 1.14.1): no pin")

    def test_an_existing_branch_that_does_not_contain_head_is_refused(
        self, repo: Path, catalog: Catalog
    ) -> None:
        git(repo, "branch", "kubecurrent/upgrade-prod-1.35")
        (repo / "x.yaml").write_text("a: 1\n")
        git(repo, "add", "x.yaml")
        git(repo, "commit", "--quiet", "-m", "more")
        git(repo, "checkout", "--quiet", "-b", "other", "HEAD~1")
        git(repo, "checkout", "--quiet", "main")
        git(repo, "branch", "-f", "kubecurrent/upgrade-prod-1.35", "other")
        with pytest.raises(GitError, match="does not contain the current HEAD"):
            propose(Git.open(repo), plan(CERT), catalog)

    def test_committing_on_the_checked_out_branch_keeps_the_checkout_consistent(
        self, repo: Path, catalog: Catalog
    ) -> None:
        result = propose(Git.open(repo), plan(CERT), catalog, branch="main")
        assert len(result.commits) == 1
        assert git(repo, "status", "--porcelain") == ""
        assert '"v1.15.3"' in (repo / "apps.yaml").read_text()

    def test_not_a_repository(self, tmp_path: Path) -> None:
        with pytest.raises(GitError, match="not a git repository"):
            Git.open(tmp_path)
