"""The one read loop of the block-mapped formats: runs in order, contiguous ones in one read."""

from __future__ import annotations

import pytest

from analyzer.errors import SourceError
from analyzer.sources.disk.blockmap import BlockMapped, Run

BLOCK = 16


class Recording:
    """Host bytes ``0, 1, 2, ...`` (mod 256) that remember every read."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.reads: list[tuple[int, int]] = []

    def read(self, offset: int, size: int) -> bytes:
        self.reads.append((offset, size))
        end = min(offset + size, self.size)
        return bytes(i % 256 for i in range(offset, end))


class Mapped(BlockMapped):
    """Blocks placed by ``hosts``: a host offset, ``None`` (zeros) or ``"fill"`` (made here)."""

    BEYOND = "corrupt test: block beyond end of file"

    def __init__(self, hosts: list[int | str | None], file_size: int = 1024) -> None:
        self.name = "t.img"
        self.file = Recording(file_size)
        self._file = self.file
        self._hosts = hosts
        self.located: list[int] = []

    @property
    def size(self) -> int:
        return len(self._hosts) * BLOCK

    def locate(self, offset: int) -> Run:
        self.located.append(offset)
        index, within = divmod(offset, BLOCK)
        host = self._hosts[index]
        if host == "fill":
            return Run(BLOCK - within, fill=lambda n: b"F" * n)
        if host is None:
            return Run(BLOCK - within)
        assert isinstance(host, int)
        return Run(BLOCK - within, host + within)


def host_bytes(offset: int, size: int) -> bytes:
    return bytes(i % 256 for i in range(offset, offset + size))


def test_contiguous_blocks_are_read_in_one_call() -> None:
    disk = Mapped([100, 116, 132, 500, None, "fill", 148])
    data = disk.read(4, 7 * BLOCK)
    assert data == (
        host_bytes(104, 3 * BLOCK - 4) + host_bytes(500, BLOCK) + bytes(BLOCK) + b"F" * BLOCK
        + host_bytes(148, BLOCK)
    )  # fmt: skip
    assert disk.file.reads == [(104, 3 * BLOCK - 4), (500, BLOCK), (148, BLOCK)]
    # each block is located once: the look-ahead that ends a merge is reused
    assert disk.located == [4, 16, 32, 48, 64, 80, 96]


def test_reads_stop_at_the_end_of_the_disk_and_of_the_request() -> None:
    disk = Mapped([0, 16])
    assert disk.read(20, 100) == host_bytes(20, 12)
    assert disk.read(-5, 8) == host_bytes(0, 3)
    assert disk.read(32, 10) == b""
    assert disk.file.reads == [(20, 12), (0, 3)]


def test_a_block_past_the_end_of_the_file_is_corrupt() -> None:
    disk = Mapped([0, 1000], file_size=1008)
    with pytest.raises(SourceError) as caught:
        disk.read(0, 2 * BLOCK)
    assert str(caught.value) == "t.img: corrupt test: block beyond end of file"
