"""VMware disks, read-only: hosted sparse extents (``KDMV``), streamOptimized, descriptors, OVA.

A sparse extent maps grains through a grain directory and grain tables (read a page at a
time). streamOptimized extents store each grain zlib-compressed behind a marker and may keep
the grain directory in the footer. A text descriptor lists FLAT and SPARSE extent files,
which must sit in the descriptor's own directory tree (see :mod:`refs`). Disks with a parent
are refused.
"""

from __future__ import annotations

import os
import re
import struct
import tarfile
import zlib
from dataclasses import dataclass
from functools import partial

from analyzer.errors import SourceError
from analyzer.sources.disk.blockmap import BlockMapped, Run
from analyzer.sources.disk.device import (
    LRU,
    ConcatDevice,
    Device,
    FileDevice,
    SliceDevice,
    Table,
    ZeroDevice,
    check,
    page_cache,
    read_exact,
)
from analyzer.sources.disk.refs import References

MAGIC = b"KDMV"
DESCRIPTOR = b"# Disk DescriptorFile"
_HEADER = struct.Struct("<4sIIQQQQIQQQB4sH")
_GD_AT_END = 0xFFFFFFFFFFFFFFFF
_FLAG_COMPRESSED = 1 << 16
_SECTOR = 512
_MAX_DESCRIPTOR = 1 << 20
_EXTENT = re.compile(r'^(RW|RDONLY|NOACCESS)\s+(\d+)\s+(\w+)\s+"([^"]+)"(?:\s+(\d+))?')


@dataclass(frozen=True, slots=True)
class SparseHeader:
    """The fields of a hosted sparse extent header this reader uses."""

    flags: int
    capacity: int
    grain_size: int
    descriptor_offset: int
    descriptor_size: int
    gtes_per_gt: int
    gd_offset: int
    compress: int


def _parse_header(raw: bytes, name: str) -> SparseHeader:
    (
        magic,
        version,
        flags,
        capacity,
        grain,
        desc_off,
        desc_size,
        gtes,
        _rgd,
        gd,
        _over,
        _unclean,
        _eol,
        compress,
    ) = _HEADER.unpack_from(raw)
    check(magic == MAGIC, name, "not a vmdk sparse extent")
    check(version in (1, 2, 3), name, f"unsupported vmdk version {version}")
    return SparseHeader(flags, capacity, grain, desc_off, desc_size, gtes, gd, compress)


