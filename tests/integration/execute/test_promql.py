"""The PromQL health gate against a real Prometheus that scrapes a sandbox's API server.

Prometheus 3.16.0 is built from the Go module proxy on first use (cached in ~/.cache/kubecurrent)
and started by these tests on a free loopback port; it scrapes the sandbox API server's
``/metrics`` over HTTPS with the sandbox's CA and admin client certificate.
"""

from __future__ import annotations

import json
import sqlite3
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from lightkube.resources.core_v1 import Node

from kubecurrent import sandbox as sb
from kubecurrent.execute import (
    AuditLog,
    Baseline,
    PermanentStepError,
    Prometheus,
    PromQLCheck,
    PromQLGate,
    RetryableStepError,
    read_audit,
)
from kubecurrent.sandbox._pki import CertificateAuthority
from tests.integration.conftest import SessionSandbox, start_sandbox
from tests.integration.execute.conftest import kubecurrent
from tests.integration.prometheus import PrometheusServer, scrape_sandbox
from tests.integration.rollout.conftest import Fleet, FleetMember, run_rollout, write_fleet

HOLDS = (
    'sum(up{job="apiserver"}) >= 1',
    'sum(rate(apiserver_request_total{job="apiserver"}[1m])) > 0',
)
NEVER = 'up{job="nonexistent"} == 1'
START = "the start (the cluster must be healthy before the upgrade)"


@pytest.fixture(scope="module")
def watched(
    sandbox_home: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[SessionSandbox, PrometheusServer]]:
    """A 1.36 sandbox with a 1.35 node pool, and a Prometheus scraping its API server."""
    box = start_sandbox(sandbox_home, "promql", "1.36", ("default=2@1.35.4",))
    try:
        directory = tmp_path_factory.mktemp("prometheus")
        with PrometheusServer(directory, [scrape_sandbox(box.name)]) as prom:
            prom.wait_ready()
            prom.wait_for('up{job="apiserver"} == 1')  # the first scrape succeeded
            yield box, prom
    finally:
        sb.down(box.name)


def kubelets(box: SessionSandbox) -> set[str]:
    return {n.status.nodeInfo.kubeletVersion for n in box.client().list(Node)}


def promql_records(audit: Path) -> list[tuple[str, str, str]]:
    return [
        (r["gate"], r["query"], r["outcome"])
        for r in read_audit(audit)
        if r["action"] == "promql.check"
    ]


def test_a_query_that_never_holds_stops_the_upgrade_at_the_gate_naming_it(
    watched: tuple[SessionSandbox, PrometheusServer], tmp_path: Path
) -> None:
    box, prom = watched
    before = kubelets(box)
    audit = tmp_path / "audit.jsonl"
    # with the upgrade about to start: a node-pool roll from 1.35.4 to 1.36.3
    run = kubecurrent(
        box,
        audit,
        "--target",
        "1.36",
        "--gate-timeout",
        "60",
        "--prometheus-url",
        prom.url,
        "--health-query",
        HOLDS[0],
        "--health-query",
        NEVER,
        "--prometheus-timeout",
        "6",
    )
    out = run.stdout + run.stderr
    assert run.returncode == 1, out
    flat = " ".join(out.split())
    assert f"(Prometheus {prom.url}): query '{NEVER}' does not hold: empty result" in flat, out
    assert "PromQL gate after the start" in flat, out
    assert kubelets(box) == before  # nothing was touched
    records = read_audit(audit)
    assert not [r for r in records if r["action"] == "step.start"]
    assert promql_records(audit) == [
        ("the start (the cluster must be healthy before the upgrade)", NEVER, "failed")
    ]
    failed = next(r for r in records if r["action"] == "promql.check")
    assert failed["prometheus"] == prom.url and "no series matched" in failed["detail"]


def test_queries_that_hold_let_a_node_pool_roll_pass_its_gates(
    watched: tuple[SessionSandbox, PrometheusServer], tmp_path: Path
) -> None:
    box, prom = watched
    audit = tmp_path / "audit.jsonl"
    args = ["--prometheus-url", prom.url, "--health-query", HOLDS[0], "--health-query", HOLDS[1]]
    dry = kubecurrent(box, audit, "--target", "1.36", "--dry-run", *args)
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert f"PromQL '{HOLDS[0]}' on {prom.url}: holds now: 1 series: {{}} = 1" in dry.stdout

    assert kubelets(box) == {"v1.35.4"}
    run = kubecurrent(box, audit, "--target", "1.36", *args)
    assert run.returncode == 0, run.stdout + run.stderr
    (kubelet,) = kubelets(box)
    assert kubelet.startswith("v1.36."), kubelet
    records = read_audit(audit)
    done = [
        f"step {r['step']} ({r['type']} {r['target']})"
        for r in records
        if r["action"] == "step.done"
    ]
    assert any(g.endswith(" (node-pool default)") for g in done), done
    checks = promql_records(audit)  # both queries held at the start and after every step
    assert checks == [(g, q, "ok") for g in [START, *done] for q in HOLDS]
    for i, r in enumerate(records):  # a step is done only after its gate's queries held
        if r["action"] == "promql.check" and r["gate"] != START:
            started = max(j for j in range(i) if records[j]["action"] == "step.start")
            finished = next(
                j for j in range(i, len(records)) if records[j]["action"] == "step.done"
            )
            assert records[started]["step"] == records[finished]["step"]
            assert r["gate"].startswith(f"step {records[finished]['step']} ")
    first = next(r for r in records if r["action"] == "promql.check")
    assert first["detail"] == "1 series: {} = 1" and first["prometheus"] == prom.url


