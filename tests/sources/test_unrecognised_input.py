"""Inputs with no entries and no recognisable structure are refused, not scanned as empty."""

from __future__ import annotations

import json
import random
import subprocess
from pathlib import Path

import pytest
from clirun import one_line_error, run_cli
from disk_builders import MIB, lvm_pv


def test_all_zero_file_is_not_an_empty_archive(tmp_path: Path) -> None:
    path = tmp_path / "blank.img"
    path.write_bytes(bytes(MIB))
    done = run_cli("scan", str(path), "--strict")
    assert one_line_error(done) == f"imgaudit: {path}: no image, archive or file system recognised"


def test_random_bytes_are_not_an_archive(tmp_path: Path) -> None:
    path = tmp_path / "noise.bin"
    path.write_bytes(random.Random(7).randbytes(256 << 10))
    done = run_cli("scan", str(path))
    assert one_line_error(done) == f"imgaudit: {path}: no image, archive or file system recognised"


def test_bare_lvm_pv_without_logical_volumes_names_what_it_is(tmp_path: Path) -> None:
    path = tmp_path / "pv.img"
    lvm_pv(path, 8, "vg0", [])
    done = run_cli("scan", str(path))
    assert one_line_error(done) == (
        "imgaudit: pv.img: no readable file system found (disk: LVM2 physical volume)"
    )


REPORTS = ("json", "sarif", "text", "markdown", "junit")


def test_tar_of_no_files_is_an_empty_archive_in_every_report(tmp_path: Path) -> None:
    archive = tmp_path / "none.tar"
    subprocess.run(
        ["tar", "cf", str(archive), "--files-from", "/dev/null"], check=True, cwd=tmp_path
    )
    assert archive.read_bytes() == bytes(10240)  # GNU tar: one record of zeros
    reports = [f"--report={fmt}={tmp_path / f'report.{fmt}'}" for fmt in REPORTS[1:]]
    done = run_cli("scan", str(archive), "--format", "json", "--fail-on", "none", *reports)
    assert (done.returncode, done.stderr) == (0, b"")
    message = f"{archive}: the archive holds no entries; there was nothing to check"
    notes = json.loads(done.stdout)["notifications"]
    assert [
        (n["level"], n["code"], n["message"]) for n in notes if n["code"] == "source.empty-archive"
    ] == [("warning", "source.empty-archive", message)]
    for fmt in REPORTS[1:]:
        text = (tmp_path / f"report.{fmt}").read_text()
        if fmt == "markdown":
            text = text.replace("\\_", "_")  # markdown escapes the path's underscores
        assert text.count(message) == 1, fmt


def test_two_zero_blocks_are_an_empty_archive(tmp_path: Path) -> None:
    archive = tmp_path / "blocks.tar"
    archive.write_bytes(bytes(1024))
    done = run_cli("scan", str(archive), "--format", "json", "--fail-on", "none")
    assert done.returncode == 0
    codes = [n["code"] for n in json.loads(done.stdout)["notifications"]]
    assert "source.empty-archive" in codes


@pytest.mark.parametrize("size", [0, 100, 5000, 10240 + 512, 1 << 20])
def test_zeros_that_are_no_empty_tar_are_not_recognised(size: int, tmp_path: Path) -> None:
    path = tmp_path / "zeros.bin"
    path.write_bytes(bytes(size))
    done = run_cli("scan", str(path), "--strict")
    assert one_line_error(done) == f"imgaudit: {path}: no image, archive or file system recognised"
