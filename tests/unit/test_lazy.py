"""Packages that import their public names on first use: every name resolves, from the module
the type checker is told, and importing the package alone stays light."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from kubecurrent.catalog import cached_catalog, data_dir

LAZY = [
    "kubecurrent.sandbox",
    "kubecurrent.collect.cluster",
    "kubecurrent.catalog",
    "kubecurrent.analyze.report",
    "kubecurrent.collect.files",
    "kubecurrent.cli",
]


def _type_checking_imports(package: str) -> dict[str, str]:
    """name -> 'module:attribute' as the package's ``if TYPE_CHECKING:`` block imports it."""
    source = Path(importlib.import_module(package).__file__ or "").read_text()
    found: dict[str, str] = {}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
            for stmt in node.body:
                assert isinstance(stmt, ast.ImportFrom) and stmt.module
                for alias in stmt.names:
                    found[alias.asname or alias.name] = f"{stmt.module}:{alias.name}"
    return found


@pytest.mark.parametrize("package", LAZY)
def test_every_public_name_resolves_to_what_the_type_checker_sees(package: str) -> None:
    module = importlib.import_module(package)
    declared = _type_checking_imports(package)
    assert declared, f"{package} declares its lazy names under TYPE_CHECKING"
    for name in module.__all__:
        assert hasattr(module, name), f"{package}.{name}"
    for name, home in declared.items():
        assert name in module.__all__
        where, attribute = home.split(":")
        assert getattr(module, name) is getattr(importlib.import_module(where), attribute)
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        _ = module.nope
    assert set(module.__all__) <= set(dir(module))


