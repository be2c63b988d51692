"""``imgaudit scan`` of several targets on the embedded LocalCluster, as a user runs it."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from clirun import ROOT, one_line_error, run_cli
from fleetbuild import PROFILES, build_fleet
from jsonreports import load_report

from analyzer.cli import EXIT_ERROR, EXIT_FINDINGS, EXIT_INCOMPLETE, EXIT_OK, fleet_exit_code
from analyzer.fleet.model import FleetResult, TargetReport
from analyzer.model import (
    Evaluation,
    FactStore,
    Level,
    Location,
    Outcome,
    RunResult,
    TargetInfo,
    TargetKind,
)
from analyzer.pipeline import Config, analyze
from analyzer.report import FORMATS, ReportOptions
from analyzer.version import TOOL_VERSION

#: Dask's default dashboard port, which a fleet scan must leave alone.
DASHBOARD_PORT = 8787
PROFILE_ARGS = [arg for name in PROFILES for arg in ("--profile", name)]


@pytest.fixture(scope="module")
def targets(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """One target of each kind (directory, tar, zstd tar, OCI layout, qcow2)."""
    return build_fleet(tmp_path_factory.mktemp("fleet"), 5)


def test_fleet_scan_gives_the_same_reports_as_separate_scans(
    targets: list[str], tmp_path: Path
) -> None:
    missing = str(tmp_path / "gone.qcow2")
    done = run_cli("scan", *targets, missing, "--format", "json", "--workers", "2", *PROFILE_ARGS)
    assert done.returncode == EXIT_ERROR, done.stderr.decode()
    doc = load_report(done.stdout)
    entries = {entry["reference"]: entry for entry in doc["targets"]}
    assert list(entries) == [*targets, missing]
    for target in targets:
        alone = load_report(
            FORMATS["json"](analyze(Config(target, profiles=PROFILES)), ReportOptions())
        )
        assert entries[target]["status"] == "scanned"
        assert entries[target]["report"] == alone, target
    assert entries[missing]["error"] == f"{missing}: no such file or directory"
    stderr = done.stderr.decode()
    assert stderr.startswith(
        f"imgaudit: scanning {len(targets) + 1} targets on a local Dask cluster of 2 worker"
    )
    progress = [line for line in stderr.splitlines() if line.startswith("imgaudit: [")]
    assert len(progress) == len(targets) + 1
    assert f"] {missing}: failed: {missing}: no such file or directory (" in stderr
    assert "Traceback" not in stderr


def test_one_target_fleet_runs_in_process_without_importing_dask(
    targets: list[str], tmp_path: Path
) -> None:
    listing = tmp_path / "targets.txt"
    listing.write_text(f"# one image\n{targets[0]}\n")
    out = tmp_path / "fleet.json"
    code = (
        "import sys\nfrom analyzer.cli import main\n"
        f"rc = main(['scan', '--targets-from', {str(listing)!r}, '--format', 'json', "
        f"'-o', {str(out)!r}, '--profile', 'golden-image'])\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed'))\n"
        "print(rc, loaded)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, env=env, check=False)
    assert done.stdout.decode() == f"{EXIT_FINDINGS} []\n", done.stderr.decode()
    lines = done.stderr.decode().splitlines()
    assert lines[0] == "imgaudit: scanning 1 target in this process"
    assert lines[1].startswith(
        f"imgaudit: [1/1] {targets[0]}: 2 errors, 0 warnings, 0 notes, 0 unknown ("
    )
    assert len(lines) == 2
    doc = load_report(out.read_text())
    assert [entry["reference"] for entry in doc["targets"]] == [targets[0]]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "imgaudit: no targets to scan"),
        (("a", "b", "--profile", "nope"), "imgaudit: unknown profile 'nope' (known: "),
        (
            ("--targets-from", "nowhere.txt"),
            "imgaudit: nowhere.txt: cannot read the target list: No such file or directory",
        ),
    ],
)
def test_a_bad_fleet_request_is_one_line_before_any_scan(
    args: tuple[str, ...], message: str, tmp_path: Path
) -> None:
    assert one_line_error(run_cli("scan", *args, cwd=tmp_path)).startswith(message)


def _report(reference: str, *, findings: bool, complete: bool = True) -> TargetReport:
    failed = Evaluation("r", Outcome.FAIL, Level.ERROR, "bad", Location("/etc/hosts"))
    target = TargetInfo(reference, "dir", TargetKind.ROOTFS)
    result = RunResult(target, (), (), (), FactStore(), (), (), TOOL_VERSION, complete)
    if findings:
        result = dataclasses.replace(result, evaluations=(failed,))
    return TargetReport(reference, result)


@pytest.mark.parametrize(
    ("reports", "strict", "expected"),
    [
        ((_report("a", findings=False),), False, EXIT_OK),
        ((_report("a", findings=False), _report("b", findings=True)), False, EXIT_FINDINGS),
        ((_report("a", findings=False, complete=False),), True, EXIT_INCOMPLETE),
        ((_report("a", findings=True), _report("b", findings=False, complete=False)), True,
         EXIT_FINDINGS),
        ((_report("a", findings=True), TargetReport("b", error="unreadable")), False, EXIT_ERROR),
    ],
)  # fmt: skip
def test_exit_code_is_the_worst_over_the_targets(
    reports: tuple[TargetReport, ...], strict: bool, expected: int
) -> None:
    assert fleet_exit_code(FleetResult(reports, TOOL_VERSION), "error", strict) == expected


def test_ctrl_c_cancels_and_leaves_no_worker_behind(targets: list[str], tmp_path: Path) -> None:
    """SIGINT to the whole process group, as a terminal sends it, while targets are scanned.

    Two of the targets are named pipes that no one writes to: their scans wait for input, so
    the interrupt always arrives while the fleet is still running. The cluster listens on
    loopback only, on free ports.
    """
    pipes = [tmp_path / f"stalled-{n}.tar" for n in range(2)]
    for pipe in pipes:
        os.mkfifo(pipe)
    stalled = [f"tar:{pipe}" for pipe in pipes]
    command = [sys.executable, "-m", "analyzer", "scan", *targets, *stalled, "--workers", "2",
               "--format", "json", "-o", os.devnull, *PROFILE_ARGS]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(
        command, stderr=subprocess.PIPE, env=env, start_new_session=True, cwd=ROOT
    )
    parent = psutil.Process(child.pid)
    workers: list[psutil.Process] = []
    deadline = time.monotonic() + 60
    while len(workers) < 2 and time.monotonic() < deadline and child.poll() is None:
        workers = [
            p
            for p in parent.children(recursive=True)
            if "resource_tracker" not in " ".join(p.cmdline())
        ]
        time.sleep(0.05)
    assert len(workers) >= 2, "the local cluster did not start its workers"
    listening = [
        c.laddr
        for process in (parent, *workers)
        for c in process.net_connections("inet")
        if c.status == psutil.CONN_LISTEN
    ]
    assert all(address.ip == "127.0.0.1" for address in listening), listening
    assert DASHBOARD_PORT not in {address.port for address in listening}
    os.killpg(child.pid, signal.SIGINT)
    _, stderr = child.communicate(timeout=60)
    text = stderr.decode()
    assert child.returncode == 130, text
    assert text.endswith("imgaudit: interrupted\n"), text
    assert "Traceback" not in text
    _, alive = psutil.wait_procs(workers, timeout=10)
    assert not alive, f"worker processes left behind: {alive}"
