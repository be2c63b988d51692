"""An XFS copied while mounted has a dirty log: named, and the run is incomplete.

The images are made the way a snapshot of a running VM is: an XFS mounted on a loop device,
written to and synced, and the image file copied while it is still mounted; the same file
after ``umount`` is the clean reference. ``xfs_logprint`` states which log is dirty and which
is clean, independently of the reader.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from disk_builders import Part, loop_mounted, mkfs_xfs, partitioned, run, write_tree

from analyzer.model import Level
from analyzer.pipeline import Config, analyze
from analyzer.sources.disk import DiskSource
from analyzer.sources.disk.device import FileDevice
from analyzer.sources.disk.xfs import XfsFileSystem
from analyzer.sources.disk.xfs_log import log_state
from analyzer.vfs.build import TreeBuilder

DIRTY = (
    "xfs log is dirty (the file system was not unmounted: the image was taken from a "
    "running system or after a crash) and is not replayed: files written since the last "
    "checkpoint may be missing or stale"
)


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """``dirty`` (copied while mounted), ``clean`` (after umount) and ``disk`` (dirty, GPT)."""
    tmp = tmp_path_factory.mktemp("xfslog")
    spec = {"etc/os-release": "ID=fedora\n", "etc/fstab": "# none\n"}
    image = mkfs_xfs(write_tree(tmp / "src", spec), tmp / "live.img", 300)
    dirty = tmp / "dirty.img"
    with loop_mounted(image, tmp / "mnt") as mnt:
        (mnt / "etc/ssh").mkdir()
        for name in ("ssh_host_ed25519_key", "ssh_host_rsa_key"):
            (mnt / "etc/ssh" / name).write_bytes(b"KEY " + name.encode())
        (mnt / "etc/hostname").write_text("cloned-host\n")
        os.sync()
        shutil.copyfile(image, dirty)
    clean = tmp / "clean.img"
    shutil.copyfile(image, clean)
    disk = tmp / "disk.raw"
    partitioned(disk, [Part(None, 4, "esp"), Part(dirty, 300, "root")])
    return {"dirty": dirty, "clean": clean, "disk": disk}


def _log_notes(path: Path) -> list[tuple[Level, str]]:
    source = DiskSource(str(path))
    TreeBuilder([]).build(source.layers())
    source.close()
    return [(n.level, n.message) for n in source.notifications if n.code == "disk.xfs.log"]


def test_xfs_logprint_agrees_on_which_log_is_dirty(images: dict[str, Path]) -> None:
    assert "state: <DIRTY>" in run("xfs_logprint", "-t", str(images["dirty"]))
    assert "state: <CLEAN>" in run("xfs_logprint", "-t", str(images["clean"]))


def test_dirty_log_is_named_with_the_partition_and_makes_the_run_incomplete(
    images: dict[str, Path],
) -> None:
    assert _log_notes(images["disk"]) == [(Level.ERROR, f"disk.raw:part2: {DIRTY}")]
    result = analyze(Config(str(images["disk"]), profiles=("golden-image",)))
    assert not result.complete
    assert [n.message for n in result.notifications if n.code == "disk.xfs.log"] == [
        f"disk.raw:part2: {DIRTY}"
    ]


def test_bare_dirty_image_is_named(images: dict[str, Path]) -> None:
    assert _log_notes(images["dirty"]) == [(Level.ERROR, f"dirty.img:disk: {DIRTY}")]


def test_cleanly_unmounted_log_is_not_mentioned(images: dict[str, Path]) -> None:
    assert _log_notes(images["clean"]) == []


def test_freshly_made_and_zeroed_logs_are_clean(images: dict[str, Path], tmp_path: Path) -> None:
    fresh = mkfs_xfs(write_tree(tmp_path / "src", {"a": "a\n"}), tmp_path / "fresh.img", 300)
    assert _log_notes(fresh) == []
    zeroed = tmp_path / "zeroed.img"
    shutil.copyfile(images["dirty"], zeroed)
    run("xfs_repair", "-L", str(zeroed))
    assert _log_notes(zeroed) == []


def test_head_matches_xfs_logprint(images: dict[str, Path]) -> None:
    for name in ("dirty", "clean"):
        printed = run("xfs_logprint", "-t", str(images[name]))
        head = int(printed.split("log tail: ", 1)[1].split()[2])
        device = FileDevice(str(images[name]))
        fs = XfsFileSystem(device, name)
        sb = fs.sb
        offset = fs.fsblock(sb.log_start)
        state = log_state(device, offset, sb.log_blocks * sb.block_size, sb.log_v2, name)
        device.close()
        assert (state.head, state.clean) == (head, name == "clean")


def test_external_log_is_named_as_not_checked(tmp_path: Path) -> None:
    image = tmp_path / "external.img"
    log = tmp_path / "external.log"
    for path, size in ((image, 300), (log, 80)):
        path.write_bytes(b"")
        os.truncate(path, size << 20)
    run("mkfs.xfs", "-q", "-f", "-l", f"logdev={log},size=64m", str(image))
    assert _log_notes(image) == [
        (
            Level.WARNING,
            "external.img:disk: xfs log is on an external device, which is not read: whether "
            "the file system was cleanly unmounted was not checked",
        )
    ]


def test_log_outside_the_file_system_is_named_and_the_files_still_read(
    images: dict[str, Path], tmp_path: Path
) -> None:
    broken = tmp_path / "broken.img"
    shutil.copyfile(images["clean"], broken)
    with open(broken, "r+b") as file:
        file.seek(96)
        file.write((0x7FFFFFFF).to_bytes(4, "big"))
    source = DiskSource(str(broken))
    tree = TreeBuilder([]).build(source.layers())
    assert tree.read("/etc/hostname") == b"cloned-host\n"
    source.close()
    notes = [(n.level, n.message) for n in source.notifications if n.code == "disk.xfs.log"]
    assert len(notes) == 1
    assert notes[0][0] is Level.ERROR
    assert notes[0][1].startswith("broken.img:disk: xfs log cannot be read (broken.img:disk: ")
    assert notes[0][1].endswith(
        "): whether the file system was cleanly unmounted was not checked; files may be "
        "missing or stale"
    )
