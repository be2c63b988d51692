"""Partition tables: MBR (with the EBR chain of logical partitions) and GPT.

Partitions are numbered as Linux numbers them (``sda1``..``sda4`` primary, ``sda5``.. logical;
GPT entries by slot), at 512- or 4096-byte logical sectors. A partition that starts beyond
the end of the disk, or an EBR chain that loops, is a :class:`SourceError`; one that only
ends beyond it (a truncated image) is clamped with a warning.
"""

from __future__ import annotations

import struct
import uuid
from dataclasses import dataclass, field

from analyzer.errors import SourceError
from analyzer.model import JSONObject
from analyzer.sources.disk.device import Device, SliceDevice, check
from analyzer.sources.disk.signatures import match

SECTOR = 512
#: Logical sector sizes at which partition tables are looked for.
SECTOR_SIZES = (SECTOR, 4096)
_EXTENDED = (0x05, 0x0F, 0x85)
_PROTECTIVE = 0xEE
_MAX_LOGICAL = 128
_MAX_GPT_ENTRIES = 1024

#: Partition type GUIDs of the root file system (Discoverable Partitions Specification).
ROOT_TYPES = {
    "4f68bce3-e8cd-4db1-96e7-fbcaf984b709": "root-x86-64",
    "b921b045-1df0-41c3-af44-4c6f280d3fae": "root-arm64",
    "44479540-f297-41b2-9af7-d131d5f0458a": "root-x86",
    "69dad710-2ce4-4e3c-b16c-21a1d49abed3": "root-arm",
    "72ec70a6-cf74-40e6-bd49-4bda08e8f224": "root-riscv64",
}
#: Type GUIDs of the other partitions systemd mounts by type, and where it mounts them.
DISCOVERABLE = {
    "8484680c-9521-48c6-9c11-b0720656f69e": ("usr-x86-64", "/usr"),
    "b0e01050-ee5f-4390-949a-9101b17104e9": ("usr-arm64", "/usr"),
    "75250d76-8cc6-458e-bd66-bd47cc81a812": ("usr-x86", "/usr"),
    "7d0359a3-02b3-4f0a-865c-654403e70625": ("usr-arm", "/usr"),
    "933ac7e1-2eb4-4f13-b844-0e14e2aef915": ("home", "/home"),
    "3b8f8425-20e0-4f3b-907f-1a25a76f98e8": ("srv", "/srv"),
    "4d21b016-b534-45c2-a9fb-5c16e091fd2d": ("var", "/var"),
    "7ec6f557-3bc5-4aca-b293-16ef5df639d1": ("var-tmp", "/var/tmp"),
    "bc13c2ff-59e6-4262-a352-b275fd6f7172": ("xbootldr", "/boot"),
}
#: Other well-known GPT type GUIDs, named in facts.
KNOWN_TYPES = {
    **ROOT_TYPES,
    **{guid: named for guid, (named, _point) in DISCOVERABLE.items()},
    "c12a7328-f81f-11d2-ba4b-00a0c93ec93b": "esp",
    "0fc63daf-8483-4772-8e79-3d69d8477de4": "linux",
    "e6d6d379-f507-44c2-a23c-238f2a3df928": "lvm",
    "0657fd6d-a4ab-43c4-84e5-0933c84b4f4f": "swap",
    "21686148-6449-6e6f-744e-656564454649": "bios-boot",
}


@dataclass(frozen=True, slots=True)
class Partition:
    """One partition: where it is and how the table describes it."""

    index: int
    start: int
    size: int
    type: str
    scheme: str
    partuuid: str | None = None
    label: str | None = None

    def as_fact(self) -> JSONObject:
        """Describe the partition as a JSON-able dict."""
        return {
            "index": self.index,
            "start": self.start,
            "size": self.size,
            "scheme": self.scheme,
            "type": self.type,
            "type_name": KNOWN_TYPES.get(self.type, ""),
            "partuuid": self.partuuid,
            "label": self.label,
        }


