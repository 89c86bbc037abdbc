"""GitOps pins in the chart's own numbering, translated through the chart repository's index.

The ingress-nginx chart numbers itself 4.x for controller 1.x; plans speak of the controller.
Each test serves an ``index.yaml`` in Helm's format from a real HTTP server on loopback and edits
real git repositories. (``tests/integration/execute/test_gitops_charts.py`` does the same with
an index written by the real ``helm repo index``.)
"""

from __future__ import annotations

import dataclasses
import functools
import http.server
import json
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from kubecurrent.catalog import Catalog, DottedVersion, load_catalog
from kubecurrent.cli._app import _register, root
from kubecurrent.cli.upgrade import upgrade
from kubecurrent.execute import AuditLog, Clock, PermanentStepError
from kubecurrent.execute._chart_versions import ChartVersion, pick_chart_version
from kubecurrent.execute.gitops import (
    Git,
    GitOpsAddons,
    HttpChartIndex,
    edits_for_step,
    propose,
)
from kubecurrent.model.plan import ClusterPlan, Step
from kubecurrent.runner import Setup, gitops_addons

# (chart version, controller version it carries) in the served index.
CHARTS = [
    ("4.10.0", "1.10.0"),
    ("4.11.3", "1.11.3"),
    ("4.11.5", "1.11.5"),
    ("4.12.0", "1.12.0"),
    ("4.12.1", "1.12.1"),
    ("4.13.0-beta.0", "1.13.0"),
]


def index_text(charts: list[tuple[str, str]], name: str = "ingress-nginx") -> str:
    entries = [
        {
            "apiVersion": "v2",
            "name": name,
            "version": version,
            "appVersion": app,
            "urls": [f"{name}-{version}.tgz"],
            "digest": "0" * 64,
        }
        for version, app in charts
    ]
    return yaml.safe_dump({"apiVersion": "v1", "entries": {name: entries}})


class _Handler(http.server.SimpleHTTPRequestHandler):
    requests: list[str]

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.requests.append(self.path)
        super().do_GET()


class Served:
    """A directory served over HTTP on loopback; ``requests`` lists the paths asked for."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.requests: list[str] = []
        handler = type("Handler", (_Handler,), {"requests": self.requests})
        self.server = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(handler, directory=str(root))
        )
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def repository(self, name: str, text: str) -> str:
        """A Helm repository at URL/NAME/ with this index."""
        (self.root / name).mkdir(exist_ok=True)
        (self.root / name / "index.yaml").write_text(text)
        return f"{self.url}/{name}/"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    (tmp_path / "served").mkdir()
    box = Served(tmp_path / "served")
    box.thread.start()
    yield box
    box.server.shutdown()
    box.thread.join()


@pytest.fixture
def closed_port() -> str:
    """A loopback URL nothing listens on."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    port = server.server_address[1]
    server.server_close()
    return f"http://127.0.0.1:{port}/charts"


@pytest.fixture(autouse=True)
def identity(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "gitconfig"
    config.write_text("[user]\n\tname = Ada Ops\n\temail = ada@example.com\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for var in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_DIR"):
        monkeypatch.delenv(var, raising=False)


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True)
    return done.stdout


def repository(root: Path, files: dict[str, str]) -> Path:
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    git(root, "init", "--quiet", "--initial-branch=main")
    git(root, "add", ".")
    git(root, "commit", "--quiet", "-m", "platform")
    return root


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog([])


def step(from_: str, to: str, order: int = 1) -> Step:
    return Step.read(
        {
            "order": order,
            "type": "addon",
            "target": "ingress-nginx",
            "from": from_,
            "to": to,
            "why": f"ingress-nginx {from_} does not support the next hop",
            "without": "ingress-nginx would run outside its window",
            "hop": 0,
        }
    )


def plan(*steps: Step) -> ClusterPlan:
    return ClusterPlan(name="prod", status="ok", from_version="1.32.4", target="1.33", steps=steps)


def argo(repo_url: str, version: str = "4.11.3") -> str:
    return (
        "# the edge controller\n"
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: ingress\n"
        f"spec:\n  source:\n    repoURL: {repo_url}  # the official charts\n"
        "    chart: ingress-nginx\n"
        f"    targetRevision: {version}   # chart, not controller\n"
        "  destination: {namespace: ingress-nginx}\n"
    )


