"""Amazon EKS updates that fail or are interrupted, against the EKS API test double.

Each test has its own 1.36 sandbox backing an EKS cluster with a managed node group
``general``, rolled out to 1.37: ``billing`` gets a failed control-plane update and a resume;
``ledger`` a rollout killed with SIGKILL while EKS's control-plane update is in progress, and a
resume. A test's sandbox is stopped at its end (the machine is small).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from kubecurrent import sandbox as sb
from kubecurrent.rollout import Store
from tests.integration.conftest import SessionSandbox, wait_for

from .double import EksDouble, NodegroupSpec

pytestmark = pytest.mark.integration

REGION = "eu-west-1"


def _cluster(double: EksDouble, home: Path, name: str) -> Iterator[SessionSandbox]:
    double.start_sandbox(f"eks-{name}", "1.36")
    try:
        double.add_cluster(name, REGION, f"eks-{name}", nodegroups=[NodegroupSpec("general", 2)])
        yield SessionSandbox(f"eks-{name}", home)
    finally:  # gone from EKS too, so the next test's discovery does not find it
        with contextlib.suppress(Exception):
            double.remove_cluster(name, REGION)
        with contextlib.suppress(Exception):
            sb.down(f"eks-{name}")


@pytest.fixture
def billing(eks_double: EksDouble, sandbox_home: Path) -> Iterator[SessionSandbox]:
    yield from _cluster(eks_double, sandbox_home, "billing")


@pytest.fixture
def ledger(eks_double: EksDouble, sandbox_home: Path) -> Iterator[SessionSandbox]:
    yield from _cluster(eks_double, sandbox_home, "ledger")


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("eks-faults") / "rollouts.db"


def _cmd(state: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "kubecurrent", "rollout", *args, "--state", str(state)]


def _env(double: EksDouble) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return env | double.env(REGION) | {"KUBECURRENT_ACTOR": "alice"}


def _run(double: EksDouble, state: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        _cmd(state, *args), capture_output=True, text=True, timeout=900, env=_env(double)
    )


def _newest_rollout(state: Path) -> str:
    return str(Store(state).latest())


def _version(double: EksDouble, cluster: str) -> str:
    eks = boto3.Session(**double.session_kwargs(REGION)).client(
        "eks", endpoint_url=double.endpoint_url
    )
    return str(eks.describe_cluster(name=cluster)["cluster"]["version"])


def _updates(double: EksDouble, op: str, since: int = 0) -> list[dict[str, object]]:
    return [p for o, p in double.requests()[since:] if o == op]


def test_a_failed_eks_update_stops_the_cluster_and_resume_continues(
    eks_double: EksDouble, billing: SessionSandbox, state: Path
) -> None:
    message = "the cluster role may not update the control plane (a test fault)"
    eks_double.fail_next_update(
        "billing", kind="cluster", error_code="AccessDenied", message=message
    )
    start = ("start", "--discover", "eks", "--regions", REGION, "--provider", "eks")
    failed = _run(eks_double, state, *start, "--target", "1.37", "--poll", "0.2")
    assert failed.returncode != 0, failed.stdout
    rid = _newest_rollout(state)
    audit = Store(state).audit_records(rid)
    fail = next(r for r in audit if r.action == "step.fail")
    assert fail.type == "control-plane"
    assert f"AccessDenied: {message}" in fail.detail
    assert not _updates(eks_double, "UpdateNodegroupVersion")  # nothing further ran
    assert _version(eks_double, "billing") == "1.36"

    resumed = _run(eks_double, state, "resume", rid, "--retry-failed")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert _version(eks_double, "billing") == "1.37"
    assert len(_updates(eks_double, "UpdateNodegroupVersion")) == 1


def test_kill_9_during_an_eks_update_then_resume_waits_for_that_update(
    eks_double: EksDouble, ledger: SessionSandbox, state: Path, tmp_path: Path
) -> None:
    since = len(eks_double.requests())
    eks_double.hold_updates("ledger")
    log = (tmp_path / "rollout.log").open("wb")
    start = ("start", "--discover", "eks", "--regions", REGION, "--provider", "eks")
    proc = subprocess.Popen(
        _cmd(state, *start, "--target", "1.37", "--poll", "0.2"),
        stdout=log,
        stderr=subprocess.STDOUT,
        env=_env(eks_double),
    )
    try:
        wait_for(
            lambda: bool(_updates(eks_double, "UpdateClusterVersion", since)),
            "UpdateClusterVersion to reach the double",
            timeout=300,
        )
        time.sleep(2)  # let it audit the call and start polling DescribeUpdate
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    rid = _newest_rollout(state)
    resume = subprocess.Popen(
        _cmd(state, "resume", rid, "--poll", "0.2"),
        stdout=log,
        stderr=subprocess.STDOUT,
        env=_env(eks_double),
    )
    try:
        resumed_at = len(eks_double.requests())
        wait_for(
            lambda: bool(_updates(eks_double, "DescribeUpdate", resumed_at)),
            "the resumed run to look at the update in progress",
            timeout=300,
        )
        eks_double.release_updates("ledger")
        assert resume.wait(timeout=900) == 0, (tmp_path / "rollout.log").read_text()
    finally:
        eks_double.release_updates("ledger")
        if resume.poll() is None:
            resume.kill()
    to_137 = [
        p for p in _updates(eks_double, "UpdateClusterVersion", since) if p.get("version") == "1.37"
    ]
    assert len(to_137) == 1  # the resumed run waited for the update the killed one started
    assert _version(eks_double, "ledger") == "1.37"
    audit = Store(state).audit_records(rid)
    found = [r for r in audit if r.action == "eks.update-found"]
    assert found and "waiting for it instead of starting another" in found[0].detail