@dataclass(frozen=True, slots=True)
class PartitionTable:
    """What :func:`read_table` found: the scheme, its sector size, partitions and warnings."""

    scheme: str
    sector: int
    partitions: list[Partition]
    warnings: list[str]


def read_table(disk: Device, name: str, sector: int | None = None) -> PartitionTable:
    """The partition table of ``disk`` (scheme ``gpt``, ``mbr`` or ``none``).

    GPT and MBR are looked for at 512- and 4096-byte logical sectors, the size the image
    format records (``sector``) first; an MBR is read at the first size that puts a
    recognisable volume at the start of a partition (at 512 bytes when none does). A
    partition that starts inside the disk but runs past its end (a truncated image) is
    clamped with a warning, as Linux does; any other structural problem raises
    :class:`SourceError` naming it.
    """
    sizes = _sizes(sector)
    for size in sizes:
        if disk.read(size, 8) == b"EFI PART":
            return _gpt(_Reader(disk, name, size))
    mbr = disk.read(0, SECTOR)
    if not is_mbr(mbr):
        return PartitionTable("none", sizes[0], [], [])
    tables: list[PartitionTable] = []
    errors: list[SourceError] = []
    for size in sizes:
        try:
            tables.append(_mbr(_Reader(disk, name, size), mbr))
        except SourceError as exc:
            errors.append(exc)
    for table in tables:
        if _holds_volume(disk, table.partitions):
            return table
    if not tables:
        raise errors[0]
    return tables[0]


def has_table(device: Device) -> bool:
    """True when a GPT header (at 512- or 4096-byte sectors) or an MBR starts ``device``."""
    if any(device.read(size, 8) == b"EFI PART" for size in SECTOR_SIZES):
        return True
    return is_mbr(device.read(0, SECTOR))


def _sizes(sector: int | None) -> tuple[int, ...]:
    return (sector, *(s for s in SECTOR_SIZES if s != sector)) if sector else SECTOR_SIZES


def _holds_volume(disk: Device, parts: list[Partition]) -> bool:
    return any(match(SliceDevice(disk, p.start, p.size)) is not None for p in parts)


@dataclass
class _Reader:
    """A table being read: the disk, its name, the sector size and the warnings so far."""

    disk: Device
    name: str
    sector: int
    warnings: list[str] = field(default_factory=list)

    def checked(self, index: int, start: int, size: int, end_limit: int | None = None) -> int:
        """The size of partition ``index``, clamped to the disk when only its end is beyond.

        ``end_limit`` is where the table says the disk ends (GPT's last usable byte); a
        partition beyond it is corrupt, not truncated.
        """
        disk_size = self.disk.size
        beyond_table = end_limit is not None and start + size > end_limit
        if size == 0 or start >= disk_size or beyond_table:
            raise SourceError(
                f"{self.name}: corrupt partition table: partition {index} beyond end of disk"
            )
        if start + size > disk_size:
            self.warnings.append(
                f"{self.name}: partition {index} runs {start + size - disk_size} bytes past the "
                "end of the disk (a truncated image); read up to the end"
            )
            return disk_size - start
        return size

    def table(self, scheme: str, parts: list[Partition]) -> PartitionTable:
        """The table read."""
        return PartitionTable(scheme, self.sector, parts, self.warnings)


def is_mbr(sector: bytes) -> bool:
    """Tell whether ``sector`` is a master boot record with a plausible table (not a FAT boot)."""
    if len(sector) < SECTOR or sector[510:512] != b"\x55\xaa":
        return False
    if sector[54:57] == b"FAT" or sector[82:87] == b"FAT32" or sector[3:7] == b"NTFS":
        return False
    return _plausible_mbr(sector)


def _mbr_entries(sector: bytes) -> list[tuple[int, int, int, int]]:
    entries = []
    for slot in range(4):
        status, ptype, start, count = struct.unpack_from("<B3xB3xII", sector, 446 + slot * 16)
        entries.append((status, ptype, start, count))
    return entries


def _plausible_mbr(sector: bytes) -> bool:
    """Tell whether the four entries look like a partition table (not a boot sector's code)."""
    entries = _mbr_entries(sector)
    used = [e for e in entries if e[1] != 0]
    return bool(used) and all(status in (0, 0x80) for status, *_ in entries)