def flux_release(version: str = "'4.11.3'", source: str = "ingress-nginx") -> str:
    return (
        "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\n"
        "metadata:\n  name: ingress\n  namespace: flux-system\nspec:\n  chart:\n    spec:\n"
        f"      chart: ingress-nginx\n      version: {version} # chart\n"
        f"      sourceRef:\n        kind: HelmRepository\n        name: {source}\n"
    )


def flux_repository(url: str) -> str:
    return (
        "---\napiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\n"
        f"metadata:\n  name: ingress-nginx\n  namespace: flux-system\nspec:\n  url: {url}\n"
    )


class TestChoosingTheChartVersion:
    """The rule shared with Helm mode (``pick_chart_version``), on its own."""

    def charts(self, *pairs: tuple[str, str]) -> list[ChartVersion]:
        return [
            ChartVersion(v, DottedVersion.parse(v), DottedVersion.parse(app)) for v, app in pairs
        ]

    def test_exact_wins_with_its_newest_chart_revision_else_the_newest_of_the_line(self) -> None:
        charts = self.charts(("4.12.0", "1.12.1"), ("4.12.2", "1.12.1"), ("4.12.3", "1.12.2"))
        exact = pick_chart_version(
            charts, DottedVersion.parse("1.12.1"), DottedVersion.parse("1.12")
        )
        assert exact is not None and (exact.chart.version, exact.exact) == ("4.12.2", True)
        line = pick_chart_version(
            charts, DottedVersion.parse("1.12.9"), DottedVersion.parse("1.12")
        )
        assert line is not None and (line.chart.version, line.exact) == ("4.12.3", False)
        none = pick_chart_version(
            charts, DottedVersion.parse("1.13.0"), DottedVersion.parse("1.13")
        )
        assert none is None


class TestTranslatedPins:
    def test_an_argo_pin_moves_to_the_chart_carrying_the_planned_version(
        self, served: Served, catalog: Catalog
    ) -> None:
        url = served.repository("ingress", index_text(CHARTS))
        files = {"apps/ingress.yaml": argo(url)}
        found = edits_for_step(files, step("1.11.3", "1.12.1"), catalog, index=HttpChartIndex())
        assert not found.problems
        (edit,) = found.edits
        assert (edit.old, edit.new) == ("4.11.3", "4.12.1")
        assert edit.note == (
            "chart ingress-nginx 4.12.1 carries add-on ingress-nginx 1.12.1; the pinned chart "
            f"carries 1.11.3 ({url}index.yaml)"
        )

    def test_a_patch_no_chart_carries_takes_the_newest_chart_of_the_planned_line(
        self, served: Served, catalog: Catalog
    ) -> None:
        url = served.repository("ingress", index_text(CHARTS))
        files = {
            "overlay/kustomization.yaml": (
                f"helmCharts:\n- name: ingress-nginx\n  repo: {url}\n  version: 4.11.3\n"
            )
        }
        found = edits_for_step(files, step("1.11.3", "1.12.4"), catalog, index=HttpChartIndex())
        (edit,) = found.edits
        assert edit.new == "4.12.1"
        assert "carries add-on ingress-nginx 1.12.1, the newest of line 1.12 (1.12.4 is in no " in (
            edit.note
        )

    def test_a_range_stands_for_its_newest_chart_and_becomes_exact(
        self, served: Served, catalog: Catalog
    ) -> None:
        url = served.repository("ingress", index_text(CHARTS))
        files = {
            "chart/Chart.yaml": (
                "apiVersion: v2\nname: edge\nversion: 1.0.0\ndependencies:\n"
                f'  - name: ingress-nginx\n    version: "4.11.x"\n    repository: {url}\n'
            )
        }
        found = edits_for_step(files, step("1.11.5", "1.12.1"), catalog, index=HttpChartIndex())
        (edit,) = found.edits
        assert (edit.old, edit.new) == ('"4.11.x"', '"4.12.1"')
        assert edit.note == (
            "chart ingress-nginx 4.12.1 carries add-on ingress-nginx 1.12.1; range '4.11.x' "
            "(newest chart 4.11.5, carrying 1.11.5) replaced by the exact chart version "
            f"({url}index.yaml)"
        )

    def test_a_pin_already_carrying_the_planned_version_is_done(
        self, served: Served, catalog: Catalog
    ) -> None:
        url = served.repository("ingress", index_text(CHARTS))
        files = {"apps/ingress.yaml": argo(url, "4.12.1")}
        found = edits_for_step(files, step("1.11.3", "1.12.1"), catalog, index=HttpChartIndex())
        assert not found.edits and not found.problems and len(found.done) == 1

    def test_a_pin_carrying_another_version_is_left_alone_and_said(
        self, served: Served, catalog: Catalog
    ) -> None:
        url = served.repository("ingress", index_text(CHARTS))
        files = {"apps/ingress.yaml": argo(url, "4.10.0")}
        found = edits_for_step(files, step("1.11.3", "1.12.1"), catalog, index=HttpChartIndex())
        assert found.blocked
        assert (
            "chart ingress-nginx 4.10.0 carries ingress-nginx 1.10.0 "
            f"({url}index.yaml), not the current 1.11.3: left alone (edit it by hand)"
        ) in found.problems[1]

    def test_pre_release_charts_are_never_chosen(self, served: Served, catalog: Catalog) -> None:
        url = served.repository("ingress", index_text(CHARTS))
        files = {"apps/ingress.yaml": argo(url, "4.12.1")}
        found = edits_for_step(files, step("1.12.1", "1.13.0"), catalog, index=HttpChartIndex())
        assert found.blocked
        assert "no chart ingress-nginx in " in found.problems[1]
        assert (
            "carries ingress-nginx 1.13 (its charts carry 1.10.0, 1.11.3, 1.11.5, 1.12.0, "
            in (found.problems[1])
        )

    def test_a_chart_is_never_moved_backwards(self, served: Served, catalog: Catalog) -> None:
        # This repository renumbered its charts: 5.0.0 still carries the current controller.
        renumbered = [("4.12.1", "1.12.1"), ("5.0.0", "1.11.3")]
        url = served.repository("ingress", index_text(renumbered))
        files = {"apps/ingress.yaml": argo(url, "5.0.0")}
        found = edits_for_step(files, step("1.11.3", "1.12.1"), catalog, index=HttpChartIndex())
        assert found.blocked and not found.edits
        assert (
            "chart ingress-nginx 5.0.0 carries ingress-nginx 1.11.3, and the chart carrying "
            f"1.12.1 is 4.12.1 ({url}index.yaml), older: kubecurrent never moves a chart "
            "backwards: left alone"
        ) in found.problems[1]

    def test_one_index_is_read_once_per_run(self, served: Served, catalog: Catalog) -> None:
        url = served.repository("ingress", index_text(CHARTS))
        files = {"a.yaml": argo(url), "b.yaml": argo(url).replace("name: ingress", "name: b")}
        index = HttpChartIndex()
        first = edits_for_step(files, step("1.11.3", "1.12.1"), catalog, index=index)
        again = edits_for_step(files, step("1.11.3", "1.12.1"), catalog, index=index)
        assert len(first.edits) == len(again.edits) == 2
        assert served.requests == ["/ingress/index.yaml"]


