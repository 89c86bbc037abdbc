"""Issue #18 regressions not held by a test of their own module (see docs/threat-model.md's map).

Each test names the defect it holds; together with the tests the map names elsewhere, every one
of the issue's 27 defects has a test that fails if it comes back.
"""

from __future__ import annotations

import ast
import os
import resource
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import pytest
from click.testing import CliRunner, Result

import kubecurrent
from kubecurrent.catalog import build, data_dir, load_catalog
from kubecurrent.cli._app import _register, root
from kubecurrent.collect.cluster import load_fleet_file
from kubecurrent.collect.files import chart_info
from kubecurrent.collect.fleet_spec import load_fleet_spec
from kubecurrent.errors import KubecurrentError
from kubecurrent.execute import RetryableStepError
from kubecurrent.model.inventory import HelmRelease
from kubecurrent.rollout import ClusterRef, Store, Strategy, create, load_strategy
from kubecurrent.sandbox._build import binary_path
from kubecurrent.sandbox._components import HELM
from kubecurrent.web import UsersFile

pytestmark = pytest.mark.unit

SRC = Path(kubecurrent.__file__).parent
CRON = "apiVersion: batch/v1beta1\nkind: CronJob\nmetadata:\n  name: {name}\n"


def cli(*args: str) -> Result:
    _register()
    return CliRunner().invoke(root, list(args))


# 1. Command execution: a release name read from a cluster is an operand of helm, never a flag.
def test_a_release_name_read_from_a_cluster_is_never_a_helm_flag(tmp_path: Path) -> None:
    """``--help`` as a flag makes ``helm status`` print its help and succeed (and the status
    "parse" fail); as an operand it is a release name helm looks for in the cluster."""
    from kubecurrent.execute._helm import HelmAddons

    kubeconfig = tmp_path / "dead.kubeconfig"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
        "clusters: [{name: c, cluster: {server: 'https://127.0.0.1:1'}}]\n"
        "contexts: [{name: c, context: {cluster: c, user: u}}]\n"
        "users: [{name: u, user: {token: t}}]\n"
    )
    helm = HelmAddons(
        helm=binary_path(HELM, "helm"),
        kube=cast(Any, None),  # not used by status
        kubeconfig=kubeconfig,
        context=None,
        charts={},
        audit=cast(Any, None),
    )
    release = HelmRelease(
        name="--help", namespace="x", revision=1, status="deployed", chart="c", chart_version="1"
    )
    with pytest.raises(RetryableStepError) as err:
        helm.status(release)
    assert "Kubernetes cluster unreachable" in err.value.message  # it looked for the release


# 4. Writers: ``catalog update --write`` (and every writer of a user's file) replaces atomically.
def test_catalog_update_write_cut_short_leaves_the_data_file_whole(tmp_path: Path) -> None:
    data = tmp_path / "apis.yaml"
    original = "apis: []  # the catalog as it was\n" * 50
    data.write_text(original)
    script = (
        "import sys\nfrom pathlib import Path\nfrom kubecurrent.catalog import UpdateResult\n"
        "new = 'apis: [changed]\\n' * 5000\n"
        "UpdateResult(old={'apis.yaml': ''}, new={'apis.yaml': new}).apply(Path(sys.argv[1]))\n"
    )

    def limited() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (len(original) * 2, len(original) * 2))

    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=limited,
        check=False,
    )
    assert done.returncode != 0 and "File too large" in done.stderr
    assert data.read_text() == original
    assert sorted(p.name for p in tmp_path.iterdir()) == ["apis.yaml"]  # no temp file left


WRITERS = (
    "catalog/_update.py",
    "cli/_cloud_kubeconfig.py",
    "cli/fix.py",
    "cli/inventory.py",
    "cli/rollout.py",
    "controller/_runners.py",
    "execute/gitops/_git.py",
)


@pytest.mark.parametrize("module", WRITERS)
def test_writers_of_user_files_never_write_in_place(module: str) -> None:
    tree = ast.parse((SRC / module).read_text(encoding="utf-8"))
    in_place = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("write_text", "write_bytes")
    ]
    assert in_place == [], f"{module} writes in place at lines {in_place}: use write_atomic"
    assert "write_atomic" in (SRC / module).read_text(encoding="utf-8")


# 7. Duplicate keys: a second apiVersion no longer hides a removed one.
def test_a_second_api_version_in_a_manifest_is_an_error_naming_both_lines(tmp_path: Path) -> None:
    manifest = tmp_path / "cron.yaml"
    manifest.write_text("apiVersion: batch/v1beta1\nkind: CronJob\napiVersion: batch/v1\n")
    result = cli("scan", "files", "--target", "1.37", str(manifest))
    assert result.exit_code == 1, result.output  # an input could not be read
    assert "cron.yaml:3: " in result.stderr
    assert "the key 'apiVersion' is written twice (lines 1 and 3)" in result.stderr


