"""QEMU copy-on-write images, versions 2 and 3, read-only.

Supported: L1/L2 tables (read a page at a time, see :class:`~.device.Table`), unallocated
clusters (read from the backing file, else zeros), v3 zero clusters, compressed clusters with
zlib (raw deflate, inflated only as far as reads reach) or zstd (at most one cluster comes out
of either), and a backing file opened read-only. Refused
with a clear error: encryption, external data files and extended L2 entries (subclusters).
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from analyzer.errors import SourceError
from analyzer.sources.disk.blockmap import BlockMapped, Run
from analyzer.sources.disk.device import (
    LRU,
    MAX_TABLE_BYTES,
    Device,
    Table,
    ZeroDevice,
    check,
    page_cache,
    read_exact,
)

MAGIC = b"QFI\xfb"
_HEADER_V2 = struct.Struct(">4sIQIIQIIQQIIQ")
_HEADER_V3 = struct.Struct(">QQQII")
_OFFSET_MASK = 0x00FFFFFFFFFFFE00
_COMPRESSED = 1 << 62
_ZERO = 1
_INCOMPAT_EXTERNAL_DATA = 1 << 2
_INCOMPAT_COMPRESSION = 1 << 3
_INCOMPAT_EXTENDED_L2 = 1 << 4
_INCOMPAT_KNOWN = 0x1F
#: Smallest zstd window accepted for a compressed cluster (zstd's own default minimum).
_MIN_ZSTD_WINDOW = 1 << 20
#: Least bytes inflated at a time from a zlib-compressed cluster (small files share clusters).
INFLATE_STEP = 16 << 10


@dataclass(frozen=True, slots=True)
class Qcow2Header:
    """The fields of a qcow2 header this reader uses.

    ``l1_entries`` is the number of L1 entries the virtual size needs, the ones read (the
    header's own L1 size may be larger).
    """

    version: int
    cluster_bits: int
    size: int
    crypt_method: int
    l1_entries: int
    l1_offset: int
    incompatible: int
    compression_type: int
    backing_file: str | None


def parse_header(device: Device, name: str) -> Qcow2Header:
    """Parse and validate the header against the file size."""
    raw = read_exact(device, 0, 104, "qcow2 header", name)
    (
        magic,
        version,
        backing_off,
        backing_len,
        cluster_bits,
        size,
        crypt,
        l1_size,
        l1_off,
        _rc_off,
        _rc_clusters,
        _snaps,
        _snap_off,
    ) = _HEADER_V2.unpack_from(raw)
    check(magic == MAGIC, name, "not a qcow2 image")
    check(version in (2, 3), name, f"unsupported qcow2 version {version}")
    check(9 <= cluster_bits <= 21, name, f"corrupt qcow2: cluster size 2^{cluster_bits}")
    incompat, compression = 0, 0
    if version == 3:
        incompat, _compat, _autoclear, _refcount_order, header_len = _HEADER_V3.unpack_from(raw, 72)
        if header_len > 104:
            compression = read_exact(device, 104, 1, "qcow2 header", name)[0]
        check(not incompat & ~_INCOMPAT_KNOWN, name, "qcow2 has unknown incompatible features")
        check(
            not incompat & _INCOMPAT_EXTENDED_L2,
            name,
            "qcow2 with extended L2 entries (subclusters) is not supported",
        )
        check(
            not incompat & _INCOMPAT_EXTERNAL_DATA,
            name,
            "qcow2 with an external data file is not supported",
        )
        if not incompat & _INCOMPAT_COMPRESSION:
            compression = 0
    check(crypt == 0, name, "encrypted qcow2 images are not supported")
    check(compression in (0, 1), name, f"unknown qcow2 compression type {compression}")
    cluster = 1 << cluster_bits
    check(size < 1 << 56, name, "corrupt qcow2: virtual size too large")
    needed_l1 = -(-size // (cluster * (cluster // 8)))
    check(needed_l1 <= l1_size <= MAX_TABLE_BYTES // 8, name, "corrupt qcow2: bad L1 table size")
    check(l1_off % cluster == 0, name, "corrupt qcow2: L1 table offset not cluster-aligned")
    check(
        l1_off + needed_l1 * 8 <= device.size,
        name,
        "corrupt qcow2: L1 table offset beyond end of file",
    )
    backing = None
    if backing_off:
        check(
            backing_len <= 1023 and backing_off + backing_len <= device.size,
            name,
            "corrupt qcow2: backing file name beyond end of file",
        )
        backing = device.read(backing_off, backing_len).decode("utf-8", "surrogateescape")
    return Qcow2Header(
        version, cluster_bits, size, crypt, needed_l1, l1_off, incompat, compression, backing
    )


class Qcow2Device(BlockMapped):
    """The virtual disk of a qcow2 image."""

    BEYOND = "corrupt qcow2: data cluster beyond end of file"

    def __init__(self, file: Device, open_backing: Callable[[str], Device] | None = None):
        """``open_backing`` opens the backing file the header names (refused when ``None``)."""
        self.name = getattr(file, "name", "qcow2")
        self._file = file
        self.header = parse_header(file, self.name)
        self._cluster = 1 << self.header.cluster_bits
        self._l2_entries = self._cluster // 8
        self._l1 = Table(
            file, self.header.l1_offset, self.header.l1_entries, ">Q", self.name, "qcow2: L1 table"
        )
        self._l2_pages = page_cache(256)
        self._zcache = LRU[int, _Inflated | _Inflating](16)
        csize_bits = self.header.cluster_bits - 8
        self._csize_shift = 62 - csize_bits
        self._csize_mask = (1 << csize_bits) - 1
        self._coff_mask = (1 << self._csize_shift) - 1
        self._backing: Device = ZeroDevice(self.header.size)
        reference = self.header.backing_file
        if reference is not None:
            if open_backing is None:
                raise SourceError(f"{self.name}: backing file {reference!r} is not allowed here")
            self._backing = open_backing(reference)

    @property
    def size(self) -> int:
        """Virtual disk size."""
        return self.header.size

    def _l2(self, l2_offset: int) -> Table:
        return Table(
            self._file,
            l2_offset,
            self._l2_entries,
            ">Q",
            self.name,
            "qcow2: L2 table",
            self._l2_pages,
        )

    def _entry(self, cluster_index: int) -> int:
        l1_index, l2_index = divmod(cluster_index, self._l2_entries)
        l2_offset = self._l1[l1_index] & _OFFSET_MASK
        if not l2_offset:
            return 0
        return self._l2(l2_offset)[l2_index]

    def locate(self, offset: int) -> Run:
        """The cluster holding ``offset``: data, compressed, zeros (v3), or the backing file."""
        index, within = divmod(offset, self._cluster)
        entry = self._entry(index)
        length = self._cluster - within
        if entry & _COMPRESSED:
            return Run(length, fill=partial(self._compressed, entry, within))
        if entry & _OFFSET_MASK:
            return Run(length, (entry & _OFFSET_MASK) + within)
        if entry & _ZERO and self.header.version == 3:
            return Run(length)
        return Run(length, fill=partial(self._from_backing, offset))

    def _from_backing(self, offset: int, run: int) -> bytes:
        data = self._backing.read(offset, run)
        return data + bytes(run - len(data))

    def _compressed(self, entry: int, within: int, run: int) -> bytes:
        """``run`` bytes at ``within`` of a compressed cluster (zlib ones inflated lazily)."""
        cached = self._zcache.get(entry)
        if cached is None:
            host = entry & self._coff_mask
            sectors = ((entry >> self._csize_shift) & self._csize_mask) + 1
            length = sectors * 512 - (host & 511)
            raw = self._file.read(host, length)
            if not raw:
                raise SourceError(
                    f"{self.name}: corrupt qcow2: compressed cluster beyond end of file"
                )
            if self.header.compression_type == 1:
                cached = _Inflated(_zstd(raw, self._cluster, self.name))
            else:
                cached = _Inflating(raw, self._cluster)
            self._zcache.put(entry, cached)
        data = cached.read(within, run, self.name)
        if len(data) != run:
            raise SourceError(f"{self.name}: corrupt qcow2: short compressed cluster")
        return data


class _Inflated:
    """A compressed cluster decompressed in full."""

    __slots__ = ("_data",)

    def __init__(self, data: bytes) -> None:
        self._data = data

    def read(self, within: int, run: int, name: str) -> bytes:
        """``run`` bytes at ``within`` (fewer when the cluster is short)."""
        del name
        return self._data[within : within + run]


class _Inflating:
    """A zlib-compressed cluster inflated only as far as reads have needed (heads are short)."""

    __slots__ = ("_cluster", "_data", "_inflater", "_input")

    def __init__(self, raw: bytes, cluster: int) -> None:
        self._inflater = zlib.decompressobj(-12)
        self._input = raw
        self._data = bytearray()
        self._cluster = cluster

    def read(self, within: int, run: int, name: str) -> bytes:
        """``run`` bytes at ``within``, inflating more first when needed."""
        needed = min(within + run, self._cluster)
        while len(self._data) < needed:
            want = min(max(needed - len(self._data), INFLATE_STEP), self._cluster - len(self._data))
            try:
                more = self._inflater.decompress(self._input, want)
            except zlib.error as exc:
                raise SourceError(f"{name}: corrupt qcow2 compressed cluster: {exc}") from exc
            self._input = self._inflater.unconsumed_tail
            if not more:
                break
            self._data += more
        return bytes(self._data[within : within + run])


def _zstd(raw: bytes, cluster: int, name: str) -> bytes:
    try:
        import zstandard
    except ImportError as exc:
        raise SourceError(
            f"{name}: zstd-compressed qcow2 needs the Python module 'zstandard'"
        ) from exc
    # At most one cluster comes out, whatever the frame claims, through a bounded window.
    window = max(cluster, _MIN_ZSTD_WINDOW)
    try:
        decompressor = zstandard.ZstdDecompressor(max_window_size=window)
        with decompressor.stream_reader(raw, read_size=len(raw) or 1) as reader:
            data: bytes = reader.read(cluster)
        return data
    except zstandard.ZstdError as exc:
        raise SourceError(f"{name}: corrupt qcow2 zstd cluster: {exc}") from exc
