"""What every bench shares: run a whole command in a fresh process, repeat it, compare with a peer.

A command is timed from outside (wall clock around the child) and its peak resident memory is
read from GNU time (``/usr/bin/time -v``). Ours and the peer's runs are interleaved so that the
machine's load, which drifts, hits both alike; the load average is printed with every result.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "kubecurrent" / "bench"
GNU_TIME = Path("/usr/bin/time")


@dataclass
class Run:
    """One run of a command: wall seconds, CPU seconds (user + system), peak RSS, exit code and
    output. On a shared machine the CPU time is the steadier figure: wall time includes waiting
    for a core."""

    wall: float
    peak_mib: float
    exit: int
    stdout: str
    stderr: str
    cpu: float = 0.0


@dataclass
class Runs:
    """Every run of one command; medians and minimums over them."""

    label: str
    runs: list[Run] = field(default_factory=list)

    @property
    def wall(self) -> float:
        return statistics.median(r.wall for r in self.runs)

    @property
    def wall_min(self) -> float:
        return min(r.wall for r in self.runs)

    @property
    def peak(self) -> float:
        return statistics.median(r.peak_mib for r in self.runs)

    @property
    def peak_min(self) -> float:
        return min(r.peak_mib for r in self.runs)

    @property
    def cpu(self) -> float:
        return statistics.median(r.cpu for r in self.runs)

    @property
    def last(self) -> Run:
        return self.runs[-1]

    def line(self) -> str:
        walls = ", ".join(f"{r.wall:.3f}" for r in self.runs)
        return (
            f"{self.label}: wall median {self.wall:.3f}s min {self.wall_min:.3f}s "
            f"(runs {walls}); CPU median {self.cpu:.3f}s; "
            f"peak RSS median {self.peak:.0f} MiB min {self.peak_min:.0f} MiB; "
            f"exit {sorted({r.exit for r in self.runs})}"
        )


def kubecurrent() -> str:
    """The ``kubecurrent`` console script of the interpreter running the bench."""
    return str(Path(sys.executable).with_name("kubecurrent"))


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def as_users_run(env: dict[str, str] | None) -> dict[str, str]:
    """``env`` (default: ours) without ``PYTHONDONTWRITEBYTECODE``: an installed kubecurrent
    runs from cached bytecode, so the warm-up run writes it and the timed runs use it (with the
    variable set, every run compiles every module of an editable install again)."""
    return {k: v for k, v in (env or os.environ).items() if k != "PYTHONDONTWRITEBYTECODE"}


def measure(cmd: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> Run:
    """Run ``cmd`` once in a fresh process: wall seconds, peak RSS (MiB), exit code, output."""
    if not GNU_TIME.exists():
        raise SystemExit("GNU time is needed for peak memory: apt-get install time")
    start = time.perf_counter()
    proc = subprocess.run(
        [str(GNU_TIME), "-v", *cmd], capture_output=True, text=True, env=as_users_run(env), cwd=cwd
    )
    wall = time.perf_counter() - start
    peak, cpu = 0.0, 0.0
    stderr_lines = []
    for line in proc.stderr.splitlines():
        if not line.startswith("\t"):
            stderr_lines.append(line)
        elif "Maximum resident set size" in line:
            peak = int(line.split(":")[1]) / 1024
        elif "User time" in line or "System time" in line:
            cpu += float(line.split(":")[1])
    if stderr_lines and stderr_lines[-1].startswith("Command "):
        stderr_lines.pop()  # GNU time's "Command exited with non-zero status N"
    return Run(wall, peak, proc.returncode, proc.stdout, "\n".join(stderr_lines), cpu)


def interleave(
    commands: dict[str, list[str]],
    repeat: int,
    env: dict[str, str] | None = None,
    warmup: bool = True,
) -> dict[str, Runs]:
    """Each command ``repeat`` times, round-robin (after one untimed warm-up run of each, so the
    page cache holds the input for all alike)."""
    if warmup:
        for cmd in commands.values():
            measure(cmd, env)
    results = {label: Runs(label) for label in commands}
    for _ in range(repeat):
        for label, cmd in commands.items():
            results[label].runs.append(measure(cmd, env))
    return results


def peer(name: str) -> Path | None:
    """The peer binary bench/build_peers.sh built, or None with a message saying how to get it."""
    binary = CACHE / name
    if binary.is_file() and os.access(binary, os.X_OK):
        return binary
    print(
        f"{name}: not found at {binary}; build it with bench/build_peers.sh "
        "--pluto SRC --kubent SRC (source trees of FairwindsOps/pluto and "
        "doitintl/kube-no-trouble)"
    )
    return None


def ratio(ours: Runs, theirs: Runs) -> str:
    """Our figures over the peer's: median and min wall, median peak RSS."""
    return (
        f"ratio {ours.label}/{theirs.label}: wall {ours.wall / theirs.wall:.2f}x median, "
        f"{ours.wall_min / theirs.wall_min:.2f}x min; CPU {ours.cpu / max(theirs.cpu, 1e-3):.2f}x; "
        f"peak RSS {ours.peak / theirs.peak:.2f}x"
    )


def report(results: dict[str, Runs], ours: str, peers: list[str]) -> None:
    for runs in results.values():
        print("  " + runs.line())
    for name in peers:
        if name in results:
            print("  " + ratio(results[ours], results[name]))
    print(f"  {load()}")