def test_a_chart_yaml_written_loosely_is_still_read_as_helm_reads_it(tmp_path: Path) -> None:
    """Helm keeps the last of a key written twice in its own Chart.yaml; so does the scan."""
    (tmp_path / "Chart.yaml").write_text("apiVersion: v1\napiVersion: v2\nname: c\nversion: 1\n")
    assert chart_info(tmp_path).name == "c"


# 11-12. Markup in a printed value neither crashes the error printer nor loses brackets.
@pytest.mark.parametrize("value", ["[/x]", "[bold]kept[/bold] [red]"])
def test_markup_in_a_value_is_printed_as_text_by_the_error_printer(value: str) -> None:
    result = cli("scan", "files", "--target", value, ".")
    assert result.exit_code == 2
    assert f"error: '{value}' is not a Kubernetes version" in result.stderr
    assert "Traceback" not in result.output


# 13. Invalid dates and bytes that are not UTF-8 in every user file: a clear error or a result.
READERS: dict[str, Callable[[Path], Any]] = {
    "fleet spec": lambda p: load_fleet_spec(p, load_catalog()),
    "fleet file": load_fleet_file,
    "strategy": load_strategy,
    "users file": UsersFile.load,
    "catalog extra": lambda p: build(data_dir(), [p]),
    "Chart.yaml": lambda p: chart_info(p.parent),
}


@pytest.mark.parametrize("reader", sorted(READERS))
@pytest.mark.parametrize(
    "content", [b"created: 2024-02-30\n", b"name: caf\xe9\n"], ids=["date", "latin1"]
)
def test_invalid_dates_and_encodings_are_errors_naming_the_file(
    reader: str, content: bytes, tmp_path: Path
) -> None:
    path = tmp_path / "Chart.yaml"
    path.write_bytes(content)
    try:
        READERS[reader](path)
    except KubecurrentError as exc:
        assert str(path) in exc.message
        if content.endswith(b"\xe9\n"):
            assert "not UTF-8" in exc.message or "not valid YAML" in exc.message


# 14. A bad Chart.yaml no longer aborts the scan: every other finding is kept.
def test_a_bad_chart_yaml_is_one_error_and_loses_no_other_finding(tmp_path: Path) -> None:
    chart = tmp_path / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_bytes(b"apiVersion: v2\nname: \xff\nversion: 2024-02-30\n")
    (tmp_path / "cron.yaml").write_text(CRON.format(name="other"))
    result = cli("scan", "files", "--target", "1.37", str(tmp_path))
    assert result.exit_code == 6, result.output  # findings and an unreadable input
    assert "CronJob other" in result.stdout
    assert "chart/Chart.yaml" in result.stderr


# 15. SQLite "database is locked" is a clear error with the next step, not a traceback.
def test_a_locked_state_file_is_an_error_saying_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import datetime as dt

    state = tmp_path / "state.db"
    strategy = Strategy.model_validate({"waves": [{"name": "all", "select": {}}]})
    rid = create(
        Store(state),
        clusters=[ClusterRef("a")],
        target="1.37",
        strategy=strategy,
        fleet="f.yaml",
        actor="ann",
        now=dt.datetime(2026, 11, 25, tzinfo=dt.UTC),
    )
    connect = sqlite3.connect
    # The real lock below; only the 30 s SQLite waits for it is shortened.
    monkeypatch.setattr(sqlite3, "connect", lambda *a, **k: connect(*a, **{**k, "timeout": 0.2}))
    holder = connect(state, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        result = cli("rollout", "pause", rid, "--state", str(state))
    finally:
        holder.rollback()
        holder.close()
    assert result.exit_code == 2, result.output
    assert f"error: state file {state}: database is locked" in result.stderr
    assert "hint: another kubecurrent is writing it for too long; wait and run again" in (
        result.stderr
    )


# 19. Files named explicitly that cannot be decoded are errors with a non-zero exit.
@pytest.mark.parametrize(
    "content",
    [b"\x00\x01binary", b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: \xff\xfe\n"],
    ids=["nul-bytes", "unknown-encoding"],
)
def test_a_named_file_that_cannot_be_decoded_is_an_error(content: bytes, tmp_path: Path) -> None:
    path = tmp_path / "odd.yaml"
    path.write_bytes(content)
    result = cli("scan", "files", "--target", "1.37", str(path))
    assert result.exit_code == 1, result.output
    assert f"{path.name}" in result.stderr and "1 unreadable" in result.stdout


def test_a_named_file_that_cannot_be_read_is_an_error(tmp_path: Path) -> None:
    """Permission denied. Root reads any file with mode 0; a write-only sysctl file refuses
    reads even to root."""
    path = tmp_path / "secret.yaml"
    if os.geteuid() == 0:
        path = Path("/proc/sys/vm/compact_memory")
    else:
        path.write_text(CRON.format(name="hidden"))
        path.chmod(0)
    result = cli("scan", "files", "--target", "1.37", str(path))
    assert result.exit_code == 1, result.output
    assert "1 unreadable" in result.stdout
    assert f"{path.name}: cannot read: Permission denied" in result.stderr
