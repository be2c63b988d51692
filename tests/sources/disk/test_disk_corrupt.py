"""Bad input: one-line SourceErrors or notifications, never a traceback, a hang or a huge read."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from disk_builders import (
    Part,
    convert,
    file_digest,
    mkfs_ext4,
    partitioned,
    run,
    time_limit,
    write_tree,
)

from analyzer.errors import SourceError
from analyzer.sources.disk import DiskSource
from analyzer.vfs.build import TreeBuilder
from analyzer.vfs.tree import Tree


@pytest.fixture(scope="module")
def qcow2(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    tmp = tmp_path_factory.mktemp("corrupt")
    fs = mkfs_ext4(write_tree(tmp / "t", {"etc/hostname": "x\n"}), tmp / "fs.img", 4)
    return convert(fs, tmp / "golden.qcow2", "qcow2").read_bytes()


def patched(tmp_path: Path, data: bytes, offset: int, fmt: str, value: int) -> Path:
    raw = bytearray(data)
    struct.pack_into(fmt, raw, offset, value)
    path = tmp_path / "golden.qcow2"
    path.write_bytes(bytes(raw))
    return path


def error_of(path: Path) -> str:
    with time_limit(20), pytest.raises(SourceError) as caught:
        DiskSource(str(path))
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_truncated_qcow2_is_a_one_line_error(tmp_path: Path, qcow2: bytes) -> None:
    path = tmp_path / "golden.qcow2"
    path.write_bytes(qcow2[:300])
    assert error_of(path) == "golden.qcow2: corrupt qcow2: L1 table offset beyond end of file"


def test_qcow2_with_l1_offset_beyond_eof(tmp_path: Path, qcow2: bytes) -> None:
    path = patched(tmp_path, qcow2, 40, ">Q", 1 << 40)
    assert error_of(path) == "golden.qcow2: corrupt qcow2: L1 table offset beyond end of file"


def test_qcow2_with_cluster_size_2_to_the_40(tmp_path: Path, qcow2: bytes) -> None:
    path = patched(tmp_path, qcow2, 20, ">I", 40)
    assert error_of(path) == "golden.qcow2: corrupt qcow2: cluster size 2^40"


def test_qcow2_with_huge_l1_size(tmp_path: Path, qcow2: bytes) -> None:
    path = patched(tmp_path, qcow2, 36, ">I", 0xFFFFFFFF)
    assert error_of(path) == "golden.qcow2: corrupt qcow2: bad L1 table size"


def test_encrypted_qcow2_is_refused(tmp_path: Path, qcow2: bytes) -> None:
    path = patched(tmp_path, qcow2, 32, ">I", 1)
    assert error_of(path) == "golden.qcow2: encrypted qcow2 images are not supported"


def test_qcow2_with_extended_l2_entries_is_refused(tmp_path: Path, qcow2: bytes) -> None:
    path = patched(tmp_path, qcow2, 72, ">Q", 1 << 4)
    assert "extended L2 entries (subclusters) is not supported" in error_of(path)


def test_gpt_partition_beyond_disk_end(tmp_path: Path) -> None:
    fs = mkfs_ext4(write_tree(tmp_path / "t", {"a": "a"}), tmp_path / "fs.img", 4)
    disk = tmp_path / "gpt.raw"
    partitioned(disk, [Part(fs, 4)])
    raw = bytearray(disk.read_bytes())
    struct.pack_into("<Q", raw, 1024 + 40, 1 << 40)  # first entry's last LBA
    disk.write_bytes(bytes(raw))
    assert error_of(disk) == "gpt.raw: corrupt partition table: partition 1 beyond end of disk"


def scan(path: Path) -> tuple[Tree, DiskSource]:
    with time_limit(20):
        source = DiskSource(str(path))
        return TreeBuilder([]).build(source.layers()), source


def test_ext4_directory_loop_becomes_a_notification(tmp_path: Path) -> None:
    tree_dir = write_tree(tmp_path / "t", {"a/b/file": "f", "etc/os-release": "ID=x\n"})
    fs = mkfs_ext4(tree_dir, tmp_path / "loop.img", 4)
    run("debugfs", "-w", "-R", "link /a /a/b/back", str(fs))
    before = file_digest(fs)
    tree, source = scan(fs)
    assert tree.read("/a/b/file") == b"f"
    assert not tree.exists("/a/b/back")
    messages = [n.message for n in source.notifications if n.code == "disk.entry"]
    assert messages == ["loop.img:disk: /a/b/back: directory loop or excessive depth; skipped"]
    assert file_digest(fs) == before


def test_ext4_extent_pointing_beyond_the_file_system(tmp_path: Path) -> None:
    tree_dir = write_tree(tmp_path / "t", {"big": b"x" * 8192, "ok": "fine\n"})
    fs = mkfs_ext4(tree_dir, tmp_path / "huge.img", 4)
    run("debugfs", "-w", "-R", "sif /big block[5] 0x7fffffff", str(fs))
    tree, source = scan(fs)
    assert tree.read("/ok") == b"fine\n"
    # the metadata stays; the content is withheld and the notification says why
    assert tree.lstat("/big").size == 8192
    assert tree.read("/big") == b""
    messages = [n.message for n in source.notifications if n.code == "disk.entry"]
    assert len(messages) == 1
    assert messages[0].startswith(
        "huge.img:disk: /big: data unreadable: huge.img:disk: corrupt "
        "ext: extent points to block 2147483647 beyond the file system"
    )


def test_not_a_disk_image_is_a_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello\n" * 1000)
    assert error_of(path) == "notes.txt: no readable file system found"
