"""Reader fidelity: every file-system feature the readers claim, read back equal to its source.

Each image is built from one source directory with the real tools (``mkfs.ext4 -d`` with the
feature's options, ``mkfs.xfs -p`` protofiles, ``mkfs.vfat`` + ``mcopy``, the kernel on a loop
mount for what only a running file system lays out: htree and B+tree directories, fragmented,
punched and preallocated files) and read through the
public tree API; :func:`fidelity.compare` checks every path's kind, mode, owner, size, link
target, device numbers, content digest, ``security.capability`` and hard-link identity.
"""

from __future__ import annotations

import mmap
import os
from pathlib import Path

import pytest
from builders import Device, Dir, File, Hardlink, Symlink
from disk_builders import (
    CAPABILITY,
    Spec,
    loop_mounted,
    mkfs_ext4,
    mkfs_vfat,
    mkfs_xfs,
    run,
    write_tree,
)
from fidelity import Keeps, compare

from analyzer.sources.disk import DiskSource
from analyzer.stream.entry import Kind
from analyzer.vfs.build import TreeBuilder
from analyzer.vfs.tree import Tree

#: 300 KiB: past the direct and single-indirect blocks of a 1 KiB block map.
BIG = bytes(range(251)) * 1224
SPARSE_AT = 3 << 20
#: Entries of the source tree: the spec's, its 15 parent directories and ``bin/sparse``.
ENTRIES = 4472 - 3200


def _spec(links: bool) -> Spec:
    spec: dict[str, object] = {
        "etc/hostname": "fidelity\n",
        "bin/big": File(BIG, 0o755),
        "bin/empty": File(b"", 0o644),
        "bin/setuid": File(b"\x7fELF su", 0o4755),
        "bin/setgid": File(b"\x7fELF sg", 0o2711, 0, 42),
        "bin/fast": Symlink("big"),
        "bin/long": Symlink("/usr/lib/" + "long-target-" * 15),
        "home/alice/notes": File(b"secret", 0o600, 1000, 1001),
        # mkfs.xfs protofiles cannot set the sticky bit
        "tmp": Dir(0o1777 if links else 0o777),
        "srv/deep/er/and/deeper": Dir(0o700, 5, 6),
        "dev/null": Device("c", 1, 3, 0o666),
        "dev/sda": Device("b", 8, 0, 0o660),
        "run/fifo": Device("p", mode=0o600),
        "few/a": "a\n",
        **{f"block/entry-{n:03d}": f"{n}\n" for n in range(40)},
        **{f"leaf/entry-number-{n:04d}": "" for n in range(200)},
        **{f"node/a-rather-long-directory-entry-name-{n:05d}": "" for n in range(1000)},
    }
    if links:
        spec["bin/ping"] = File(b"\x7fELF ping", 0o755, xattrs={"security.capability": CAPABILITY})
        spec["bin/hard"] = Hardlink("bin/big")
        spec["bin/hard2"] = Hardlink("bin/big")
    return spec  # type: ignore[return-value]


def _source(tmp: Path, links: bool = True) -> Path:
    root = write_tree(tmp / "src", _spec(links))
    with open(root / "bin/sparse", "wb") as file:
        file.write(b"head")
        file.seek(SPARSE_AT)
        file.write(b"tail")
    return root


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _source(tmp_path_factory.mktemp("fidelity"))


@pytest.fixture(scope="module")
def xfs_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _source(tmp_path_factory.mktemp("fidelity-xfs"), links=False)


def read_tree(image: Path) -> tuple[Tree, DiskSource]:
    disk = DiskSource(str(image))
    return TreeBuilder([]).build(disk.layers()), disk


