"""What a successful ``scan cluster`` loads, in a fresh process against a real sandbox: no
progress bar library when stderr is not a terminal, nothing of the sandbox, the planner, the
templates, the file scan's readers or the catalog's builder (each is memory at the scan's
peak)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys

from kubecurrent.catalog import cached_catalog, data_dir
from tests.integration.conftest import SessionSandbox, guard
from tests.unit.test_lazy import CLUSTER_SCAN_MUST_NOT_LOAD

MUST_NOT_LOAD = ("rich", *CLUSTER_SCAN_MUST_NOT_LOAD)
"""What a cluster scan never loads, and rich too: stderr is a pipe here, no bar is drawn."""


def test_a_json_scan_into_a_pipe_loads_no_rich_sandbox_planner_or_templates(
    cluster: SessionSandbox,
) -> None:
    guard(cluster, cluster.kubeconfig)
    cached_catalog(data_dir())  # written if missing: the scan then reads it, builds nothing
    args = ["--kubeconfig", str(cluster.kubeconfig), "scan", "cluster", "-o", "json"]
    code = (
        "import sys\n"
        "from kubecurrent.cli import main\n"
        "try:\n"
        f"    main({[*args, '--fail-on', 'none']!r})\n"
        "except SystemExit as exc:\n"
        "    print('exit', exc.code, file=sys.stderr)\n"
        f"print(sorted(m for m in sys.modules if m.startswith({MUST_NOT_LOAD!r})),"
        " file=sys.stderr)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    *_, status, loaded = out.stderr.strip().splitlines()
    report = json.loads(out.stdout)
    assert status in ("exit 0", "exit 1"), out.stderr  # 1: something could not be checked
    assert [c["scanned"] for c in report["clusters"]] == [True]
    assert ast.literal_eval(loaded) == []