def _mbr(table: _Reader, sector: bytes) -> PartitionTable:
    signature = struct.unpack_from("<I", sector, 440)[0]
    parts: list[Partition] = []
    extended: tuple[int, int] | None = None
    for slot, (_status, ptype, start, count) in enumerate(_mbr_entries(sector), start=1):
        if ptype == 0 or count == 0:
            continue
        if ptype == _PROTECTIVE:
            raise SourceError(f"{table.name}: protective MBR without a GPT header")
        if ptype in _EXTENDED:
            table.checked(slot, start * table.sector, count * table.sector)
            extended = (start, count)
            continue
        parts.append(_mbr_part(table, slot, start, count, ptype, signature))
    if extended is not None:
        parts += _logical(table, extended, signature)
    return table.table("mbr", parts)


def _mbr_part(
    table: _Reader, index: int, start: int, count: int, ptype: int, signature: int
) -> Partition:
    size = table.checked(index, start * table.sector, count * table.sector)
    return Partition(
        index,
        start * table.sector,
        size,
        f"0x{ptype:02x}",
        "mbr",
        f"{signature:08x}-{index:02d}",
    )


def _logical(table: _Reader, extended: tuple[int, int], sig: int) -> list[Partition]:
    disk, name, unit = table.disk, table.name, table.sector
    base, _count = extended
    parts: list[Partition] = []
    seen: set[int] = set()
    ebr = base
    index = 5
    while ebr not in seen:
        check(len(seen) < _MAX_LOGICAL, name, "corrupt MBR: too many logical partitions")
        seen.add(ebr)
        sector = disk.read(ebr * unit, SECTOR)
        if len(sector) != SECTOR or sector[510:512] != b"\x55\xaa":
            raise SourceError(f"{name}: corrupt MBR: bad extended boot record at sector {ebr}")
        entries = _mbr_entries(sector)
        _s, ptype, start, count = entries[0]
        if ptype and count:
            parts.append(_mbr_part(table, index, ebr + start, count, ptype, sig))
            index += 1
        _s, next_type, next_start, _n = entries[1]
        if next_type not in _EXTENDED or next_start == 0:
            return parts
        ebr = base + next_start
    raise SourceError(f"{name}: corrupt MBR: extended partition chain loops")


def _gpt(reader: _Reader) -> PartitionTable:
    disk, name, sector = reader.disk, reader.name, reader.sector
    header = disk.read(sector, 92)
    check(len(header) == 92, name, "corrupt GPT: header beyond end of disk")
    last_usable = struct.unpack_from("<Q", header, 48)[0]
    entries_lba, count, entry_size = struct.unpack_from("<QII", header, 72)
    check(0 < count <= _MAX_GPT_ENTRIES, name, "corrupt GPT: bad number of partition entries")
    check(128 <= entry_size <= 4096 and entry_size % 8 == 0, name, "corrupt GPT: bad entry size")
    table = disk.read(entries_lba * sector, count * entry_size)
    check(
        len(table) == count * entry_size, name, "corrupt GPT: partition entries beyond end of disk"
    )
    parts: list[Partition] = []
    for slot in range(count):
        raw = table[slot * entry_size : (slot + 1) * entry_size]
        if raw[:16] == bytes(16):
            continue
        ptype = str(uuid.UUID(bytes_le=raw[:16]))
        unique = str(uuid.UUID(bytes_le=raw[16:32]))
        first, last = struct.unpack_from("<QQ", raw, 32)
        label = raw[56:128].decode("utf-16-le", "replace").split("\0", 1)[0]
        check(last >= first, name, f"corrupt GPT: partition {slot + 1} ends before it starts")
        start, size = first * sector, (last - first + 1) * sector
        size = reader.checked(slot + 1, start, size, (last_usable + 1) * sector)
        parts.append(Partition(slot + 1, start, size, ptype, "gpt", unique, label or None))
    parts.sort(key=lambda p: p.start)
    return reader.table("gpt", parts)