EXT_FEATURES = {
    "ext2-1k-indirect": ("-t", "ext2", "-b", "1024"),
    "ext3-journal-indirect": ("-t", "ext3"),
    "ext4-4k-extents-htree": ("-t", "ext4", "-b", "4096"),
    "ext4-1k-blocks": ("-t", "ext4", "-b", "1024"),
    "ext4-no-journal": ("-t", "ext4", "-O", "^has_journal"),
    "ext4-bigalloc": ("-t", "ext4", "-b", "4096", "-O", "bigalloc", "-C", "16384", "-N", "4096"),
    "ext4-meta_bg": ("-t", "ext4", "-O", "meta_bg,^resize_inode"),
    "ext4-inline_data": ("-t", "ext4", "-O", "inline_data"),
    "ext4-128-byte-inodes": ("-t", "ext4", "-I", "128"),
    "ext4-64bit-metadata_csum": ("-t", "ext4", "-O", "64bit,metadata_csum"),
}


@pytest.mark.parametrize("feature", sorted(EXT_FEATURES))
def test_ext_reads_back_its_source(feature: str, source: Path, tmp_path: Path) -> None:
    image = mkfs_ext4(source, tmp_path / "fs.img", 48, *EXT_FEATURES[feature])
    tree, disk = read_tree(image)
    assert compare(source, tree) == ENTRIES
    assert tree.read("/bin/sparse")[SPARSE_AT:] == b"tail"
    disk.close()
    assert [n for n in disk.notifications if n.code != "disk.root"] == []


XFS_FEATURES = {
    "xfs-v5-reflink": ("-m", "crc=1,reflink=1"),
    "xfs-v5-1k-blocks": ("-b", "size=1024", "-m", "crc=1"),
    "xfs-v4": ("-m", "crc=0"),
    "xfs-v5-dir-16k": ("-n", "size=16384"),
}


@pytest.mark.parametrize("feature", sorted(XFS_FEATURES))
def test_xfs_reads_back_its_source(feature: str, xfs_source: Path, tmp_path: Path) -> None:
    image = mkfs_xfs(xfs_source, tmp_path / "fs.img", 300, *XFS_FEATURES[feature])
    tree, disk = read_tree(image)
    assert compare(xfs_source, tree) == ENTRIES - 3
    disk.close()
    assert [n for n in disk.notifications if n.code != "disk.root"] == []


def test_fat_reads_back_names_and_content(tmp_path: Path) -> None:
    spec: Spec = {
        "EFI/BOOT/BOOTX64.EFI": b"MZ" + bytes(range(256)) * 200,
        "EFI/debian/grub.cfg": "search --fs-uuid\n",
        "A Long Name With Spaces.txt": "long\n",
        "lower.cfg": "x\n",
        **{f"many/file-{n:03d}.conf": f"{n}\n" for n in range(150)},
    }
    root = write_tree(tmp_path / "src", spec)
    for path in root.rglob("*"):
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    image = mkfs_vfat(root, tmp_path / "esp.img", 33)
    tree, disk = read_tree(image)
    assert compare(root, tree, Keeps(metadata=False)) == 158
    disk.close()


