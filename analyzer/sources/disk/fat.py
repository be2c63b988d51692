"""FAT12, FAT16 and FAT32 (the EFI system partition), read-only.

Only directories and regular files exist here; names are the VFAT long names when their
checksum matches the short entry, else the 8.3 short names (with the NT lower-case flags).
FAT stores no owners or modes: entries are owned by root, directories ``0755`` and files
``0644``. Cluster chains are bounded by the cluster count, so a looping FAT ends the file.
"""

from __future__ import annotations

from dataclasses import dataclass

from analyzer.errors import SourceError
from analyzer.sources.disk.device import (
    CachedDevice,
    Device,
    FileMaps,
    check,
    read_exact,
    unpack,
)
from analyzer.sources.disk.fsbase import Inode
from analyzer.stream.entry import Blocks, Kind

_ATTR_LFN, _ATTR_DIR, _ATTR_VOLUME = 0x0F, 0x10, 0x08
_DIR_MODE, _FILE_MODE = 0o755, 0o644


@dataclass(frozen=True, slots=True)
class FatGeometry:
    """Where the FATs, the root directory and the data area are."""

    bits: int
    sector: int
    cluster: int
    fat_offset: int
    root_offset: int
    root_size: int
    root_cluster: int
    data_offset: int
    clusters: int
    volume_id: int
    label: str