class TestFlux:
    def test_a_helm_release_uses_its_helm_repository_from_the_same_repository(
        self, served: Served, catalog: Catalog, tmp_path: Path
    ) -> None:
        url = served.repository("ingress", index_text(CHARTS))
        root = repository(
            tmp_path / "repo",
            {
                "flux/ingress.yaml": flux_release(),
                "flux/sources.yaml": flux_repository(url),
            },
        )
        result = propose(
            Git.open(root), plan(step("1.11.3", "1.12.1")), catalog, index=HttpChartIndex()
        )
        assert not result.problems and len(result.commits) == 1
        shown = git(root, "show", f"{result.branch}:flux/ingress.yaml")
        assert shown == flux_release("'4.12.1'")
        body = git(root, "log", "-1", "--format=%B", result.branch)
        assert (
            "- flux/ingress.yaml:10 HelmRelease ingress spec.chart.spec.version: '4.11.3' → "
            "'4.12.1' (chart ingress-nginx 4.12.1 carries add-on ingress-nginx 1.12.1; the pinned "
            f"chart carries 1.11.3 ({url}index.yaml))"
        ) in body

    def test_a_source_that_is_not_in_the_repository_is_said(
        self, served: Served, catalog: Catalog
    ) -> None:
        url = served.repository("ingress", index_text(CHARTS))
        files = {"ingress.yaml": flux_release(source="elsewhere") + flux_repository(url)}
        found = edits_for_step(files, step("1.11.3", "1.12.1"), catalog, index=HttpChartIndex())
        assert found.blocked and served.requests == []
        assert (
            "but its sourceRef HelmRepository/flux-system/elsewhere names no HelmRepository with "
            "a spec.url in this repository, so the versions could not be translated: left alone "
            "(edit it by hand)"
        ) in found.problems[1]