@pytest.fixture(scope="session")
def huge_dir_image(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """An ext4 image with one htree directory of 100,000 entries (built once).

    ``mkfs.ext4 -d`` inserts entries one by one into a linear directory (quadratic: minutes
    for 100k), so the kernel fills it on a loop mount; skipped where that is not possible.
    """
    tmp = tmp_path_factory.mktemp("htree")
    image = mkfs_ext4(
        write_tree(tmp / "src", {"many": Dir()}), tmp / "htree.img", 96, "-N", "110000"
    )
    count = 100_000
    with loop_mounted(image, tmp / "mnt") as mnt:
        many = os.open(mnt / "many", os.O_RDONLY)
        for n in range(count):
            if n % 100 == 0:
                os.mkdir(f"d{n:06d}", dir_fd=many)
            else:
                os.close(os.open(f"f{n:06d}", os.O_CREAT | os.O_WRONLY, 0o644, dir_fd=many))
        os.close(many)
    return image, count


def test_ext4_htree_directory_of_100k_entries(huge_dir_image: tuple[Path, int]) -> None:
    image, count = huge_dir_image
    flags = run("debugfs", "-R", "stat many", str(image))
    assert "Flags: 0x81000" in flags  # EXT4_INDEX_FL | EXT4_EXTENTS_FL: an htree directory
    tree, disk = read_tree(image)
    names = tree.listdir("/many")
    assert len(names) == count
    expected = {f"d{n:06d}" if n % 100 == 0 else f"f{n:06d}" for n in range(count)}
    assert set(names) == expected
    dirs = {name for name in names if tree.lstat(f"/many/{name}").kind is Kind.DIR}
    assert dirs == {f"d{n:06d}" for n in range(0, count, 100)}
    disk.close()


def _fork_format(image: Path, path: str) -> str:
    """``core.format`` of the inode at ``path``, as ``xfs_db`` prints it (``3 (btree)``)."""
    printed = run(
        "xfs_db", "-r", "-c", f"path {path}", "-c", "inode", "-c", "p core.format", str(image)
    )
    return printed.split("=", 1)[1].strip()


@pytest.fixture(scope="module")
def xfs_written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An XFS filled by the kernel on a loop mount (protofiles lay files out contiguously).

    ``/many`` is a directory whose data fork is a B+tree (thousands of long names), ``/a``
    and ``/b`` were written block by block in turn with direct I/O (hundreds of extents
    each), ``/punched`` has every other block punched out and ``/prealloc`` is mostly
    unwritten preallocated extents.
    """
    tmp = tmp_path_factory.mktemp("xfs-mounted")
    image = mkfs_xfs(write_tree(tmp / "src", {"etc/hostname": "xfs\n"}), tmp / "fs.img", 300)
    with loop_mounted(image, tmp / "mnt") as mnt:
        (mnt / "many").mkdir()
        many = os.open(mnt / "many", os.O_RDONLY)
        for n in range(MANY):
            name = f"a-long-directory-entry-name-{n:06d}-" + "x" * 120
            os.close(os.open(name, os.O_CREAT | os.O_WRONLY, 0o640, dir_fd=many))
        os.close(many)
        files = [
            os.open(mnt / name, os.O_CREAT | os.O_WRONLY | os.O_DIRECT, 0o644) for name in "ab"
        ]
        buffer = mmap.mmap(-1, 4096)
        for n in range(300):
            for fd, tag in zip(files, (b"A", b"B"), strict=True):
                buffer.seek(0)
                buffer.write((tag + n.to_bytes(2, "big")) * 1365 + b"\n")
                os.write(fd, buffer)
        for fd in files:
            os.close(fd)
        punches = [f"fpunch {n * 8}k 4k" for n in range(256)]
        run("xfs_io", "-f", "-c", "pwrite -S 0x5a 0 2m", str(mnt / "punched"))
        run("xfs_io", *[a for p in punches for a in ("-c", p)], str(mnt / "punched"))
        run(
            "xfs_io",
            "-f",
            "-c",
            "falloc 0 1m",
            "-c",
            "pwrite -S 0x11 64k 4k",
            str(mnt / "prealloc"),
        )
    return image


#: Entries of the B+tree directory (enough for hundreds of directory-block extents).
MANY = 5000


def test_xfs_btree_directory_and_many_extent_files(xfs_written: Path) -> None:
    for path in ("/many", "/a", "/b", "/punched"):
        assert _fork_format(xfs_written, path) == "3 (btree)", path
    tree, disk = read_tree(xfs_written)
    with loop_mounted(xfs_written, xfs_written.parent / "ro", read_only=True) as mnt:
        assert compare(mnt, tree) == MANY + 7
    assert len(tree.listdir("/many")) == MANY
    assert tree.read("/punched")[4096:8192] == b"\x5a" * 4096
    assert tree.read("/punched")[:4096] == bytes(4096)
    disk.close()
    assert [n for n in disk.notifications if n.code != "disk.root"] == []
