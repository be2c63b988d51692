"""The bytes of a btrfs file: inline, regular and preallocated extents, holes, compression.

Uncompressed files become a :class:`~analyzer.sources.disk.device.RunData` over the device;
a file with any zlib, LZO or zstd extent becomes an :class:`ExtentData`, which decompresses
one extent at a time (at most :data:`MAX_EXTENT` bytes, the largest the kernel writes) and
keeps only the last one.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import zstandard

from analyzer.codecs.lzo import LzoError, btrfs_decompress
from analyzer.errors import SourceError
from analyzer.sources.disk.device import Device, RunData, check
from analyzer.sources.entry import BLOCK_SIZE, Blocks, BytesData

#: Largest uncompressed size of one compressed extent (``BTRFS_MAX_UNCOMPRESSED``).
MAX_EXTENT = 128 * 1024
#: Largest inline extent (bounded by the node size).
MAX_INLINE = 64 * 1024
_EXTENT = struct.Struct("<QQBBHB")
_REGULAR = struct.Struct("<QQQQ")
_INLINE, _PREALLOC = 0, 2
_COMPRESSION = {1: "zlib", 2: "lzo", 3: "zstd"}


@dataclass(frozen=True, slots=True)
class Compressed:
    """A compressed extent: ``[skip, skip + length)`` of its decompressed bytes at ``logical``."""

    logical: int
    physical: int
    stored: int
    ram: int
    skip: int
    length: int
    method: int


def decompress(method: int, data: bytes, ram: int, sector: int, name: str) -> bytes:
    """Decompress one extent's stored bytes to (at most) ``ram`` bytes."""
    check(ram <= MAX_EXTENT, name, f"corrupt btrfs: compressed extent of {ram} bytes")
    try:
        if method == 1:
            return zlib.decompressobj().decompress(data, ram)
        if method == 2:
            return btrfs_decompress(data, ram, sector)
        if method == 3:
            reader = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(data))
            return reader.read(ram)
    except (zlib.error, zstandard.ZstdError, LzoError) as exc:
        raise SourceError(f"{name}: corrupt btrfs {_COMPRESSION[method]} extent: {exc}") from exc
    raise SourceError(f"{name}: btrfs compression type {method} is not supported")


def file_data(
    items: Sequence[tuple[int, bytes]],
    size: int,
    device: Device,
    physical: Callable[[int, int], int],
    sector: int,
    name: str,
) -> Blocks:
    """A reader of a file of ``size`` bytes from its ``(file offset, extent item)`` list."""
    runs: list[tuple[int, int, int]] = []
    compressed: list[Compressed] = []
    for logical, data in items:
        _gen, ram, method, encryption, encoding, kind = _EXTENT.unpack_from(data, 0)
        check(
            encryption == 0 and encoding == 0,
            name,
            "btrfs encrypted or encoded extents are not supported",
        )
        check(method in (0, *_COMPRESSION), name, f"unknown btrfs compression {method}")
        if kind == _INLINE:
            inline = data[_EXTENT.size :]
            check(ram <= MAX_INLINE, name, "corrupt btrfs: inline extent too large")
            plain = decompress(method, inline, ram, sector, name) if method else inline
            check(size <= MAX_EXTENT, name, f"btrfs inline data in a file of {size} bytes")
            return BytesData(plain[:size].ljust(size, b"\0"))
        disk, stored, skip, length = _REGULAR.unpack_from(data, _EXTENT.size)
        if kind == _PREALLOC or disk == 0:
            runs.append((logical, -1, length))
        elif method:
            where = physical(disk, stored)
            compressed.append(Compressed(logical, where, stored, ram, skip, length, method))
        else:
            runs.append((logical, physical(disk + skip, length), length))
    if not compressed:
        return RunData(device, runs, size)
    return ExtentData(device, runs, compressed, size, sector, name)


class ExtentData:
    """A file with compressed extents, read one extent at a time (a ``RandomAccess``)."""

    def __init__(
        self,
        device: Device,
        runs: list[tuple[int, int, int]],
        compressed: list[Compressed],
        size: int,
        sector: int,
        name: str,
    ) -> None:
        self._plain = RunData(device, runs, size)
        self._device = device
        self._compressed = sorted(compressed, key=lambda c: c.logical)
        self._size = size
        self._sector = sector
        self._name = name
        self._last: tuple[Compressed, bytes] | None = None

    def __call__(self) -> Iterator[bytes]:
        """The file's bytes, at most ``BLOCK_SIZE`` at a time."""
        for pos in range(0, self._size, BLOCK_SIZE):
            yield self.read_at(pos, BLOCK_SIZE)

    def _extent(self, extent: Compressed) -> bytes:
        if self._last is None or self._last[0] is not extent:
            stored = self._device.read(extent.physical, extent.stored)
            plain = decompress(extent.method, stored, extent.ram, self._sector, self._name)
            self._last = (extent, plain)
        return self._last[1]

    def read_at(self, offset: int, size: int) -> bytes:
        """``size`` bytes at ``offset`` (fewer at the end of the file)."""
        offset = max(offset, 0)
        end = min(offset + max(size, 0), self._size)
        if end <= offset:
            return b""
        out = bytearray(self._plain.read_at(offset, end - offset))
        for extent in self._compressed:
            lo = max(offset, extent.logical)
            hi = min(end, extent.logical + extent.length)
            if lo >= hi:
                continue
            plain = self._extent(extent)
            start = extent.skip + lo - extent.logical
            piece = plain[start : start + hi - lo]
            out[lo - offset : lo - offset + len(piece)] = piece
        return bytes(out)
