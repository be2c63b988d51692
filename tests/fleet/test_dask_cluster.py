"""A real Dask cluster on loopback: one ``dask scheduler`` and two ``dask worker`` processes.

The scan goes through ``--scheduler`` and must give every target the report a separate scan
gives. Only 127.0.0.1 is used, on free ports picked at run time.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from clirun import ROOT, one_line_error, run_cli
from fleetbuild import PROFILES, build_fleet
from jsonreports import load_report

from analyzer.pipeline import Config, analyze
from analyzer.report import FORMATS, ReportOptions

LOOPBACK = "127.0.0.1"
WORKERS = 2
#: The kinds of target in the fleet the cluster scans.
KINDS = ("dir", "tar.zst", "qcow2")
#: Seconds to wait for the scheduler to see both workers.
START_TIMEOUT = 60


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The address of a scheduler with two single-threaded workers, all on loopback."""
    from distributed import Client

    port = free_port()
    address = f"tcp://{LOOPBACK}:{port}"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    logs = tmp_path_factory.mktemp("dask")
    dask = [sys.executable, "-m", "dask"]
    commands = [[*dask, "scheduler", "--host", LOOPBACK, "--port", str(port), "--no-dashboard"]]
    commands += [
        [*dask, "worker", address, "--host", LOOPBACK, "--nthreads", "1", "--no-nanny",
         "--no-dashboard", "--memory-limit", "1GiB", "--name", f"w{number}"]
        for number in range(WORKERS)
    ]  # fmt: skip
    with ExitStack() as stack:
        processes = []
        for number, command in enumerate(commands):
            log = stack.enter_context(open(logs / f"{number}.log", "wb"))
            processes.append(subprocess.Popen(command, stdout=log, stderr=log, env=env, cwd=logs))
        try:
            with Client(address, timeout=START_TIMEOUT) as client:
                client.wait_for_workers(WORKERS, timeout=START_TIMEOUT)
            yield address
        finally:
            for process in reversed(processes):
                process.kill()
            for process in processes:
                process.wait(timeout=30)


def test_scan_through_scheduler_matches_separate_scans(scheduler: str, tmp_path: Path) -> None:
    targets = build_fleet(tmp_path / "fleet", len(KINDS), KINDS)
    args = [arg for name in PROFILES for arg in ("--profile", name)]
    done = run_cli("scan", *targets, "--scheduler", scheduler, "--format", "json", *args)
    assert done.returncode == 1, done.stderr.decode()
    assert done.stderr.decode().startswith(
        f"imgaudit: scanning {len(KINDS)} targets on the Dask scheduler {scheduler}\n"
    )
    doc = load_report(done.stdout)
    assert [entry["reference"] for entry in doc["targets"]] == targets
    for target, entry in zip(targets, doc["targets"], strict=True):
        alone = analyze(Config(target, profiles=PROFILES))
        assert entry["report"] == load_report(FORMATS["json"](alone, ReportOptions())), target


def test_unreachable_scheduler_is_a_one_line_error(tmp_path: Path) -> None:
    address = f"tcp://{LOOPBACK}:{free_port()}"
    done = run_cli("scan", str(tmp_path), str(tmp_path), "--scheduler", address,
                   env={"DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "1s"})  # fmt: skip
    assert one_line_error(done).startswith(f"imgaudit: {address}: no Dask scheduler answers: ")
