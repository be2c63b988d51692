"""File-system features: bigalloc read, unknown features refused by name, notifications."""

from __future__ import annotations

from pathlib import Path

import pytest
from builders import File
from disk_builders import Part, Spec, mkfs_ext4, partitioned, run, write_tree

from analyzer.errors import SourceError
from analyzer.model import Level
from analyzer.sources.disk import DiskSource
from analyzer.vfs.build import TreeBuilder

BIG = bytes(range(256)) * 1200
SPEC: Spec = {
    "etc/os-release": "ID=test\n",
    "etc/fstab": "# none\n",
    "big": File(BIG, 0o640, 7, 8),
    "d/small": "s\n",
}


def test_ext4_bigalloc_is_read(tmp_path: Path) -> None:
    image = mkfs_ext4(
        write_tree(tmp_path / "t", SPEC), tmp_path / "big.img", 32, "-O", "bigalloc", "-C", "16384"
    )
    source = DiskSource(str(image))
    tree = TreeBuilder([]).build(source.layers())
    assert tree.read("/big") == BIG
    assert (tree.lstat("/big").uid, tree.lstat("/big").mode) == (7, 0o640)
    assert tree.read("/d/small") == b"s\n"
    source.close()
    assert source.notifications == []


def _refusal(tmp_path: Path, feature_bits: str, field: str) -> str:
    image = mkfs_ext4(write_tree(tmp_path / "t", SPEC), tmp_path / "fs.img", 8)
    flags = run("debugfs", "-R", "stats", str(image))
    assert "Filesystem features" in flags
    run("debugfs", "-w", "-R", f"ssv {field} {feature_bits}", str(image))
    disk = tmp_path / "disk.raw"
    partitioned(disk, [Part(image, 8)])
    with pytest.raises(SourceError) as caught:
        DiskSource(str(disk))
    return str(caught.value)


def test_unknown_ext4_incompat_feature_is_refused_by_name(tmp_path: Path) -> None:
    # filetype extent 64bit flex_bg (0x2c2) plus dirdata (0x1000) and an unknown bit 0x400000
    message = _refusal(tmp_path, "0x4012c2", "feature_incompat")
    assert message == (
        "disk.raw: no readable file system found (part1: ext2/3/4 file system, "
        "ext4 feature dirdata, incompat bit 0x400000 is not supported; the file system is not read)"
    )


def test_refused_feature_notification_names_feature_fs_and_partition(tmp_path: Path) -> None:
    image = mkfs_ext4(write_tree(tmp_path / "t", SPEC), tmp_path / "fs.img", 8)
    run("debugfs", "-w", "-R", "ssv feature_ro_compat 0x80", str(image))
    root = mkfs_ext4(write_tree(tmp_path / "r", SPEC), tmp_path / "root.img", 8)
    disk = tmp_path / "disk.raw"
    partitioned(disk, [Part(root, 8, "root"), Part(image, 8)])
    source = DiskSource(str(disk))
    source.close()
    refused = [n for n in source.notifications if n.code == "disk.filesystem"]
    assert [(n.level, n.message) for n in refused] == [
        (
            Level.ERROR,
            "disk.raw:part2: ext4 feature snapshot is not supported; the file system is not "
            "read; its files are not scanned",
        )
    ]


def test_ext4_needing_recovery_with_an_empty_journal_has_nothing_to_replay(
    tmp_path: Path,
) -> None:
    image = mkfs_ext4(write_tree(tmp_path / "t", SPEC), tmp_path / "fs.img", 8)
    run("debugfs", "-w", "-R", "feature needs_recovery", str(image))
    source = DiskSource(str(image))
    tree = TreeBuilder([]).build(source.layers())
    assert tree.read("/d/small") == b"s\n"
    source.close()
    assert source.notifications == []


def test_ext4_needing_recovery_without_its_journal_is_named(tmp_path: Path) -> None:
    image = mkfs_ext4(write_tree(tmp_path / "t", SPEC), tmp_path / "fs.img", 8)
    run("debugfs", "-w", "-R", "feature needs_recovery", str(image))
    run("debugfs", "-w", "-R", "ssv journal_inum 0", str(image))
    source = DiskSource(str(image))
    tree = TreeBuilder([]).build(source.layers())
    assert tree.read("/d/small") == b"s\n"
    source.close()
    notes = [(n.level, n.message) for n in source.notifications]
    assert notes == [
        (
            Level.ERROR,
            "fs.img:disk: ext4 journal needs recovery (the image was taken from a running "
            "system) and cannot be replayed (fs.img:disk: the journal is on another device): "
            "files written since the last checkpoint may be missing or stale",
        )
    ]


def test_encrypted_inodes_are_refused_not_read(tmp_path: Path) -> None:
    image = mkfs_ext4(write_tree(tmp_path / "t", SPEC), tmp_path / "fs.img", 8, "-O", "encrypt")
    run("debugfs", "-w", "-R", "set_inode_field /d flags 0x80800", str(image))
    source = DiskSource(str(image))
    tree = TreeBuilder([]).build(source.layers())
    assert tree.read("/big") == BIG
    assert tree.exists("/d")
    assert not tree.exists("/d/small")
    source.close()
    messages = [n.message for n in source.notifications if n.code == "disk.entry"]
    assert messages == [
        "fs.img:disk: /d: directory unreadable: fs.img:disk: inode 13 is encrypted "
        "(ext4 encrypt, fscrypt): its names cannot be read without its key"
    ]
