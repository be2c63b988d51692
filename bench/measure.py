"""Timing a command in fresh wrapper processes: wall time, the child's peak RSS, exit status."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: Runs argv with its output discarded; prints wall seconds, the child's peak RSS (KiB), status.
WRAPPER = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
wall = time.perf_counter() - start
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"wall": wall, "rss_kib": rss, "code": code}))
"""


@dataclass(frozen=True)
class Run:
    """The repeats of one command: their wall times, the highest peak RSS, the exit codes."""

    walls: tuple[float, ...]
    rss_mb: float
    codes: tuple[int, ...]

    @property
    def wall(self) -> float:
        """Best wall time."""
        return min(self.walls)

    @property
    def median(self) -> float:
        """Median wall time."""
        return statistics.median(self.walls)

    @property
    def code(self) -> int:
        """The highest exit status seen."""
        return max(self.codes)


def measure(argv: list[str], repeat: int, after: Callable[[], None] | None = None) -> Run:
    """Run ``argv`` ``repeat`` times, each in a fresh wrapper; ``after`` runs after each."""
    results = []
    for _ in range(repeat):
        done = subprocess.run(
            [sys.executable, "-c", WRAPPER, *argv], capture_output=True, check=True, cwd=ROOT
        )
        results.append(json.loads(done.stdout))
        if after is not None:
            after()
    return Run(
        tuple(r["wall"] for r in results),
        max(r["rss_kib"] for r in results) / 1024,
        tuple(r["code"] for r in results),
    )
