"""Hyper-V disks (VHDX), fixed and dynamic, read-only.

Reads the file identifier, the current header (highest sequence number of the two), the
region table, the metadata region (block size, virtual size, logical sector size) and the
block allocation table, whose payload entries are interleaved with sector-bitmap entries
every ``chunk ratio`` blocks. Images with a log to replay or a parent disk are refused.
"""

from __future__ import annotations

import struct
import uuid
from dataclasses import dataclass

from analyzer.errors import SourceError
from analyzer.sources.disk.blockmap import BlockMapped, Run
from analyzer.sources.disk.device import MAX_TABLE_BYTES, Device, Table, check, read_exact

SIGNATURE = b"vhdxfile"
_HEADERS = (64 << 10, 128 << 10)
_REGIONS = 192 << 10
_BAT = uuid.UUID("2DC27766-F623-4200-9D64-115E9BFD4A08")
_METADATA = uuid.UUID("8B7CA206-4790-4B9A-B8FE-575F050F886E")
_FILE_PARAMETERS = uuid.UUID("CAA16737-FA36-4D43-B3B6-33F0AA44E76B")
_VIRTUAL_SIZE = uuid.UUID("2FA54224-CD1B-4876-B211-5DBED83BF4B8")
_LOGICAL_SECTOR = uuid.UUID("8141BF1D-A96F-4709-BA47-F233A8FAAB5F")
_PRESENT = (6, 7)
_MAX_ENTRIES = 2047
_MB = 1 << 20


@dataclass(frozen=True, slots=True)
class VhdxLayout:
    """What the metadata region says about the virtual disk."""

    block_size: int
    virtual_size: int
    logical_sector: int
    bat_offset: int
    bat_length: int


def _header(file: Device, name: str) -> tuple[int, bytes]:
    best: tuple[int, bytes] | None = None
    for offset in _HEADERS:
        raw = read_exact(file, offset, 80, "vhdx header", name)
        if raw[:4] != b"head":
            continue
        sequence = struct.unpack_from("<Q", raw, 8)[0]
        if best is None or sequence > best[0]:
            best = (sequence, raw)
    if best is None:
        raise SourceError(f"{name}: corrupt vhdx: no valid header")
    return best


def _regions(file: Device, name: str) -> dict[uuid.UUID, tuple[int, int]]:
    raw = read_exact(file, _REGIONS, 64 << 10, "vhdx region table", name)
    check(raw[:4] == b"regi", name, "corrupt vhdx: bad region table")
    count = struct.unpack_from("<I", raw, 8)[0]
    check(count <= _MAX_ENTRIES, name, "corrupt vhdx: too many regions")
    regions: dict[uuid.UUID, tuple[int, int]] = {}
    for index in range(count):
        at = 16 + index * 32
        guid = uuid.UUID(bytes_le=raw[at : at + 16])
        offset, length = struct.unpack_from("<QI", raw, at + 16)
        check(offset + length <= file.size, name, "corrupt vhdx: region beyond end of file")
        regions[guid] = (offset, length)
    return regions


def parse_layout(file: Device, name: str) -> VhdxLayout:
    """Header, region table and metadata, validated against the file size."""
    check(file.read(0, 8) == SIGNATURE, name, "not a vhdx image")
    _sequence, header = _header(file, name)
    check(header[48:64] == bytes(16), name, "vhdx has a log that needs replaying; not supported")
    regions = _regions(file, name)
    check(_BAT in regions and _METADATA in regions, name, "corrupt vhdx: missing BAT or metadata")
    meta_offset, meta_length = regions[_METADATA]
    table = read_exact(file, meta_offset, 64 << 10, "vhdx metadata", name)
    check(table[:8] == b"metadata", name, "corrupt vhdx: bad metadata table")
    count = struct.unpack_from("<H", table, 10)[0]
    check(count <= _MAX_ENTRIES, name, "corrupt vhdx: too many metadata entries")
    items: dict[uuid.UUID, bytes] = {}
    for index in range(count):
        at = 32 + index * 32
        guid = uuid.UUID(bytes_le=table[at : at + 16])
        offset, length = struct.unpack_from("<II", table, at + 16)
        check(
            offset + length <= meta_length and length <= 4096,
            name,
            "corrupt vhdx: metadata item out of range",
        )
        items[guid] = file.read(meta_offset + offset, length)
    for needed in (_FILE_PARAMETERS, _VIRTUAL_SIZE, _LOGICAL_SECTOR):
        check(len(items.get(needed, b"")) >= 4, name, "corrupt vhdx: missing metadata item")
    block, flags = struct.unpack_from("<II", items[_FILE_PARAMETERS])
    check(not flags & 2, name, "differencing vhdx (with a parent disk) is not supported")
    check(
        _MB <= block <= 256 * _MB and block & (block - 1) == 0, name, "corrupt vhdx: bad block size"
    )
    size = struct.unpack_from("<Q", items[_VIRTUAL_SIZE])[0]
    sector = struct.unpack_from("<I", items[_LOGICAL_SECTOR])[0]
    check(sector in (512, 4096), name, "corrupt vhdx: bad logical sector size")
    check(size < 1 << 46, name, "corrupt vhdx: virtual size too large")
    bat_offset, bat_length = regions[_BAT]
    return VhdxLayout(block, size, sector, bat_offset, bat_length)


class VhdxDevice(BlockMapped):
    """The virtual disk of a VHDX file."""

    BEYOND = "corrupt vhdx: payload beyond end of file"

    def __init__(self, file: Device, name: str) -> None:
        self.name = name
        self._file = file
        self.layout = layout = parse_layout(file, name)
        self._ratio = (1 << 23) * layout.logical_sector // layout.block_size
        blocks = -(-layout.virtual_size // layout.block_size)
        entries = blocks + (blocks - 1) // self._ratio
        check(
            entries * 8 <= min(layout.bat_length, MAX_TABLE_BYTES),
            name,
            "corrupt vhdx: BAT smaller than the disk",
        )
        self._bat = Table(file, layout.bat_offset, entries, "<Q", name, "vhdx: BAT")

    @property
    def size(self) -> int:
        """Virtual disk size."""
        return self.layout.virtual_size

    def locate(self, offset: int) -> Run:
        """The block holding ``offset``: its payload in the file, or zeros when not present."""
        index, within = divmod(offset, self.layout.block_size)
        entry = self._bat[index + index // self._ratio]
        if entry & 7 in _PRESENT:
            return Run(self.layout.block_size - within, (entry & ~(_MB - 1)) + within)
        return Run(self.layout.block_size - within)