class SparseExtent(BlockMapped):
    """One hosted sparse extent (monolithicSparse, twoGbMaxExtentSparse, streamOptimized)."""

    BEYOND = "corrupt vmdk: grain beyond end of file"

    def __init__(self, file: Device, name: str) -> None:
        self.name = name
        self._file = file
        header = _parse_header(read_exact(file, 0, _SECTOR, "vmdk header", name), name)
        if header.gd_offset == _GD_AT_END:
            footer = read_exact(file, file.size - 1024, _SECTOR, "vmdk footer", name)
            header = _parse_header(footer, name)
        self.header = header
        check(
            header.grain_size > 0
            and header.grain_size & (header.grain_size - 1) == 0
            and header.grain_size <= 2048,
            name,
            "corrupt vmdk: bad grain size",
        )
        check(0 < header.gtes_per_gt <= 65536, name, "corrupt vmdk: bad grain table size")
        check(header.capacity < 1 << 47, name, "corrupt vmdk: capacity too large")
        self._grain = header.grain_size * _SECTOR
        self._gt_span = header.gtes_per_gt * self._grain
        entries = -(-header.capacity * _SECTOR // self._gt_span)
        gd_bytes = header.gd_offset * _SECTOR
        self._gd = Table(file, gd_bytes, entries, "<I", name, "vmdk: grain directory")
        self._compressed = bool(header.flags & _FLAG_COMPRESSED)
        self._gt_pages = page_cache(256)
        self._grains = LRU[int, bytes](16)

    @property
    def size(self) -> int:
        """Capacity in bytes."""
        return self.header.capacity * _SECTOR

    def descriptor(self) -> str:
        """Return the embedded descriptor text, if any."""
        h = self.header
        if not h.descriptor_offset or not 0 < h.descriptor_size <= _MAX_DESCRIPTOR // _SECTOR:
            return ""
        raw = self._file.read(h.descriptor_offset * _SECTOR, h.descriptor_size * _SECTOR)
        return raw.split(b"\0", 1)[0].decode("utf-8", "replace")

    def _grain_entry(self, grain_index: int) -> int:
        gd_index, gt_index = divmod(grain_index, self.header.gtes_per_gt)
        gt_sector = self._gd[gd_index]
        if gt_sector == 0:
            return 0
        table = Table(
            self._file,
            gt_sector * _SECTOR,
            self.header.gtes_per_gt,
            "<I",
            self.name,
            "vmdk: grain table",
            self._gt_pages,
        )
        return table[gt_index]

    def locate(self, offset: int) -> Run:
        """The grain holding ``offset``: in the file, compressed, or zeros (unallocated/zeroed)."""
        index, within = divmod(offset, self._grain)
        entry = self._grain_entry(index)
        length = self._grain - within
        if entry <= 1:
            return Run(length)
        if self._compressed:
            return Run(length, fill=partial(self._from_grain, entry, within))
        return Run(length, entry * _SECTOR + within)

    def _from_grain(self, sector: int, within: int, run: int) -> bytes:
        return self._inflate(sector)[within : within + run]

    def _inflate(self, sector: int) -> bytes:
        cached = self._grains.get(sector)
        if cached is not None:
            return cached
        marker = self._file.read(sector * _SECTOR, 12)
        if len(marker) != 12:
            raise SourceError(f"{self.name}: corrupt vmdk: grain marker beyond end of file")
        _lba, length = struct.unpack("<QI", marker)
        check(length <= 2 * self._grain + 4096, self.name, "corrupt vmdk: compressed grain size")
        raw = self._file.read(sector * _SECTOR + 12, length)
        try:
            data = zlib.decompressobj().decompress(raw, self._grain)
        except zlib.error as exc:
            raise SourceError(f"{self.name}: corrupt vmdk compressed grain: {exc}") from exc
        data += bytes(self._grain - len(data))
        self._grains.put(sector, data)
        return data


def open_sparse(file: FileDevice) -> SparseExtent:
    """Open a standalone sparse extent, refusing one whose embedded descriptor names a parent."""
    extent = SparseExtent(file, file.name)
    check(
        "parentFileNameHint" not in extent.descriptor(),
        file.name,
        "vmdk with a parent disk is not supported",
    )
    return extent


def open_descriptor_file(file: FileDevice, refs: References, opened: list[FileDevice]) -> Device:
    """Open the disk a descriptor file describes (see :func:`open_descriptor`)."""
    check(file.size <= _MAX_DESCRIPTOR, file.name, "vmdk descriptor file too large")
    text = file.read(0, file.size).decode("utf-8", "surrogateescape")
    return open_descriptor(text, file.path, refs, opened)


def open_descriptor(text: str, holder: str, refs: References, opened: list[FileDevice]) -> Device:
    """Open a device from the extent lines of the descriptor at host path ``holder``.

    Extent files are opened through ``refs``: inside the descriptor's directory tree, or
    named by the user.
    """
    name = os.path.basename(holder)
    check(
        "parentFileNameHint" not in text and 'createType="vmfsSparse"' not in text,
        name,
        "vmdk with a parent disk is not supported",
    )
    pieces: list[tuple[Device, int, int]] = []
    for line in text.splitlines():
        match = _EXTENT.match(line.strip())
        if not match:
            continue
        _access, sectors, kind, filename, offset = match.groups()
        length = int(sectors) * _SECTOR
        if kind == "ZERO":
            pieces.append((ZeroDevice(length), 0, length))
            continue
        if kind not in ("FLAT", "VMFS", "SPARSE"):
            raise SourceError(f"{name}: vmdk extent type {kind} is not supported")
        file = refs.open(holder, filename, "vmdk extent")
        opened.append(file)
        if kind == "SPARSE":
            pieces.append((SparseExtent(file, file.name), 0, length))
        else:
            pieces.append((file, int(offset or 0) * _SECTOR, length))
    check(bool(pieces), name, "vmdk descriptor lists no extents")
    return ConcatDevice(pieces)


def open_ova(file: FileDevice) -> Device:
    """Open the first ``.vmdk`` member of an uncompressed OVA (tar), read in place."""
    try:
        with tarfile.open(file.path, "r:") as archive:
            for member in archive:
                if member.isfile() and member.name.lower().endswith(".vmdk"):
                    window = SliceDevice(file, member.offset_data, member.size)
                    return SparseExtent(window, f"{file.name}:{member.name}")
    except (tarfile.TarError, OSError) as exc:
        raise SourceError(f"{file.name}: cannot read OVA archive: {exc}") from exc
    raise SourceError(f"{file.name}: OVA archive holds no .vmdk disk")
