"""btrfs images made by the real tools read back equal to their source tree, file by file.

``mkfs.btrfs --rootdir`` images cover the checksum types, node sizes, explicit hole extents,
mixed block groups and DUP/single profiles; loop-mounted images cover zlib, LZO and zstd
extents, preallocated extents, nested subvolumes and snapshots. Multi-device file systems
are refused naming the profile, and a primary superblock with a bad checksum is replaced by
its mirror, said aloud.
Device numbers are checked on the kernel-written images: ``mkfs.btrfs`` 6.2 ``--rootdir``
stores 0 for every device node.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from btrfs_builders import can_loop_mount, differences, mkfs_btrfs, mounted, populate
from builders import Device, Dir, File, Hardlink, Symlink
from clirun import one_line_error, run_cli
from disk_builders import BUSYBOX, CAPABILITY, Spec, have, run, write_tree

from analyzer.model import Level
from analyzer.sources.disk import DiskSource
from analyzer.sources.disk.btrfs import BtrfsFileSystem
from analyzer.sources.disk.btrfs_data import ExtentData
from analyzer.sources.disk.device import FileDevice
from analyzer.sources.disk.fsbase import lookup
from analyzer.vfs.build import TreeBuilder
from analyzer.vfs.tree import Tree

pytestmark = pytest.mark.skipif(not have("mkfs.btrfs"), reason="needs btrfs-progs")

#: Compressible text, larger than one compressed extent (128 KiB).
TEXT = b"".join(b"line %06d of a compressible file\n" % i for i in range(12000))
SPEC: Spec = {
    "etc/os-release": "ID=fedora\nVERSION_ID=40\n",
    "etc/hostname": "btrfs\n",
    "bin/ping": File(b"\x7fELF ping", 0o4755, xattrs={"security.capability": CAPABILITY}),
    "bin/busybox": File(BUSYBOX, 0o755),
    "bin/sh": Symlink("busybox"),
    "bin/ash": Hardlink("bin/busybox"),
    "bin/far": Symlink("/usr/lib/" + "x" * 200),
    "usr/bin/write": File(b"w", 0o2755, 0, 5),
    "usr/share/doc/text": File(TEXT),
    "usr/share/doc/sector": File(b"s" * 4096),
    "usr/share/doc/empty": File(b""),
    "dev/null": Device("c", 1, 3, 0o666),
    "dev/sda": Device("b", 8, 0, 0o660),
    "run/initctl": Device("p", mode=0o600),
    "tmp": Dir(0o1777),
    "home/alice/notes": File(b"secret", 0o600, 1000, 1000),
}
#: ``mkfs.btrfs`` options of each ``--rootdir`` variant.
VARIANTS = {
    "default": (),
    "xxhash-holes-64k-single": (
        "--csum",
        "xxhash",
        "-O",
        "^no-holes",
        "-n",
        "65536",
        "-m",
        "single",
    ),
    "sha256-mixed": ("--csum", "sha256", "--mixed"),
    "blake2-dup-data": ("--csum", "blake2", "-d", "dup"),
}


def source_tree(root: Path) -> Path:
    """The spec on the host, plus files with holes (which the spec cannot express)."""
    write_tree(root, SPEC)
    with open(root / "usr/share/doc/holes", "wb") as file:
        file.write(b"head")
        file.seek(3 << 20)
        file.write(b"middle")
    os.truncate(root / "usr/share/doc/holes", 8 << 20)
    return root


def scan(image: Path) -> tuple[Tree, DiskSource]:
    source = DiskSource(str(image))
    return TreeBuilder([]).build(source.layers()), source


@pytest.fixture(scope="module")
def src(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return source_tree(tmp_path_factory.mktemp("btrfs-src") / "tree")


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_rootdir_image_equals_its_source(src: Path, tmp_path: Path, variant: str) -> None:
    image = mkfs_btrfs(tmp_path / "fs.img", src, 128, *VARIANTS[variant])
    tree, source = scan(image)
    assert differences(src, tree) == []
    assert tree.lstat("/bin/ping").xattrs["security.capability"] == CAPABILITY
    assert tree.read("/usr/share/doc/holes")[(3 << 20) - 2 : (3 << 20) + 8] == b"\0\0middle\0\0"
    assert source.facts()["filesystems"] == [
        {
            "volume": "disk[<top>]",
            "type": "btrfs",
            "uuid": BtrfsFileSystem(FileDevice(str(image)), "fs").uuid,
            "label": None,
            "partuuid": None,
            "mountpoint": "/",
            "size": image.stat().st_size,
        }
    ]
    source.close()


@pytest.fixture(scope="module")
def compressed(src: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    if not can_loop_mount():
        pytest.skip("needs root and loop devices to write compressed extents")
    tmp = tmp_path_factory.mktemp("btrfs-z")
    nested = write_tree(tmp / "nested", {"inside": "in a nested subvolume\n"})
    images = {}
    for method in ("zlib", "lzo", "zstd"):
        image = mkfs_btrfs(tmp / f"{method}.img", None, 128)
        images[method] = populate(
            image, method, {"": src, "nested": nested}, snapshots={"snap": "nested"}
        )
        with mounted(image, "defaults") as top:
            run("fallocate", "-l", "1M", str(top / "prealloc"))
            with open(top / "prealloc", "r+b") as file:
                file.seek(600_000)
                file.write(b"written")
    yield images


@pytest.mark.parametrize("method", ["zlib", "lzo", "zstd"])
def test_compressed_extents_read_back(compressed: dict[str, Path], src: Path, method: str) -> None:
    image = compressed[method]
    fs = BtrfsFileSystem(FileDevice(str(image)), "z")
    found = lookup(fs, "/usr/share/doc/text")
    assert found is not None
    data = fs.blocks(*found)
    assert isinstance(data, ExtentData)
    for offset, size in ((0, 1), (4095, 2), (131_000, 5000), (200_000, 70_000), (len(TEXT) - 3, 9)):
        assert data.read_at(offset, size) == TEXT[offset : offset + size]
    tree, source = scan(image)
    assert tree.read("/nested/inside") == b"in a nested subvolume\n"
    assert tree.listdir("/snap") == []
    notes = [n for n in source.notifications if n.code == "disk.btrfs.snapshots"]
    assert [(n.level, n.message) for n in notes] == [
        (Level.NOTE, f"{method}.img:disk[<top>]: btrfs snapshots are not scanned: snap")
    ]
    assert tree.read("/prealloc") == bytes(600_000) + b"written" + bytes(1048576 - 600_007)
    extra = {"/nested", "/nested/inside", "/snap", "/prealloc"}
    assert [d for d in differences(src, tree) if d.split(":")[0] not in extra] == []
    assert tree.read("/usr/share/doc/text")[-80:] == TEXT[-80:]
    assert (tree.lstat("/dev/null").rdev, tree.lstat("/dev/sda").rdev) == ((1, 3), (8, 0))


def test_multi_device_raid_is_refused_naming_the_profile(tmp_path: Path) -> None:
    first, second = tmp_path / "dev1.img", tmp_path / "dev2.img"
    for path in (first, second):
        path.write_bytes(b"")
        os.truncate(path, 128 << 20)
    mkfs = ("mkfs.btrfs", "-q", "-f", "-d", "raid1", "-m", "raid1", str(first), str(second))
    run(*mkfs)
    result = run_cli("scan", str(first))
    assert result.returncode == 2
    assert one_line_error(result) == (
        "imgaudit: dev1.img: no readable file system found "
        "(disk: btrfs file system, btrfs RAID1 profile (system) is not supported)"
    )


def test_bad_primary_superblock_falls_back_to_the_mirror(src: Path, tmp_path: Path) -> None:
    image = mkfs_btrfs(tmp_path / "fs.img", src, 128)
    with open(image, "r+b") as file:
        file.seek(0x10000 + 0x12B)
        file.write(b"tampered label")
    tree, source = scan(image)
    assert tree.read("/etc/hostname") == b"btrfs\n"
    warnings = [n.message for n in source.notifications if n.code == "disk.btrfs.superblock"]
    assert warnings == [
        "fs.img:disk: superblock at 65536: bad crc32c checksum; using the newest valid mirror"
    ]
