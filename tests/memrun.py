"""Running the CLI in a child process and measuring its peak resident memory.

The child runs under a wrapper whose only child it is, so ``RUSAGE_CHILDREN`` reports that
scan alone. An address-space limit keeps a regression from taking the machine with it: the
scan then fails (``MemoryError``) instead, and the test fails on its result.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass

from clirun import ROOT

#: The memory budget of any scan (docs/safety.md), in MiB.
BUDGET_MIB = 300
#: Address space allowed to a measured scan (not resident memory: Python maps more than it uses).
ADDRESS_SPACE = 3 << 30

WRAPPER = r"""
import json, resource, subprocess, sys
limit = int(sys.argv[1])
def cap():
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
done = subprocess.run(
    [sys.executable, "-m", "analyzer", *sys.argv[2:]], capture_output=True, preexec_fn=cap
)
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"code": done.returncode, "stdout": done.stdout.decode(errors="replace"),
                  "stderr": done.stderr.decode(errors="replace"), "peak_kib": peak}))
"""


@dataclass(frozen=True)
class Measured:
    """A finished scan: exit code, its output, and its peak resident memory."""

    code: int
    stdout: str
    stderr: str
    peak_kib: int

    @property
    def peak_mib(self) -> float:
        """Peak resident set size in MiB."""
        return self.peak_kib / 1024


def measure(*args: str, timeout: float = 120) -> Measured:
    """Run ``imgaudit ARGS`` and return how it ended and its peak RSS."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run(
        [sys.executable, "-c", WRAPPER, str(ADDRESS_SPACE), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=timeout,
        check=True,
    )
    return Measured(**json.loads(done.stdout))