def test_a_rollout_uses_the_strategy_health_and_a_wave_may_replace_it(
    watched: tuple[SessionSandbox, PrometheusServer], tmp_path: Path
) -> None:
    box, prom = watched
    fleet = Fleet(
        [FleetMember(box, {"env": "dev"})],
        write_fleet([FleetMember(box, {"env": "dev"})], tmp_path / "fleet.yaml"),
        tmp_path / "rollouts.db",
    )
    strategy = tmp_path / "strategy.yaml"
    common = ["--fleet", str(fleet.path), "--target", "1.36", "--strategy", str(strategy)]

    # The wave's own health (a query that never holds) replaces the strategy's: the cluster
    # fails at its first gate and the rollout halts.
    strategy.write_text(
        yaml.safe_dump(
            {
                "health": {"prometheus": prom.url, "queries": [HOLDS[0]]},
                "waves": [
                    {
                        "name": "all",
                        "health": {"prometheus": prom.url, "queries": [NEVER], "timeout": "3s"},
                    }
                ],
            }
        )
    )
    halted = run_rollout(fleet, "start", *common, "--today", "2026-11-25")
    assert halted.returncode == 4, halted.stdout + halted.stderr
    rid = halted.stdout.split()[1]
    status = json.loads(run_rollout(fleet, "status", rid, "-o", "json").stdout)
    (cluster,) = status["waves"][0]["clusters"]
    assert cluster["state"] == "failed"
    assert f"query '{NEVER}' does not hold: empty result" in cluster["detail"]

    # The strategy's health holds at the start, and again after the soak.
    strategy.write_text(
        yaml.safe_dump(
            {
                "health": {"prometheus": prom.url, "queries": list(HOLDS)},
                "waves": [{"name": "all", "soak": "1s"}],
            }
        )
    )
    done = run_rollout(fleet, "start", *common, "--today", "2026-11-25")
    assert done.returncode == 0, done.stdout + done.stderr
    rid = done.stdout.split()[1]
    rows = sqlite3.connect(fleet.state).execute(
        "SELECT record FROM audit WHERE rollout = ? ORDER BY seq", (rid,)
    )
    checks = [json.loads(r[0]) for r in rows]
    checks = [
        (c["gate"], c["query"], c["outcome"]) for c in checks if c["action"] == "promql.check"
    ]
    assert ("the soak", HOLDS[1], "ok") in checks
    assert (START, HOLDS[0], "ok") in checks
    report = run_rollout(fleet, "report", rid).stdout
    assert "promql.check" in report


def test_tls_is_verified_with_the_given_ca(tmp_path: Path) -> None:
    """Prometheus serving HTTPS with a certificate from a test CA: trusted only with --prometheus-ca."""
    ca = CertificateAuthority.create("promql-test-ca")
    ca_file, _ = ca.pair.write(tmp_path, "ca")
    cert, key = ca.issue("prometheus", ips=("127.0.0.1",), server=True).write(tmp_path, "tls")
    web = {"tls_server_config": {"cert_file": str(cert), "key_file": str(key)}}
    with PrometheusServer(tmp_path / "p", [], web, scheme="https") as prom:
        prom.wait_ready(verify=ssl.create_default_context(cafile=str(ca_file)))
        with pytest.raises(RetryableStepError, match="CERTIFICATE_VERIFY_FAILED"):
            Prometheus(prom.url).query("vector(1)")
        audit = AuditLog(tmp_path / "audit.jsonl", "tls")
        gate = PromQLGate(None, [PromQLCheck(prom.url, ("vector(1) == 1",), ca_file, 20)], audit)
        gate.wait(Baseline(), "a TLS check")
        assert [r["outcome"] for r in read_audit(tmp_path / "audit.jsonl")] == ["ok"]
        untrusted = PromQLGate(
            None, [PromQLCheck(prom.url, ("vector(1)",), None, 2)], audit, poll=1
        )
        with pytest.raises(PermanentStepError, match="is unreachable: ConnectError"):
            untrusted.wait(Baseline(), "an untrusted check")
