"""Memory is bounded by the input, not by caps: hostile images that used to take 0.5-3 GB.

Each case builds its image at test time (``hostile.py``), scans it in a child process and
asserts what the run says (the notification or the one-line error) and that the child's peak
resident memory stays within the documented budget (``memrun.BUDGET_MIB``, a bound with a
wide margin, not a timing).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import hostile
import pytest
from jsonreports import load_report
from memrun import BUDGET_MIB, measure

from analyzer.sources.disk.device import FileDevice
from analyzer.sources.disk.qcow2 import Qcow2Device

#: case -> (builder, the one-line error, or the error-level notification as a pattern)
CASES: dict[str, tuple[Callable[[Path], Path], str]] = {
    "ext4 extent tree as a DAG": (
        hostile.ext4_extent_dag,
        "extent-dag.img:disk: /f: data unreadable: extent-dag.img:disk: corrupt ext: "
        r"block 4000 appears twice in one file's map",
    ),
    "XFS bmbt as a DAG": (
        hostile.xfs_bmbt_dag,
        "bmbt-dag.img:disk: /f: data unreadable: bmbt-dag.img:disk: corrupt XFS: "
        r"block \d+ appears twice in one file's map",
    ),
    "zstd cluster of 1 GiB": (
        hostile.qcow2_zstd_bomb,
        "imgaudit: bomb.qcow2: no readable file system found",
    ),
    "sparse qcow2 L1 of 256 MiB": (
        hostile.qcow2_sparse_l1,
        "imgaudit: sparse-l1.qcow2: no readable file system found",
    ),
    "sparse vmdk grain directory of 256 MiB": (
        hostile.vmdk_sparse_gd,
        "imgaudit: sparse-gd.vmdk: no readable file system found",
    ),
    "vhd BAT of 256 MiB": (
        hostile.vhd_bat_at_cap,
        "imgaudit: cap-bat.vhd: no readable file system found",
    ),
    "vhdx BAT of 256 MiB": (
        hostile.vhdx_bat_at_cap,
        "imgaudit: cap-bat.vhdx: no readable file system found",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_image_stays_within_the_memory_budget(case: str, tmp_path: Path) -> None:
    build, expected = CASES[case]
    image = build(tmp_path)
    report = tmp_path / "report.json"
    scan = measure("scan", str(image), "--format", "json", "-o", str(report), "--fail-on", "none")
    if expected.startswith("imgaudit: "):
        assert (scan.code, scan.stderr) == (2, expected + "\n")
    else:
        assert (scan.code, scan.stderr) == (0, "")
        notes = load_report(report.read_text())["notifications"]
        errors = [n["message"] for n in notes if n["level"] == "error"]
        assert len(errors) == 1 and re.fullmatch(expected, errors[0]), errors
    assert scan.peak_mib < BUDGET_MIB, f"{case}: peak RSS {scan.peak_mib:.0f} MiB"


def test_zstd_cluster_yields_at_most_one_cluster(tmp_path: Path) -> None:
    image = hostile.qcow2_zstd_bomb(tmp_path, expands_to=64 << 20)
    file = FileDevice(str(image))
    try:
        disk = Qcow2Device(file)
        cluster = 1 << disk.header.cluster_bits
        # the first cluster reads as the frame's first cluster of zeros, the next as before
        assert disk.read(0, cluster) == bytes(cluster)
        assert disk.read(cluster, 256) == bytes(range(256))
    finally:
        file.close()
