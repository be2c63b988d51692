"""Random access to files on disk images: ``read_at`` returns exactly the streamed bytes.

Every regular file of an ext4 (extents, inline data, sparse holes), XFS and FAT image is read
both ways, at block boundaries and at random offsets; the run mapper is also checked on its
own with holes, unwritten runs and a file longer than its runs. Compressed qcow2 clusters are
inflated lazily, so their partial reads are compared with the raw image too.
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from disk_builders import convert, mkfs_ext4, mkfs_vfat, mkfs_xfs, run

from analyzer.sources.disk import DiskSource
from analyzer.sources.disk.device import FileDevice, MappedData, RunData
from analyzer.sources.disk.qcow2 import Qcow2Device
from analyzer.stream.entry import BLOCK_SIZE, BytesData, Kind, RandomAccess

#: Content that differs at every offset, so a misplaced range cannot compare equal.
PATTERN = bytes(random.Random(7).getrandbits(8) for _ in range(300_000))


class MemoryDevice:
    """A device over bytes, counting reads."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self.reads = 0

    @property
    def size(self) -> int:
        """Length of the bytes."""
        return len(self._data)

    def read(self, offset: int, size: int) -> bytes:
        """A slice of the bytes."""
        self.reads += 1
        return self._data[offset : offset + size]


def ranges(size: int, count: int = 60) -> list[tuple[int, int]]:
    """Block-boundary ranges, ranges past the end, and random ones, for a file of ``size``."""
    edges = [(0, 1), (0, 64), (0, size), (BLOCK_SIZE - 3, 7), (size - 1, 1), (size, 5)]
    edges += [(max(size - 10, 0), 100), (size + 100, 10), (3, 0)]
    pick = random.Random(size)
    edges += [(pick.randrange(size + 1), pick.randrange(1, 200_000)) for _ in range(count)]
    return edges


def check_file(name: str, data: object) -> None:
    """``read_at`` of every range equals the same slice of the streamed bytes."""
    assert isinstance(data, RandomAccess), f"{name}: reader {type(data).__name__} cannot seek"
    whole = b"".join(data())
    for offset, size in ranges(len(whole)):
        assert data.read_at(offset, size) == whole[offset : offset + size], (name, offset, size)


@pytest.fixture
def opened() -> Iterator[list[DiskSource]]:
    """Disk sources to close after the test (readers stay valid until then)."""
    sources: list[DiskSource] = []
    yield sources
    for source in sources:
        source.close()


def files_of(image: Path, opened: list[DiskSource]) -> dict[str, tuple[bytes, object]]:
    """Each regular file of the image: its streamed bytes and its reader."""
    source = DiskSource(str(image))
    opened.append(source)
    found: dict[str, tuple[bytes, object]] = {}
    for layer in source.layers():
        for entry, data in layer.entries:
            if entry.kind is Kind.FILE:
                found[entry.name] = (b"".join(data()), data)
    return found


def sample_tree(root: Path) -> Path:
    """Files of many sizes, one with holes, one that fits inline."""
    root.mkdir()
    (root / "empty").write_bytes(b"")
    (root / "tiny").write_bytes(b"#!/bin/sh\n")
    (root / "block").write_bytes(PATTERN[:BLOCK_SIZE])
    (root / "big").write_bytes(PATTERN)
    (root / "odd").write_bytes(PATTERN[: BLOCK_SIZE * 2 + 4097])
    with open(root / "sparse", "wb") as sparse:
        sparse.write(PATTERN[:5000])
        sparse.seek(200_000)
        sparse.write(PATTERN[5000:9000])
        sparse.seek(399_000)
        sparse.write(PATTERN[9000:10_000])
    return root


def expected(root: Path) -> dict[str, bytes]:
    """Content of every file of ``sample_tree`` by name."""
    return {p.name: p.read_bytes() for p in root.iterdir() if not p.is_symlink()}


@pytest.mark.parametrize("options", [(), ("-O", "inline_data")], ids=["extents", "inline"])
def test_ext4_read_at_equals_streamed_bytes(
    tmp_path: Path, options: tuple[str, ...], opened: list[DiskSource]
) -> None:
    root = sample_tree(tmp_path / "root")
    found = files_of(mkfs_ext4(root, tmp_path / "ext4.img", 16, *options), opened)
    assert {name.lstrip("/"): data for name, (data, _) in found.items()} == expected(root)
    for name, (_, reader) in found.items():
        check_file(name, reader)
    if options:
        assert isinstance(found["/tiny"][1], BytesData), "the tiny file should be inline"


