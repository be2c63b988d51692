"""ext2, ext3 and ext4, read-only: superblock, group descriptors, inodes and their data.

File data is mapped through extent trees or the old direct/indirect block maps; inline data
lives in the inode and its ``system.data`` attribute. Directories (htree ones included) are
read linearly as plain dirents. Extended attributes come from the inode body and from an
external block. Every block number is checked against the file-system size and every tree
walk is bounded, so a corrupt inode is an error for that inode, not a hang.
"""

from __future__ import annotations

import struct
import uuid
from dataclasses import dataclass

from analyzer.errors import SourceError
from analyzer.sources.disk.device import CachedDevice, Device, RunData, check, read_exact
from analyzer.sources.disk.ext4_parts import (
    Run,
    block_map_runs,
    dirents,
    extent_runs,
    parse_xattrs,
)
from analyzer.sources.disk.fsbase import Inode, kind_of
from analyzer.sources.entry import Blocks, BytesData, Kind

MAGIC = 0xEF53
SUPERBLOCK = 1024
#: Where the magic sits on the volume, and its bytes there (to recognise an ext volume).
MAGIC_AT, MAGIC_BYTES = SUPERBLOCK + 0x38, MAGIC.to_bytes(2, "little")
_INCOMPAT_64BIT = 0x80
_INCOMPAT_META_BG = 0x10
_INCOMPAT_JOURNAL_DEV = 0x8
_INCOMPAT_RECOVER = 0x4
_INCOMPAT_INLINE = 0x8000
_FLAG_EXTENTS = 0x80000
_FLAG_INLINE = 0x10000000
_XATTR_MAGIC = 0xEA020000
_MAX_INLINE_DIR = 1 << 16
_MAX_SYMLINK = 1 << 16
_MAX_DIR = 1 << 30


@dataclass(frozen=True, slots=True)
class Superblock:
    """The fields of an ext superblock this reader uses."""

    block_size: int
    blocks: int
    inodes: int
    inodes_per_group: int
    blocks_per_group: int
    first_data_block: int
    inode_size: int
    desc_size: int
    incompat: int
    first_meta_bg: int
    uuid: str
    label: str


def parse_superblock(raw: bytes, device_size: int, name: str) -> Superblock:
    """Parse and validate an ext superblock (the 1024 bytes at offset 1024)."""
    check(struct.unpack_from("<H", raw, 0x38)[0] == MAGIC, name, "not an ext file system")
    inodes, blocks_lo, _r, _f, _fi, first_data, log_block = struct.unpack_from("<7I", raw, 0)
    blocks_per_group, _frags, inodes_per_group = struct.unpack_from("<III", raw, 0x20)
    rev = struct.unpack_from("<I", raw, 0x4C)[0]
    inode_size = struct.unpack_from("<H", raw, 0x58)[0] if rev else 128
    incompat = struct.unpack_from("<I", raw, 0x60)[0]
    desc_size = struct.unpack_from("<H", raw, 0xFE)[0] if incompat & _INCOMPAT_64BIT else 32
    blocks_hi = struct.unpack_from("<I", raw, 0x150)[0] if incompat & _INCOMPAT_64BIT else 0
    first_meta_bg = struct.unpack_from("<I", raw, 0x104)[0]
    check(log_block <= 6, name, "corrupt ext: block size too large")
    block_size = 1024 << log_block
    check(not incompat & _INCOMPAT_JOURNAL_DEV, name, "ext external journal device, no files")
    check(
        128 <= inode_size <= block_size and inode_size & (inode_size - 1) == 0,
        name,
        "corrupt ext: bad inode size",
    )
    check(32 <= desc_size <= 1024, name, "corrupt ext: bad group descriptor size")
    check(
        0 < inodes_per_group <= block_size * 8 and 0 < blocks_per_group <= block_size * 8,
        name,
        "corrupt ext: bad group geometry",
    )
    total = blocks_lo | blocks_hi << 32
    check(
        total * block_size <= device_size + block_size * blocks_per_group,
        name,
        "corrupt ext: file system larger than its device",
    )
    label = raw[0x78:0x88].split(b"\0", 1)[0].decode("utf-8", "replace")
    return Superblock(
        block_size,
        total,
        inodes,
        inodes_per_group,
        blocks_per_group,
        first_data,
        inode_size,
        desc_size,
        incompat,
        first_meta_bg,
        str(uuid.UUID(bytes=raw[0x68:0x78])),
        label,
    )


