"""Inputs with no entries and no recognisable structure are refused, not scanned as empty."""

from __future__ import annotations

import random
from pathlib import Path

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