def test_importing_the_packages_does_not_import_the_cluster_client_or_the_sandbox() -> None:
    probe = (
        "import sys\n"
        "import kubecurrent.catalog, kubecurrent.collect.cluster, kubecurrent.sandbox\n"
        "from kubecurrent.collect.cluster import ClusterResult, ClusterTarget\n"
        "print(sorted(m for m in ('lightkube', 'httpx', 'cryptography', 'psutil')"
        " if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def _modules_after(code: str, prefixes: tuple[str, ...]) -> list[str]:
    """The modules starting with one of ``prefixes`` loaded once ``code`` ran in a fresh
    interpreter (a regression fails here, not in a timing)."""
    probe = (
        f"import sys\n{code}\nprint(sorted(m for m in sys.modules if m.startswith({prefixes!r})))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return list(ast.literal_eval(out.stdout.strip().splitlines()[-1]))


def test_help_loads_no_command_no_pydantic_and_no_catalog() -> None:
    code = (
        "from kubecurrent.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass"
    )
    heavy = ("pydantic", "kubecurrent.catalog", "kubecurrent.cli.plan", "kubecurrent.cli.scan")
    assert _modules_after(code, heavy) == []


def test_the_plan_command_loads_no_template_engine_scanner_or_cluster_client() -> None:
    heavy = ("jinja2", "kubecurrent.pages", "kubecurrent.analyze", "rich", "lightkube", "httpx")
    assert _modules_after("import kubecurrent.cli.plan", heavy) == []
    # and the name it defers still works: -o html renders through the template engine
    code = (
        "from kubecurrent.model.plan import FleetPlan\n"
        "from kubecurrent.plan import render_html\n"
        "assert '<html' in render_html(FleetPlan(target='1.34', clusters=(), groups=()))"
    )
    assert "jinja2" in _modules_after(code, ("jinja2",))


SCAN_PATH_MUST_NOT_LOAD = (
    "pydantic",
    "pydantic_core",
    "importlib.metadata",
    "email",
    "secrets",
    "fractions",
    "kubecurrent.catalog._load",
    "kubecurrent.catalog._common",
    "kubecurrent.model.fields",
    "multiprocessing",
    "tarfile",
    "kubecurrent.sandbox._build",  # helm and kustomize are looked up only for a chart
    "kubecurrent.sandbox._components",
    "kubecurrent.analyze.report._junit",  # the writers of the formats not asked for
    "kubecurrent.analyze.report._markdown",
    "kubecurrent.analyze.report._sarif",
    "xml",
    "csv",
    "yaml",  # PyYAML: only for a file the rapidyaml tier passes on, a kustomization, -o yaml
    "subprocess",  # helm and kustomize are run only for a chart or overlay
    "kubecurrent.programs",
    "kubecurrent.collect.files._render",
    "kubecurrent.collect.files._chart",
    "kubecurrent.cli._kubectl",  # the kubectl plugin's entry point
    "kubecurrent.catalog._dotted",  # add-on versions are compared only with --addon-version
    "shutil",  # helm and kustomize are looked up on PATH only for a chart or overlay
    "resource",  # --debug's clock
)


def test_a_file_scan_loads_no_pydantic_no_metadata_reader_and_no_catalog_models(
    tmp_path: Path,
) -> None:
    (tmp_path / "ing.yaml").write_text(
        "apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata:\n  name: web\n"
    )
    (tmp_path / "pdb.yaml").write_text(
        "apiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata:\n  name: p\n"
    )
    code = (
        "import json, sys\n"
        "from kubecurrent.cli import main\n"
        "out = sys.stdout\n"
        "sys.stdout = open('/dev/null', 'w')\n"
        "try:\n"
        f"    main(['scan', 'files', {str(tmp_path)!r}, '--target', '1.37', '-o', 'json'])\n"
        "except SystemExit as exc:\n"
        "    sys.stdout = out\n"
        "    print('exit', exc.code)"
    )
    _modules_after(code, ("kubecurrent",))  # the first scan may build the catalog's cache
    probe = f"{code}\nprint(sorted(m for m in sys.modules if m.startswith({SCAN_PATH_MUST_NOT_LOAD!r})))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    *_, status, loaded = out.stdout.strip().splitlines()
    assert status == "exit 4", out.stdout + out.stderr  # the scan ran and found removed APIs
    assert ast.literal_eval(loaded) == []


def test_the_second_reader_s_grammar_is_compiled_only_when_a_file_needs_it(tmp_path: Path) -> None:
    plain = tmp_path / "plain.yaml"  # read by the rapidyaml tier alone
    plain.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n")
    tagged = tmp_path / "tagged.yaml"  # a tag: the rapidyaml tier passes, the grammar decides
    tagged.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: !!str b\n")
    code = (
        "from kubecurrent.analyze import body_fields\n"
        "from kubecurrent.collect.files import read_file\n"
        "from kubecurrent.collect.files._grammar import safe_document\n"
        "from pathlib import Path\n"
        "counts = []\n"
        f"for path in ({str(plain)!r}, {str(tagged)!r}):\n"
        "    items = list(read_file(Path(path), body_fields=body_fields))\n"
        "    counts.append((len(items), safe_document.cache_info().currsize))\n"
        "print(counts)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert ast.literal_eval(out.stdout.strip()) == [(1, 0), (1, 1)]


def test_the_version_is_written_once_and_the_distribution_reports_it() -> None:
    from importlib.metadata import version

    import kubecurrent

    assert version("kubecurrent") == kubecurrent.__version__


CLUSTER_SCAN_MUST_NOT_LOAD = (
    "kubecurrent.sandbox",
    "kubecurrent.plan",
    "kubecurrent.rollout",
    "kubecurrent.execute",
    "kubecurrent.pages",
    "jinja2",
    "kubecurrent.cli._scan_run",  # the file scan: its readers, renderers, walk and pool
    "kubecurrent.collect.files._read",
    "kubecurrent.collect.files._render",
    "kubecurrent.collect.files._walk",
    "kubecurrent.collect.files._exclude",
    "kubecurrent.catalog._build",  # the catalog's parsers and checks: a cache miss only
    "kubecurrent.catalog._read",
    "kubecurrent.catalog._check",
    "kubecurrent.useryaml",  # user YAML: the catalog's data files, fleet files
    "kubecurrent._userrapid",
    "ryml",
)
"""What a cluster scan from a kubeconfig never loads once the catalog's cache is written."""


def _closed_port() -> int:
    """A loopback port nothing listens on now (bound, then released): the scan runs its whole
    path (catalog, connection, analysis of no inventory) and reports the cluster unreachable.
    tests/integration/cluster/test_scan_imports.py checks a scan that succeeds."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def test_a_cluster_scan_loads_no_sandbox_planner_executor_templates_or_file_readers(
    tmp_path: Path,
) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: gone\n"
        "clusters:\n- name: gone\n  cluster:\n"
        f"    server: https://127.0.0.1:{_closed_port()}\n    insecure-skip-tls-verify: true\n"
        "users:\n- name: gone\n  user:\n    token: t\n"
        "contexts:\n- name: gone\n  context: {cluster: gone, user: gone}\n"
    )
    code = (
        "from kubecurrent.cli import main\n"
        "try:\n"
        f"    main(['--kubeconfig', {str(kubeconfig)!r}, 'scan', 'cluster', '-o', 'json',"
        " '--target', '1.37', '--timeout', '10'])\n"
        "except SystemExit as exc:\n"
        "    print('exit', exc.code)"
    )
    cached_catalog(data_dir())  # written if missing: the scan then reads it, builds nothing
    probe = f"import sys\n{code}\nprint(sorted(m for m in sys.modules if m.startswith({CLUSTER_SCAN_MUST_NOT_LOAD!r})))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    *_, status, loaded = out.stdout.strip().splitlines()
    assert status == "exit 5", out.stdout + out.stderr  # partial: the one cluster was unreachable
    assert "not scanned: gone" in out.stderr
    assert ast.literal_eval(loaded) == []