class ExtFileSystem:
    """An ext2/3/4 file system on a device."""

    root = 2

    def __init__(self, device: Device, name: str) -> None:
        self.name = name
        self._meta = CachedDevice(device)
        self._data = device
        raw = read_exact(device, SUPERBLOCK, 1024, "ext superblock", name)
        self.sb = sb = parse_superblock(raw, device.size, name)
        self.fstype = "ext4" if sb.incompat & 0x2C0 else ("ext3" if raw[0x5C] & 4 else "ext2")
        self.uuid: str | None = sb.uuid
        self.label: str | None = sb.label or None
        self.needs_recovery = bool(sb.incompat & _INCOMPAT_RECOVER)
        self._groups = -(-sb.blocks // sb.blocks_per_group) if sb.blocks else 0
        check(
            self._groups * sb.inodes_per_group >= sb.inodes,
            name,
            "corrupt ext: inode count exceeds the groups",
        )
        self._tables: dict[int, int] = {}
        self._last_inode: tuple[int, bytes] = (0, b"")

    def _descriptor_block(self, index: int) -> int:
        sb = self.sb
        per_block = sb.block_size // sb.desc_size
        if sb.incompat & _INCOMPAT_META_BG and index >= sb.first_meta_bg:
            group = index * per_block
            first = sb.first_data_block + group * sb.blocks_per_group
            return first + (1 if _has_super(group) else 0)
        return sb.first_data_block + 1 + index

    def _inode_table(self, group: int) -> int:
        table = self._tables.get(group)
        if table is None:
            sb = self.sb
            per_block = sb.block_size // sb.desc_size
            block = self._descriptor_block(group // per_block)
            at = block * sb.block_size + (group % per_block) * sb.desc_size
            raw = read_exact(self._meta, at, sb.desc_size, "ext group descriptor", self.name)
            table = struct.unpack_from("<I", raw, 8)[0]
            if sb.desc_size >= 64:
                table |= struct.unpack_from("<I", raw, 0x28)[0] << 32
            check(0 < table < sb.blocks, self.name, f"corrupt ext: group {group} inode table")
            self._tables[group] = table
        return table

    def _raw_inode(self, ino: int) -> bytes:
        """The on-disk inode; the last one is kept (the walk asks ``blocks`` right after)."""
        last = self._last_inode
        if last[0] == ino:
            return last[1]
        sb = self.sb
        check(0 < ino <= sb.inodes, self.name, f"corrupt ext: inode number {ino} out of range")
        group, index = divmod(ino - 1, sb.inodes_per_group)
        at = self._inode_table(group) * sb.block_size + index * sb.inode_size
        raw = read_exact(self._meta, at, sb.inode_size, "ext inode", self.name)
        self._last_inode = (ino, raw)
        return raw

    def inode(self, ino: int) -> Inode:
        """Decode inode ``ino``."""
        raw = self._raw_inode(ino)
        mode, uid_lo, size_lo = struct.unpack_from("<HHI", raw, 0)
        gid_lo, links, _blocks, flags = struct.unpack_from("<HHII", raw, 0x18)
        size = size_lo | struct.unpack_from("<I", raw, 0x6C)[0] << 32
        uid_hi, gid_hi = struct.unpack_from("<HH", raw, 0x78)
        kind = kind_of(mode)
        if kind is None:
            raise SourceError(f"{self.name}: inode {ino} has unknown type {mode:o}")
        xattrs = self._xattrs(raw)
        rdev = self._rdev(raw) if kind in (Kind.CHAR, Kind.BLOCK) else None
        link = self._symlink(ino, raw, flags, size, xattrs) if kind is Kind.SYMLINK else None
        wanted = {k: v for k, v in xattrs.items() if k.startswith("security.")}
        return Inode(
            kind,
            mode & 0o7777,
            uid_lo | uid_hi << 16,
            gid_lo | gid_hi << 16,
            size,
            links,
            rdev,
            link,
            wanted,
        )

    @staticmethod
    def _rdev(raw: bytes) -> tuple[int, int]:
        old, new = struct.unpack_from("<II", raw, 0x28)
        if old:
            return (old >> 8) & 0xFF, old & 0xFF
        return (new & 0xFFF00) >> 8, (new & 0xFF) | ((new >> 12) & 0xFFF00)

    def _xattrs(self, raw: bytes) -> dict[str, bytes]:
        found: dict[str, bytes] = {}
        if len(raw) > 0x84:
            extra = struct.unpack_from("<H", raw, 0x80)[0]
            body = 0x80 + extra
            if body + 4 <= len(raw) and struct.unpack_from("<I", raw, body)[0] == _XATTR_MAGIC:
                found.update(parse_xattrs(raw[body + 4 :], 0, raw[body + 4 :]))
        acl = struct.unpack_from("<I", raw, 0x68)[0] | struct.unpack_from("<H", raw, 0x76)[0] << 32
        if acl:
            check(acl < self.sb.blocks, self.name, "corrupt ext: xattr block out of range")
            block = self._meta.read(acl * self.sb.block_size, self.sb.block_size)
            if len(block) >= 32 and struct.unpack_from("<I", block, 0)[0] == _XATTR_MAGIC:
                for key, value in parse_xattrs(block, 32, block).items():
                    found.setdefault(key, value)
        return found

    def _runs(self, raw: bytes, flags: int) -> list[Run]:
        limit = self.sb.blocks
        if flags & _FLAG_EXTENTS:
            return extent_runs(self._meta, raw[0x28:0x64], self.sb.block_size, limit, self.name)
        size = struct.unpack_from("<I", raw, 4)[0] | struct.unpack_from("<I", raw, 0x6C)[0] << 32
        return block_map_runs(
            self._meta, raw[0x28:0x64], self.sb.block_size, limit=limit, size=size, name=self.name
        )

    def _inline(self, raw: bytes, xattrs: dict[str, bytes]) -> bytes:
        return raw[0x28:0x64] + xattrs.get("system.data", b"")

    def _symlink(
        self, ino: int, raw: bytes, flags: int, size: int, xattrs: dict[str, bytes]
    ) -> str:
        if flags & _FLAG_INLINE:
            target = self._inline(raw, xattrs)[:size]
        elif size < 60 and not flags & _FLAG_EXTENTS and self._data_sectors(raw) == 0:
            target = raw[0x28 : 0x28 + size]
        else:
            check(size <= _MAX_SYMLINK, self.name, f"corrupt ext: symlink inode {ino} too long")
            target = self._read_all(raw, flags, size)
        return target.decode("utf-8", "surrogateescape")

    def _data_sectors(self, raw: bytes) -> int:
        """``i_blocks`` without the external xattr block: 0 for a fast symlink."""
        sectors: int = struct.unpack_from("<I", raw, 0x1C)[0]
        if struct.unpack_from("<I", raw, 0x68)[0]:
            sectors -= self.sb.block_size // 512
        return sectors

    def _read_all(self, raw: bytes, flags: int, size: int) -> bytes:
        return b"".join(RunData(self._data, self._runs(raw, flags), size)())

    def blocks(self, ino: int, inode: Inode) -> Blocks:
        """Return a reader of the file's bytes, read from its extents only when called."""
        raw = self._raw_inode(ino)
        flags = struct.unpack_from("<I", raw, 0x20)[0]
        if flags & _FLAG_INLINE:
            data = self._inline(raw, self._xattrs(raw))[: inode.size]
            return BytesData(data)
        return RunData(self._data, self._runs(raw, flags), inode.size)

    def listdir(self, ino: int) -> list[tuple[str, int]]:
        """Names and inode numbers of a directory, read linearly (htree blocks included)."""
        raw = self._raw_inode(ino)
        mode, _uid, size = struct.unpack_from("<HHI", raw, 0)
        check(kind_of(mode) is Kind.DIR, self.name, f"inode {ino} is not a directory")
        flags = struct.unpack_from("<I", raw, 0x20)[0]
        if flags & _FLAG_INLINE:
            data = self._inline(raw, self._xattrs(raw))
            check(len(data) <= _MAX_INLINE_DIR, self.name, "corrupt ext: inline dir too large")
            # the first four bytes hold the parent's inode number
            return dirents(data[4:60], 60 - 4) + dirents(data[60:], len(data) - 60)
        found: list[tuple[str, int]] = []
        block = self.sb.block_size
        check(size <= _MAX_DIR, self.name, f"corrupt ext: directory inode {ino} too large")
        for logical, physical, length in self._runs(raw, flags):
            if physical < 0:
                continue
            for start in range(physical, physical + min(length, size - logical), block):
                try:
                    found += dirents(self._meta.read(start, block), block)
                except SourceError as exc:
                    raise SourceError(f"{self.name}: directory inode {ino}: {exc}") from exc
        return found


def _has_super(group: int) -> bool:
    if group in (0, 1):
        return True
    for base in (3, 5, 7):
        power = base
        while power < group:
            power *= base
        if power == group:
            return True
    return False
