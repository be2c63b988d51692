"""Microsoft Virtual PC disks (VHD), fixed and dynamic, read-only.

The 512-byte footer (``conectix``) sits at the end of the file (and a copy at the start of
a dynamic disk). A dynamic disk maps blocks through its block allocation table (BAT); each
allocated block starts with a sector bitmap. Differencing disks are refused. The virtual
size of a dynamic disk follows QEMU's rule so that reads match ``qemu-img convert``: images
written by Virtual PC or old QEMU use the CHS geometry, others the footer's current size.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from analyzer.errors import SourceError
from analyzer.sources.disk.blockmap import BlockMapped, Run
from analyzer.sources.disk.device import (
    Device,
    SliceDevice,
    Table,
    check,
    read_exact,
)

COOKIE = b"conectix"
_FOOTER = struct.Struct(">8sIIQI4sI4sQQHBBII")
_DYNAMIC = struct.Struct(">8sQQIII")
_SECTOR = 512
_FIXED, _DYNAMIC_DISK, _DIFFERENCING = 2, 3, 4
_UNALLOCATED = 0xFFFFFFFF
_CHS_CREATORS = (b"vpc ", b"qemu")


@dataclass(frozen=True, slots=True)
class VhdFooter:
    """The fields of a VHD footer this reader uses."""

    data_offset: int
    creator: bytes
    current_size: int
    cylinders: int
    heads: int
    sectors: int
    disk_type: int

    @property
    def virtual_size(self) -> int:
        """Disk size as QEMU computes it."""
        chs = self.cylinders * self.heads * self.sectors * _SECTOR
        max_geometry = (self.cylinders, self.heads, self.sectors) == (65535, 16, 255)
        if self.creator in _CHS_CREATORS and not max_geometry:
            return chs
        return self.current_size


def parse_footer(raw: bytes, name: str) -> VhdFooter:
    """Parse a footer (from the end of the file or the copy at its start)."""
    (
        cookie,
        _features,
        _version,
        data_offset,
        _time,
        creator,
        _cver,
        _cos,
        _orig,
        current,
        cylinders,
        heads,
        sectors,
        disk_type,
        _checksum,
    ) = _FOOTER.unpack_from(raw)
    check(cookie == COOKIE, name, "not a vhd image")
    return VhdFooter(data_offset, creator, current, cylinders, heads, sectors, disk_type)


def find_footer(file: Device, name: str) -> VhdFooter:
    """Return the footer at the end of the file, else the copy at its start."""
    tail = file.read(file.size - _SECTOR, _SECTOR) if file.size >= _SECTOR else b""
    if tail.startswith(COOKIE):
        return parse_footer(tail, name)
    tail = file.read(file.size - _SECTOR + 1, _SECTOR - 1)  # old 511-byte footers
    if tail.startswith(COOKIE):
        return parse_footer(tail + b"\0", name)
    return parse_footer(read_exact(file, 0, _SECTOR, "vhd footer", name), name)


def open_vhd(file: Device, name: str) -> Device:
    """Open the virtual disk of a fixed or dynamic VHD."""
    footer = find_footer(file, name)
    if footer.disk_type == _FIXED:
        # the data is everything before the footer (QEMU reads a fixed disk the same way)
        check(file.size > _SECTOR, name, "corrupt vhd: fixed disk without data")
        return SliceDevice(file, 0, file.size - _SECTOR)
    if footer.disk_type == _DIFFERENCING:
        raise SourceError(f"{name}: differencing vhd (with a parent disk) is not supported")
    check(footer.disk_type == _DYNAMIC_DISK, name, f"unknown vhd disk type {footer.disk_type}")
    return DynamicVhd(file, name, footer)


class DynamicVhd(BlockMapped):
    """A dynamic VHD: blocks mapped through the BAT, unallocated blocks read as zeros."""

    BEYOND = "corrupt vhd: data block beyond end of file"

    def __init__(self, file: Device, name: str, footer: VhdFooter) -> None:
        self.name = name
        self._file = file
        self._size = footer.virtual_size
        raw = read_exact(file, footer.data_offset, 40, "vhd dynamic header", name)
        cookie, _data, table, _hver, entries, block = _DYNAMIC.unpack_from(raw)
        check(cookie == b"cxsparse", name, "corrupt vhd: bad dynamic header")
        check(
            block >= _SECTOR and block & (block - 1) == 0 and block <= 1 << 28,
            name,
            "corrupt vhd: bad block size",
        )
        check(entries * block >= self._size, name, "corrupt vhd: BAT smaller than the disk")
        self._bat = Table(file, table, entries, ">I", name, "vhd: BAT")
        self._block = block
        self._bitmap = -(-(block // _SECTOR // 8) // _SECTOR) * _SECTOR

    @property
    def size(self) -> int:
        """Virtual disk size."""
        return self._size

    def locate(self, offset: int) -> Run:
        """The block holding ``offset``: after its sector bitmap in the file, or zeros."""
        index, within = divmod(offset, self._block)
        sector = self._bat[index]
        if sector == _UNALLOCATED:
            return Run(self._block - within)
        return Run(self._block - within, sector * _SECTOR + self._bitmap + within)
