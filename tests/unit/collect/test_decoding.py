"""Decoding from several threads: msgspec's first-use type building must not race.

Without ``prepare_decoders`` the script below crashes the interpreter with SIGSEGV in most runs
(msgspec 0.22 on CPython 3.11): eight threads decode lists of the same resources for the first
time at once (a generic custom resource among them). That crash stopped a real rollout wave once, so the preparation is checked in a
fresh interpreter each time.
"""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import sys, threading
from lightkube.core import decoders
from lightkube.generic_resource import create_namespaced_resource
from lightkube.resources import apps_v1, core_v1, policy_v1
from kubecurrent.collect.decoding import prepare_decoders

kinds = [apps_v1.Deployment, apps_v1.DaemonSet, apps_v1.StatefulSet, apps_v1.ReplicaSet,
         core_v1.Pod, core_v1.Node, core_v1.Service, core_v1.Namespace, core_v1.ConfigMap,
         policy_v1.PodDisruptionBudget,
         create_namespaced_resource("example.kubecurrent.dev", "v1", "Gadget", "gadgets")]
if sys.argv[1] == "prepared":
    prepare_decoders()
body = b'{"items": [], "metadata": {"resourceVersion": "7"}}'
start = threading.Barrier(8)
seen = []

def decode():
    start.wait()
    for kind in kinds:
        seen.append(decoders.decode_list(body, kind)[1])

threads = [threading.Thread(target=decode) for _ in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(len(seen), set(seen))
"""


def run(mode: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", SCRIPT, mode], capture_output=True, text=True, timeout=120
    )


def test_threads_decode_prepared_models_without_crashing() -> None:
    for _ in range(3):
        done = run("prepared")
        assert done.returncode == 0, done.stderr[-2000:]
        assert done.stdout.split("\n")[0] == "88 {'7'}"


def test_records_no_decoder_can_read_are_left_alone() -> None:
    """A process that scanned files (whose ``Rendered`` holds an untagged union of structs)
    then reaches a cluster: preparing the decoders must not fail on records never decoded."""
    script = (
        "import kubecurrent.collect.files._types, kubecurrent.collect.files._render\n"
        "from kubecurrent.collect.decoding import prepare_decoders\n"
        "prepare_decoders(); prepare_decoders(); print('ok')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 and done.stdout == "ok\n", done.stderr[-2000:]
