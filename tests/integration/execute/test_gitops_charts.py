"""GitOps pins in the chart's own numbering, moved by a real Helm repository index.

Charts named ``ingress-nginx`` (copies of the demo add-on chart, renumbered like the real one:
chart 4.x carries controller 1.x) are packaged by the real ``helm package``, indexed by the real
``helm repo index`` and served over HTTP on loopback. The plan moves the controller 1.11.3 →
1.12.1; the repositories pin the chart, so kubecurrent must read the index to write 4.12.1.
No cluster is needed.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from kubecurrent.catalog import Catalog, load_catalog
from kubecurrent.execute.gitops import Git, HttpChartIndex, propose
from kubecurrent.model.plan import ClusterPlan, Step
from kubecurrent.sandbox._build import binary_path
from kubecurrent.sandbox._components import HELM
from tests.integration.execute.conftest import CHARTS

# (chart version, controller version) of each served repository.
REPOSITORIES = {
    "stable": [
        ("4.10.0", "1.10.0"),
        ("4.11.3", "1.11.3"),
        ("4.12.0", "1.12.0"),
        ("4.12.1", "1.12.1"),
    ],
    # A repository that renumbered its charts: 5.0.0 still carries the old controller.
    "renumbered": [("4.12.1", "1.12.1"), ("5.0.0", "1.11.3")],
}

STEP = Step.read(
    {
        "order": 1,
        "type": "addon",
        "target": "ingress-nginx",
        "from": "1.11.3",
        "to": "1.12.1",
        "why": "ingress-nginx 1.11 does not support Kubernetes 1.33",
        "without": "ingress-nginx would run outside its window",
        "hop": 0,
    }
)
PLAN = ClusterPlan(name="prod", status="ok", from_version="1.32.4", target="1.33", steps=(STEP,))


def _helm(*args: str) -> str:
    done = subprocess.run(
        [str(binary_path(HELM, "helm")), *args], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _chart(root: Path, version: str, app: str) -> Path:
    out = root / f"ingress-nginx-{version}"
    shutil.copytree(CHARTS / "demo-addon-1.0.0", out)
    meta = yaml.safe_load((out / "Chart.yaml").read_text())
    meta.update(name="ingress-nginx", version=version, appVersion=app)
    (out / "Chart.yaml").write_text(yaml.safe_dump(meta))
    return out


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@dataclass(frozen=True)
class Served:
    url: str

    def repository(self, name: str) -> str:
        return f"{self.url}/{name}"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    root = tmp_path_factory.mktemp("helm-repos")
    handler = functools.partial(_Quiet, directory=str(root / "served"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    url = f"http://127.0.0.1:{server.server_address[1]}"
    with pytest.MonkeyPatch.context() as env:
        for var in ("HELM_CONFIG_HOME", "HELM_CACHE_HOME", "HELM_DATA_HOME"):
            env.setenv(var, str(root / "home" / var.lower()))
        for name, charts in REPOSITORIES.items():
            out = root / "served" / name
            out.mkdir(parents=True)
            for version, app in charts:
                _helm("package", str(_chart(root / "sources" / name, version, app)), "-d", str(out))
            _helm("repo", "index", str(out), "--url", f"{url}/{name}")
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    yield Served(url)
    server.shutdown()
    thread.join()


@pytest.fixture(autouse=True)
def identity(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "gitconfig"
    config.write_text("[user]\n\tname = Ada Ops\n\temail = ada@example.com\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for var in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_DIR"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog([])


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


def argo(repo_url: str, version: str) -> str:
    return (
        "# The edge: ingress-nginx, synced by Argo CD.\n"
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\n"
        "metadata:\n  name: ingress  # public traffic\n  namespace: argocd\n"
        "spec:\n  project: edge\n  source:\n"
        f"    repoURL: {repo_url}\n"
        "    chart: ingress-nginx\n"
        f'    targetRevision: "{version}"   # the chart version, not the controller\'s\n'
        "    helm:\n      releaseName: ingress-nginx\n"
    )


def test_an_argo_application_moves_to_the_chart_carrying_the_planned_controller(
    served: Served, catalog: Catalog, tmp_path: Path
) -> None:
    url = served.repository("stable")
    before = argo(url, "4.11.3")
    repo = repository(tmp_path / "repo", {"apps/ingress.yaml": before})

    result = propose(Git.open(repo), PLAN, catalog, index=HttpChartIndex())

    assert not result.problems and len(result.commits) == 1
    after = git(repo, "show", f"{result.branch}:apps/ingress.yaml")
    assert after == before.replace('"4.11.3"', '"4.12.1"')  # comments and quotes intact
    body = git(repo, "log", "-1", "--format=%B", result.branch)
    assert (
        '- apps/ingress.yaml:12 Application ingress spec.source.targetRevision: "4.11.3" → '
        '"4.12.1" (chart ingress-nginx 4.12.1 carries add-on ingress-nginx 1.12.1; the pinned '
        f"chart carries 1.11.3 ({url}/index.yaml))"
    ) in body

    again = propose(Git.open(repo), PLAN, catalog, index=HttpChartIndex())
    assert again.commits == [] and not again.problems  # the branch carries 1.12.1 already


def test_a_flux_helm_release_finds_its_helm_repository_in_the_same_repository(
    served: Served, catalog: Catalog, tmp_path: Path
) -> None:
    release = (
        "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\n"
        "metadata:\n  name: ingress-nginx\n  namespace: edge\nspec:\n  interval: 10m\n"
        "  chart:\n    spec:\n      chart: ingress-nginx\n"
        "      version: 4.11.3 # bumped by kubecurrent\n"
        "      sourceRef:\n        kind: HelmRepository\n        name: ingress-nginx\n"
        "        namespace: flux-system\n"
    )
    sources = (
        "apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\n"
        "metadata:\n  name: ingress-nginx\n  namespace: flux-system\n"
        f"spec:\n  interval: 1h\n  url: {served.repository('stable')}/\n"
    )
    repo = repository(
        tmp_path / "repo", {"clusters/prod/ingress.yaml": release, "infra/sources.yaml": sources}
    )

    result = propose(Git.open(repo), PLAN, catalog, index=HttpChartIndex())

    assert not result.problems and len(result.commits) == 1
    changed = git(repo, "diff", "--numstat", f"main..{result.branch}")
    assert changed == "1\t1\tclusters/prod/ingress.yaml\n"
    after = git(repo, "show", f"{result.branch}:clusters/prod/ingress.yaml")
    assert after == release.replace("4.11.3", "4.12.1")
    (edit,) = result.steps[0].edits
    assert edit.note.startswith("chart ingress-nginx 4.12.1 carries add-on ingress-nginx 1.12.1")


def test_an_unreachable_index_leaves_the_pin_alone_and_says_why(
    catalog: Catalog, tmp_path: Path
) -> None:
    closed = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Quiet)
    url = f"http://127.0.0.1:{closed.server_address[1]}/charts"
    closed.server_close()
    repo = repository(tmp_path / "repo", {"apps/ingress.yaml": argo(url, "4.11.3")})
    head = git(repo, "rev-parse", "HEAD")

    result = propose(Git.open(repo), PLAN, catalog, index=HttpChartIndex(timeout=5))

    assert result.commits == [] and result.steps[0].blocked
    assert git(repo, "for-each-ref", "--format=%(refname)") == "refs/heads/main\n"
    assert git(repo, "rev-parse", "HEAD") == head
    problem = result.problems[1]
    assert problem.startswith(
        "apps/ingress.yaml:12 (Application ingress, spec.source.targetRevision) pins chart "
        "ingress-nginx at '4.11.3', which is neither the add-on's current version 1.11.3 nor the "
        "planned 1.12.1; the chart may number its releases differently from the add-on, but "
        f"reading {url}/index.yaml failed (ConnectError: "
    )
    assert problem.endswith(
        "check the address and your network or proxy, so the versions could not be "
        "translated: left alone (edit it by hand)"
    )


def test_a_chart_is_never_moved_backwards(served: Served, catalog: Catalog, tmp_path: Path) -> None:
    url = served.repository("renumbered")
    repo = repository(tmp_path / "repo", {"apps/ingress.yaml": argo(url, "5.0.0")})

    result = propose(Git.open(repo), PLAN, catalog, index=HttpChartIndex())

    assert result.commits == [] and result.steps[0].blocked
    assert (
        "chart ingress-nginx 5.0.0 carries ingress-nginx 1.11.3, and the chart carrying 1.12.1 "
        f"is 4.12.1 ({url}/index.yaml), older: kubecurrent never moves a chart backwards"
    ) in result.problems[1]
