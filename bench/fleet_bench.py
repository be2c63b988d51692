"""Fleet throughput: one process per target, one after another, against one fleet ``scan``.

Builds (once, under ``bench-out/fleet/``) ``--count`` targets of mixed kinds with the fleet
test builder: root file-system directories, tar and zstd tar archives, OCI layouts and small
qcow2 disks. Then:

* **sequential**: ``imgaudit scan TARGET`` in a fresh process for each target, one after
  another (what a shell loop or a CI matrix of one job does); each process's peak RSS;
* **fleet**: one ``imgaudit scan T1 ... TN`` on the embedded LocalCluster (one worker process
  per core), sampling the resident memory of every worker process while it runs.

Prints throughput (targets/s) of both and their ratio, the peak RSS of one single-target
process against the peak RSS of one fleet worker, the client process's own peak, and the
size of the results the workers sent back. Both runs scan with the same profiles, their
reports discarded; bytecode is cached as an installed tool has it.
"""

from __future__ import annotations

import argparse
import os
import pickle
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import psutil
from measure import measure

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench-out" / "fleet"
for _directory in (ROOT, ROOT / "tests", ROOT / "tests" / "fleet"):
    sys.path.insert(0, str(_directory))

from fleetbuild import KINDS, PROFILES, build_fleet  # noqa: E402

#: Seconds between two samples of the workers' memory.
SAMPLE = 0.02
MB = 1 << 20


@dataclass(frozen=True)
class FleetRun:
    """One fleet scan: wall time, exit status, peak RSS of the client and of any one worker."""

    wall: float
    code: int
    client_mb: float
    worker_mb: float
    workers: int


def scan_args(targets: list[str]) -> list[str]:
    """A scan of ``targets`` with the fleet profiles, JSON discarded."""
    profiles = [arg for name in PROFILES for arg in ("--profile", name)]
    return [sys.executable, "-m", "analyzer", "scan", *targets, *profiles, "--format", "json",
            "-o", os.devnull]  # fmt: skip


def fleet_run(targets: list[str]) -> FleetRun:
    """One fleet scan, sampling the resident memory of the process tree while it runs."""
    start = time.perf_counter()
    child = subprocess.Popen(scan_args(targets), stderr=subprocess.DEVNULL, cwd=ROOT)
    main = psutil.Process(child.pid)
    peaks: dict[int, int] = {}
    while child.poll() is None:
        try:
            processes = [main, *main.children(recursive=True)]
        except psutil.NoSuchProcess:
            break
        for process in processes:
            try:
                rss = process.memory_info().rss
                if "resource_tracker" in " ".join(process.cmdline()):
                    continue
            except psutil.Error:
                continue
            peaks[process.pid] = max(peaks.get(process.pid, 0), rss)
        time.sleep(SAMPLE)
    wall = time.perf_counter() - start
    workers = [rss for pid, rss in peaks.items() if pid != child.pid]
    return FleetRun(
        wall, child.returncode, peaks.get(child.pid, 0) / MB, max(workers, default=0) / MB,
        len(workers),
    )  # fmt: skip


def result_sizes(targets: list[str]) -> tuple[int, int, int]:
    """Largest pickled result a worker sends back; the largest whole ``RunResult`` (with the
    tree); how many whole results cannot be pickled at all (a disk tree keeps its open file).
    """
    from analyzer.fleet.work import scan_target
    from analyzer.pipeline import Config, analyze

    sent = max(len(pickle.dumps(scan_target(Config(t, profiles=PROFILES)))) for t in targets)
    whole, unpicklable = 0, 0
    for target in targets:
        try:
            whole = max(whole, len(pickle.dumps(analyze(Config(target, profiles=PROFILES)))))
        except TypeError:
            unpicklable += 1
    return sent, whole, unpicklable


def main() -> int:
    """Build the fleet, run both ways, print the comparison."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--count", type=int, default=24, help="targets in the fleet")
    parser.add_argument("--repeat", type=int, default=1, help="fleet runs (best is kept)")
    args = parser.parse_args()
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ["PYTHONPYCACHEPREFIX"] = str(ROOT / "bench-out" / "pycache")
    marker = OUT / f"built-{args.count}"
    if not marker.exists():
        import shutil

        shutil.rmtree(OUT, ignore_errors=True)
        targets = build_fleet(OUT, args.count)
        marker.write_text("\n".join(targets) + "\n")
    targets = marker.read_text().split()
    measure(scan_args(targets[:1]), 1)  # compiles and caches the bytecode

    start = time.perf_counter()
    singles = [measure(scan_args([target]), 1) for target in targets]
    sequential = time.perf_counter() - start
    single_mb = max(run.rss_mb for run in singles)
    codes = {run.code for run in singles}

    fleet = min((fleet_run(targets) for _ in range(args.repeat)), key=lambda r: r.wall)
    sent, whole, unpicklable = result_sizes(targets)

    count = len(targets)
    seq_rate, fleet_rate = count / sequential, count / fleet.wall
    kinds = ", ".join(KINDS)
    print(f"fleet: {count} targets ({kinds}) on {psutil.cpu_count()} cores")
    print(f"  sequential, one process per target: {sequential:.2f} s = {seq_rate:.2f} targets/s"
          f" (exit codes {sorted(codes)})")  # fmt: skip
    print(f"  one fleet scan on the LocalCluster ({fleet.workers} workers): {fleet.wall:.2f} s"
          f" = {fleet_rate:.2f} targets/s (exit {fleet.code})")  # fmt: skip
    print(f"  throughput ratio fleet/sequential: {fleet_rate / seq_rate:.2f}x")
    print(f"  peak RSS: one single-target process {single_mb:.1f} MB; one fleet worker"
          f" {fleet.worker_mb:.1f} MB ({fleet.worker_mb / single_mb:.2f}x); fleet client"
          f" {fleet.client_mb:.1f} MB")  # fmt: skip
    print(f"  result sent back per target: at most {sent / 1024:.0f} KiB pickled"
          f" (a whole RunResult with its tree: up to {whole / 1024:.0f} KiB, and"
          f" {unpicklable} of {count} not picklable at all)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