class TestNoIndex:
    """Where no index can be read, the pin is left alone and the problem says why."""

    def reason(self, catalog: Catalog, text: str, index: HttpChartIndex | None) -> str:
        found = edits_for_step({"x.yaml": text}, step("1.11.3", "1.12.1"), catalog, index=index)
        assert found.blocked and not found.edits
        assert (
            "pins chart ingress-nginx at '4.11.3', which is neither the add-on's current "
            in (found.problems[1])
        )
        return found.problems[1].split("differently from the add-on, but ", 1)[1]

    def test_an_unreachable_index(self, catalog: Catalog, closed_port: str) -> None:
        reason = self.reason(catalog, argo(closed_port), HttpChartIndex(timeout=5))
        assert reason.startswith(f"reading {closed_port}/index.yaml failed (ConnectError: ")
        assert reason.endswith(
            "; check the address and your network or proxy, so the versions could not be "
            "translated: left alone (edit it by hand)"
        )

    def test_a_missing_index(self, served: Served, catalog: Catalog) -> None:
        reason = self.reason(catalog, argo(f"{served.url}/nothing"), HttpChartIndex())
        assert reason.startswith(
            f"{served.url}/nothing/index.yaml answered HTTP 404; check the repository URL"
        )

    def test_not_an_index(self, served: Served, catalog: Catalog) -> None:
        url = served.repository("junk", "<html>hello</html>\n")
        reason = self.reason(catalog, argo(url), HttpChartIndex())
        assert reason.startswith(f"{url}index.yaml is not a Helm repository index")

    def test_an_oci_registry(self, catalog: Catalog) -> None:
        reason = self.reason(catalog, argo("oci://ghcr.io/acme/charts"), HttpChartIndex())
        assert reason.startswith("oci://ghcr.io/acme/charts is an OCI registry, which serves no ")

    def test_reading_indexes_turned_off(self, served: Served, catalog: Catalog) -> None:
        url = served.repository("ingress", index_text(CHARTS))
        reason = self.reason(catalog, argo(url), None)
        assert reason.startswith(f"{url}index.yaml was not read (chart repository indexes are off)")
        assert served.requests == []


class TestCommandLine:
    def test_propose_translates_and_no_chart_index_refuses(
        self, served: Served, tmp_path: Path
    ) -> None:
        url = served.repository("ingress", index_text(CHARTS))
        work = repository(tmp_path / "repo", {"apps/ingress.yaml": argo(url)})
        plan_file = tmp_path / "plan.json"
        plan_file.write_text(json.dumps({"clusters": [plan(step("1.11.3", "1.12.1")).to_json()]}))
        _register()
        runner = CliRunner()
        args = ["gitops", "propose", "--repo", str(work), "--plan", str(plan_file), "--dry-run"]
        off = runner.invoke(root, [*args, "--no-chart-index"])
        assert off.exit_code == 3, off.output
        assert "chart repository indexes are off" in off.output
        on = runner.invoke(root, args)
        assert on.exit_code == 0, on.output
        assert "-    targetRevision: 4.11.3   # chart, not controller" in on.output
        assert "+    targetRevision: 4.12.1   # chart, not controller" in on.output

    def test_upgrade_reads_indexes_unless_told_not_to(
        self, served: Served, tmp_path: Path, catalog: Catalog
    ) -> None:
        assert "gitops_no_chart_index" in {p.name for p in upgrade.params}
        assert "gitops_no_chart_index" in {f.name for f in dataclasses.fields(Setup)}
        url = served.repository("ingress", index_text(CHARTS))
        work = repository(tmp_path / "repo", {"apps/ingress.yaml": argo(url)})

        def action(chart_index: bool) -> GitOpsAddons | None:
            return gitops_addons(
                work,
                None,
                1.0,
                catalog,
                plan(step("1.11.3", "1.12.1")),
                observe=lambda: pytest.fail("the cluster is not read before the upgrade"),
                audit=AuditLog(tmp_path / "audit.jsonl", cluster="prod"),
                clock=Clock(),
                dry_run=True,
                chart_index=chart_index,
            )

        with pytest.raises(PermanentStepError) as off:
            action(chart_index=False)
        assert "chart repository indexes are off" in off.value.message
        on = action(chart_index=True)
        assert on is not None and isinstance(on.index, HttpChartIndex)