def test_ext4_sparse_file_is_mapped_with_a_hole(tmp_path: Path, opened: list[DiskSource]) -> None:
    root = sample_tree(tmp_path / "root")
    image = mkfs_ext4(root, tmp_path / "ext4.img", 16)
    extents = run("debugfs", "-R", "ex /sparse", str(image))
    assert len([line for line in extents.splitlines() if "/" in line]) >= 2, extents
    _, reader = files_of(image, opened)["/sparse"]
    assert isinstance(reader, MappedData)
    assert reader.read_at(100_000, 16) == bytes(16)
    assert reader.read_at(199_998, 6) == b"\0\0" + PATTERN[5000:5004]
    assert reader.read_at(398_990, 100) == bytes(10) + PATTERN[9000:9090]


def test_xfs_read_at_equals_streamed_bytes(tmp_path: Path, opened: list[DiskSource]) -> None:
    root = sample_tree(tmp_path / "root")
    found = files_of(mkfs_xfs(root, tmp_path / "xfs.img", 300), opened)
    assert {name.lstrip("/"): data for name, (data, _) in found.items()} == expected(root)
    for name, (_, reader) in found.items():
        check_file(name, reader)


def test_fat_read_at_equals_streamed_bytes(tmp_path: Path, opened: list[DiskSource]) -> None:
    root = sample_tree(tmp_path / "root")
    found = files_of(mkfs_vfat(root, tmp_path / "fat.img", 8), opened)
    assert {name.lstrip("/"): data for name, (data, _) in found.items()} == expected(root)
    for name, (_, reader) in found.items():
        check_file(name, reader)


def test_runs_with_holes_unwritten_runs_and_a_short_map() -> None:
    device = MemoryDevice(PATTERN)
    # logical 0-99 at 1000; hole 100-4095; 4096-8191 unwritten; 8192-70000 at 5000; then zeros.
    runs = [(0, 1000, 100), (4096, -1, 4096), (8192, 5000, 61_809)]
    reader = RunData(device, runs, 90_000)
    whole = b"".join(reader())
    assert len(whole) == 90_000
    assert whole[:100] == PATTERN[1000:1100]
    assert whole[100:8192] == bytes(8092)
    assert whole[8192:70_001] == PATTERN[5000:66_809]
    assert whole[70_001:] == bytes(19_999)
    check_file("runs", reader)


def test_read_at_reads_only_the_runs_it_needs() -> None:
    device = MemoryDevice(PATTERN)
    reader = RunData(device, [(0, 0, 100_000), (100_000, 200_000, 100_000)], 200_000)
    assert reader.read_at(150_000, 10) == PATTERN[250_000:250_010]
    assert device.reads == 1


def test_directory_read_at_equals_the_file(tmp_path: Path) -> None:
    from analyzer.sources.directory import DirectorySource

    root = sample_tree(tmp_path / "root")
    (root / "link").symlink_to("big")
    source = DirectorySource(str(root))
    layer = next(source.layers())
    readers = {entry.name: data for entry, data in layer.entries if entry.kind is Kind.FILE}
    assert sorted(readers) == sorted(expected(root))
    for name, reader in readers.items():
        check_file(name, reader)
    os.unlink(root / "big")
    (root / "big").symlink_to("odd")
    assert isinstance(readers["big"], RandomAccess)
    assert readers["big"].read_at(0, 10) == b"", "a file swapped for a link reads as empty"


def test_compressed_qcow2_partial_reads_equal_the_raw_image(tmp_path: Path) -> None:
    root = sample_tree(tmp_path / "root")
    raw = mkfs_ext4(root, tmp_path / "ext4.img", 8)
    image = convert(raw, tmp_path / "z.qcow2", "qcow2", "-c")
    plain, packed = FileDevice(str(raw)), FileDevice(str(image))
    try:
        disk = Qcow2Device(packed)
        pick = random.Random(3)
        spots = [(0, 16), (65_536 - 8, 16), (4096, 64), (8192, 70_000), (0, 1 << 20)]
        spots += [(pick.randrange(plain.size), pick.randrange(1, 9000)) for _ in range(200)]
        for offset, size in spots:
            assert disk.read(offset, size) == plain.read(offset, size), (offset, size)
    finally:
        plain.close()
        packed.close()