def parse_boot(raw: bytes, device_size: int, name: str) -> FatGeometry:
    """Parse and validate a FAT boot sector."""
    check(raw[510:512] == b"\x55\xaa", name, "not a FAT file system")
    bps, spc, reserved, nfats, root_entries, total16, _media, fat16 = unpack(
        "<HBHBHHBH", raw, 11, name
    )
    total32, fat32, _flags, _ver, root_cluster = unpack("<IIHHI", raw, 32, name)
    check(
        bps in (512, 1024, 2048, 4096) and spc > 0 and spc & (spc - 1) == 0,
        name,
        "not a FAT file system",
    )
    check(nfats in (1, 2) and reserved > 0, name, "corrupt FAT: bad boot sector")
    fat_sectors = fat16 or fat32
    total = total16 or total32
    root_sectors = -(-(root_entries * 32) // bps)
    data_sector = reserved + nfats * fat_sectors + root_sectors
    check(
        0 < data_sector < total and total * bps <= device_size + bps,
        name,
        "corrupt FAT: geometry beyond the device",
    )
    clusters = (total - data_sector) // spc
    bits = 12 if clusters < 4085 else 16 if clusters < 65525 else 32
    id_at, label_at = (67, 71) if bits == 32 else (39, 43)
    label = raw[label_at : label_at + 11].decode("latin-1").strip()
    return FatGeometry(
        bits,
        bps,
        bps * spc,
        reserved * bps,
        (reserved + nfats * fat_sectors) * bps,
        root_entries * 32,
        root_cluster if bits == 32 else 0,
        data_sector * bps,
        clusters,
        unpack("<I", raw, id_at, name)[0],
        "" if label == "NO NAME" else label,
    )


def _checksum(short: bytes) -> int:
    total = 0
    for byte in short:
        total = (((total & 1) << 7) + (total >> 1) + byte) & 0xFF
    return total


class FatFileSystem:
    """A FAT file system; inode numbers are assigned as directories are listed.

    A directory's number follows its first cluster, so a directory loop is seen as one.
    """

    root = 1

    def __init__(self, device: Device, name: str) -> None:
        self.name = name
        self._meta = CachedDevice(device)
        self._data = device
        self.geo = parse_boot(
            read_exact(device, 0, 512, "FAT boot sector", name), device.size, name
        )
        self.fstype = "vfat"
        vid = self.geo.volume_id
        self.uuid: str | None = f"{vid >> 16:04X}-{vid & 0xFFFF:04X}"
        self.label: str | None = self.geo.label or None
        self._numbers: dict[tuple[str, int, int], int] = {}
        self._nodes: dict[int, tuple[Inode, int]] = {
            1: (Inode(Kind.DIR, _DIR_MODE), self.geo.root_cluster)
        }
        self._maps = FileMaps(device, self._file_runs)

    def _next(self, cluster: int) -> int:
        bits = self.geo.bits
        if bits == 12:
            raw = self._meta.read(self.geo.fat_offset + cluster + cluster // 2, 2)
            value = unpack("<H", raw, 0, self.name)[0]
            value = value >> 4 if cluster & 1 else value & 0xFFF
            return value if value < 0xFF8 else -1
        if bits == 16:
            value = unpack(
                "<H", self._meta.read(self.geo.fat_offset + cluster * 2, 2), 0, self.name
            )[0]
            return value if value < 0xFFF8 else -1
        value = unpack("<I", self._meta.read(self.geo.fat_offset + cluster * 4, 4), 0, self.name)[0]
        value &= 0x0FFFFFFF
        return value if value < 0x0FFFFFF8 else -1

    def _chain(self, first: int, limit: int | None = None) -> list[tuple[int, int, int]]:
        size = self.geo.cluster
        runs: list[tuple[int, int, int]] = []
        cluster, logical, seen = first, 0, 0
        while 2 <= cluster < self.geo.clusters + 2:
            if limit is not None and logical >= limit:
                break
            seen += 1
            if seen > self.geo.clusters:
                raise SourceError(f"{self.name}: corrupt FAT: cluster chain loops")
            physical = self.geo.data_offset + (cluster - 2) * size
            if runs and runs[-1][1] + runs[-1][2] == physical:
                runs[-1] = (runs[-1][0], runs[-1][1], runs[-1][2] + size)
            else:
                runs.append((logical, physical, size))
            logical += size
            cluster = self._next(cluster)
        return runs

    def inode(self, ino: int) -> Inode:
        """Metadata of an object seen in an earlier listing."""
        found = self._nodes.get(ino)
        if found is None:
            raise SourceError(f"{self.name}: unknown FAT object {ino}")
        return found[0]

    def blocks(self, ino: int, inode: Inode) -> Blocks:
        """Return a reader of the file's bytes along its cluster chain."""
        return self._maps.reader(ino, inode.size)

    def _file_runs(self, ino: int) -> list[tuple[int, int, int]]:
        inode, first = self._nodes[ino]
        return self._chain(first, inode.size)

    def listdir(self, ino: int) -> list[tuple[str, int]]:
        """Names of a directory; each child gets a fresh inode number."""
        node, first = self._nodes[ino]
        check(node.kind is Kind.DIR, self.name, f"FAT object {ino} is not a directory")
        if first == 0:
            raw = self._meta.read(self.geo.root_offset, self.geo.root_size)
        else:
            raw = b"".join(self._meta.read(p, n) for _l, p, n in self._chain(first))
        found: list[tuple[str, int]] = []
        long_parts: list[bytes] = []
        long_sum = -1
        for at in range(0, len(raw) - 31, 32):
            entry = raw[at : at + 32]
            if entry[0] == 0:
                break
            attr = entry[11]
            if entry[0] == 0xE5:
                long_parts = []
                continue
            if attr == _ATTR_LFN:
                if entry[0] & 0x40:
                    long_parts = []
                long_sum = entry[13]
                long_parts.insert(0, entry[1:11] + entry[14:26] + entry[28:32])
                continue
            if attr & _ATTR_VOLUME:
                long_parts = []
                continue
            name = self._name(entry, long_parts if long_sum == _checksum(entry[:11]) else [])
            long_parts = []
            if name in (".", ".."):
                continue
            cluster = unpack("<H", entry, 20, self.name)[0] << 16
            cluster |= unpack("<H", entry, 26, self.name)[0]
            size = unpack("<I", entry, 28, self.name)[0]
            is_dir = bool(attr & _ATTR_DIR)
            if is_dir and cluster in (0, self.geo.root_cluster):
                found.append((name, self.root))  # a link back to the root: a loop
                continue
            key = ("d", cluster, 0) if is_dir else ("f", first, at)
            number = self._numbers.setdefault(key, len(self._numbers) + 2)
            self._nodes[number] = (
                Inode(Kind.DIR, _DIR_MODE) if is_dir else Inode(Kind.FILE, _FILE_MODE, size=size),
                cluster,
            )
            found.append((name, number))
        return found

    @staticmethod
    def _name(entry: bytes, long_parts: list[bytes]) -> str:
        if long_parts:
            text = b"".join(long_parts).decode("utf-16-le", "replace")
            return text.split("\0", 1)[0]
        base = bytearray(entry[:8])
        if base[0] == 0x05:
            base[0] = 0xE5
        stem = base.decode("cp437").rstrip()
        ext = entry[8:11].decode("cp437").rstrip()
        if entry[12] & 0x08:
            stem = stem.lower()
        if entry[12] & 0x10:
            ext = ext.lower()
        return f"{stem}.{ext}" if ext else stem
