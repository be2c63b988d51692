"""The bytes of a btrfs file: inline, regular and preallocated extents, holes, compression.

Uncompressed files become a :class:`~analyzer.sources.disk.device.RunData` over the device;
a file with any zlib, LZO or zstd extent becomes an :class:`ExtentData`, which decompresses
one extent at a time (at most :data:`MAX_EXTENT` bytes, the largest the kernel writes) into
an :class:`ExtentCache` that the whole file system shares, so memory does not grow with the
number of files read.
"""

from __future__ import annotations

import io
import struct
import zlib
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import zstandard

from analyzer.codecs.lzo import LzoError, btrfs_decompress
from analyzer.errors import SourceError
from analyzer.sources.disk.device import LRU, Device, RunData, check
from analyzer.stream.entry import BLOCK_SIZE, Blocks, BytesData

#: Largest uncompressed size of one compressed extent (``BTRFS_MAX_UNCOMPRESSED``).
MAX_EXTENT = 128 * 1024
#: Largest inline extent (bounded by the node size).
MAX_INLINE = 64 * 1024
#: Decompressed extents kept per file system (each at most ``MAX_EXTENT`` bytes).
_CACHED_EXTENTS = 8
#: zlib/zstd output decompressed beyond what a read asks for (pure-Python LZO decodes only
#: the segments a read covers).
_READ_AHEAD = 64 * 1024
_LZO = 2
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


def decompress(method: int, data: bytes, ram: int, sector: int, name: str, first: int = 0) -> bytes:
    """Decompress one extent's stored bytes to (at most) ``ram`` bytes.

    For LZO, output starts at segment ``first`` (see :func:`btrfs_decompress`).
    """
    check(ram <= MAX_EXTENT, name, f"corrupt btrfs: compressed extent of {ram} bytes")
    try:
        if method == 1:
            return zlib.decompressobj().decompress(data, ram)
        if method == 2:
            return btrfs_decompress(data, ram, sector, first)
        if method == 3:
            reader = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(data))
            return reader.read(ram)
    except (zlib.error, zstandard.ZstdError, LzoError) as exc:
        raise SourceError(f"{name}: corrupt btrfs {_COMPRESSION[method]} extent: {exc}") from exc
    raise SourceError(f"{name}: btrfs compression type {method} is not supported")


class ExtentCache:
    """Decompressed pieces of the last few extents of one file system, by device offset.

    A read decompresses only what it needs: a zlib or zstd prefix up to its end (plus
    :data:`_READ_AHEAD`, cheap in C), or the LZO segments (one per sector) that it covers.
    """

    def __init__(self, device: Device, sector: int, name: str) -> None:
        self.device = device
        self.sector = sector
        self.name = name
        self._lru = LRU[int, tuple[int, bytes, bool]](_CACHED_EXTENTS)

    def piece(self, extent: Compressed, start: int, end: int) -> bytes:
        """Bytes ``[start, end)`` of the decompressed ``extent`` (fewer past its end)."""
        found = self._lru.get(extent.physical)
        if found is not None:
            offset, plain, whole = found
            if offset <= start and (whole or end <= offset + len(plain)):
                return plain[start - offset : end - offset]
        ahead = 0 if extent.method == _LZO else _READ_AHEAD
        want = min(extent.ram, max(end, start + ahead))
        stored = self.device.read(extent.physical, extent.stored)
        if extent.method == _LZO:
            first = start // self.sector
            offset = first * self.sector
            plain = decompress(extent.method, stored, want, self.sector, self.name, first)
        else:
            offset = 0
            plain = decompress(extent.method, stored, want, self.sector, self.name)
        self._lru.put(extent.physical, (offset, plain, want == extent.ram))
        return plain[start - offset : end - offset]


def file_data(
    items: Sequence[tuple[int, bytes]],
    size: int,
    physical: Callable[[int, int], int],
    cache: ExtentCache,
) -> Blocks:
    """A reader of a file of ``size`` bytes from its ``(file offset, extent item)`` list."""
    runs: list[tuple[int, int, int]] = []
    compressed: list[Compressed] = []
    for logical, data in items:
        _gen, ram, method, encryption, encoding, kind = _EXTENT.unpack_from(data, 0)
        name, sector = cache.name, cache.sector
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
        return RunData(cache.device, runs, size)
    return ExtentData(RunData(cache.device, runs, size), compressed, size, cache)


class ExtentData:
    """A file with compressed extents, read one extent at a time (a ``RandomAccess``)."""

    __slots__ = ("_cache", "_compressed", "_plain", "_size", "_starts")

    def __init__(
        self, plain: RunData, compressed: list[Compressed], size: int, cache: ExtentCache
    ) -> None:
        self._plain = plain
        self._compressed = sorted(compressed, key=lambda c: c.logical)
        self._starts = [c.logical for c in self._compressed]
        self._size = size
        self._cache = cache

    def __call__(self) -> Iterator[bytes]:
        """The file's bytes, at most ``BLOCK_SIZE`` at a time."""
        for pos in range(0, self._size, BLOCK_SIZE):
            yield self.read_at(pos, BLOCK_SIZE)

    def read_at(self, offset: int, size: int) -> bytes:
        """``size`` bytes at ``offset`` (fewer at the end of the file)."""
        offset = max(offset, 0)
        end = min(offset + max(size, 0), self._size)
        if end <= offset:
            return b""
        out = bytearray(self._plain.read_at(offset, end - offset))
        first = max(bisect_right(self._starts, offset) - 1, 0)
        for extent in self._compressed[first:]:
            if extent.logical >= end:
                break
            lo = max(offset, extent.logical)
            hi = min(end, extent.logical + extent.length)
            if lo >= hi:
                continue
            start = extent.skip + lo - extent.logical
            piece = self._cache.piece(extent, start, start + hi - lo)
            out[lo - offset : lo - offset + len(piece)] = piece
        return bytes(out)
