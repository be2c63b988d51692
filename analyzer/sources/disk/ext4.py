"""ext2, ext3 and ext4, read-only: superblock, group descriptors, inodes and their data.

File data is mapped through extent trees or the old direct/indirect block maps; inline data
lives in the inode and its ``system.data`` attribute. Directories (htree ones included) are
read linearly as plain dirents. Extended attributes come from the inode body and from an
external block. Every block number is checked against the file-system size and every tree
walk is bounded, so a corrupt inode is an error for that inode, not a hang.
"""

from __future__ import annotations

import struct

from analyzer.errors import SourceError, UnsupportedFeature
from analyzer.model import Level
from analyzer.sources.disk import jbd2
from analyzer.sources.disk.device import (
    CachedDevice,
    Device,
    FileMaps,
    RunData,
    check,
    read_exact,
    unpack,
)
from analyzer.sources.disk.ext4_parts import (
    block_map_runs,
    dirents,
    extent_runs,
    parse_xattrs,
)
from analyzer.sources.disk.ext4_super import (
    COMPAT_HAS_JOURNAL,
    INCOMPAT_META_BG,
    INCOMPAT_RECOVER,
    MAGIC,
    parse_superblock,
)
from analyzer.sources.disk.fsbase import Inode, Notes
from analyzer.sources.disk.runs import Runs
from analyzer.stream.entry import Blocks, BytesData, Kind, kind_of

SUPERBLOCK = 1024
#: Where the magic sits on the volume, and its bytes there (to recognise an ext volume).
MAGIC_AT, MAGIC_BYTES = SUPERBLOCK + 0x38, MAGIC.to_bytes(2, "little")
_FLAG_ENCRYPT = 0x800
_FLAG_EXTENTS = 0x80000
_FLAG_INLINE = 0x10000000
_XATTR_MAGIC = 0xEA020000
_MAX_INLINE_DIR = 1 << 16
_MAX_SYMLINK = 1 << 16
_MAX_DIR = 1 << 30


class ExtFileSystem:
    """An ext2/3/4 file system on a device."""

    root = 2

    def __init__(self, device: Device, name: str, notes: Notes | None = None) -> None:
        self.name = name
        self._meta = CachedDevice(device)
        self._data = device
        notes = notes or Notes(name)
        raw = read_exact(device, SUPERBLOCK, 1024, "ext superblock", name)
        self.sb = sb = parse_superblock(raw, device.size, name)
        journal = sb.compat & COMPAT_HAS_JOURNAL
        self.fstype = "ext4" if sb.incompat & 0x2C0 else ("ext3" if journal else "ext2")
        self.uuid: str | None = sb.uuid
        self.label: str | None = sb.label or None
        if not sb.checksum_ok:
            notes.add(
                Level.WARNING,
                "disk.ext.checksum",
                f"{self.fstype} superblock checksum does not match; its fields may be wrong",
            )
        self.needs_recovery = bool(sb.incompat & INCOMPAT_RECOVER)
        self._groups = -(-sb.blocks // sb.blocks_per_group) if sb.blocks else 0
        check(
            self._groups * sb.inodes_per_group >= sb.inodes,
            name,
            "corrupt ext: inode count exceeds the groups",
        )
        self._tables: dict[int, int] = {}
        self._last_inode: tuple[int, bytes] = (0, b"")
        self._maps = FileMaps(device, self._file_runs)
        if self.needs_recovery:
            self._recover(device, notes)

    def _recover(self, device: Device, notes: Notes) -> None:
        """Replay the journal in memory, or say that what the volume shows may be stale."""
        sb = self.sb
        try:
            check(bool(sb.journal_inode), self.name, "the journal is on another device")
            raw = self._raw_inode(sb.journal_inode)
            flags = unpack("<I", raw, 0x20, self.name)[0]
            size = unpack("<I", raw, 4, self.name)[0] | unpack("<I", raw, 0x6C, self.name)[0] << 32
            journal = RunData(self._data, self._runs(raw, flags), size)
            found = jbd2.replay(journal, sb.blocks, self.name)
        except SourceError as exc:
            notes.add(
                Level.ERROR,
                "disk.ext.journal",
                f"{self.fstype} journal needs recovery (the image was taken from a running "
                f"system) and cannot be replayed ({exc}): files written since the last "
                "checkpoint may be missing or stale",
            )
            return
        if found.stopped is not None:
            notes.add(
                Level.ERROR,
                "disk.ext.journal",
                f"{self.fstype} journal replay stopped at {found.stopped}; the "
                f"{found.transactions} transactions before it are applied, that one and any "
                "later are not: files written since may be missing or stale",
            )
        if not found.blocks:
            return
        overlay = jbd2.JournalOverlay(device, journal, sb.block_size, found)
        self._meta, self._data = CachedDevice(overlay), overlay
        raw_sb = read_exact(overlay, SUPERBLOCK, 1024, "ext superblock", self.name)
        self.sb = parse_superblock(raw_sb, device.size, self.name)
        self._tables, self._last_inode = {}, (0, b"")
        self._maps = FileMaps(overlay, self._file_runs)
        notes.add(
            Level.NOTE,
            "disk.ext.journal",
            f"{self.fstype} journal replayed in memory (the image was taken from a running "
            f"system): {found.transactions} transactions, {len(found.blocks)} blocks",
        )

    def _descriptor_block(self, index: int) -> int:
        """Block of the ``index``-th descriptor block (the kernel's ``descriptor_loc``)."""
        sb = self.sb
        per_block = sb.block_size // sb.desc_size
        super_block = SUPERBLOCK // sb.block_size
        if sb.incompat & INCOMPAT_META_BG and index >= sb.first_meta_bg:
            group = index * per_block
            first = sb.first_data_block + group * sb.blocks_per_group
            # with 1 KiB blocks and no first data block (bigalloc), group 0 starts at block 0
            extra = 1 if super_block and index == 0 and sb.first_data_block == 0 else 0
            return first + (1 if _has_super(group) else 0) + extra
        return super_block + 1 + index

    def _inode_table(self, group: int) -> int:
        table = self._tables.get(group)
        if table is None:
            sb = self.sb
            per_block = sb.block_size // sb.desc_size
            block = self._descriptor_block(group // per_block)
            at = block * sb.block_size + (group % per_block) * sb.desc_size
            raw = read_exact(self._meta, at, sb.desc_size, "ext group descriptor", self.name)
            table = unpack("<I", raw, 8, self.name)[0]
            if sb.desc_size >= 64:
                table |= unpack("<I", raw, 0x28, self.name)[0] << 32
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
        mode, uid_lo, size_lo = unpack("<HHI", raw, 0, self.name)
        gid_lo, links, _blocks, flags = unpack("<HHII", raw, 0x18, self.name)
        size = size_lo | unpack("<I", raw, 0x6C, self.name)[0] << 32
        uid_hi, gid_hi = unpack("<HH", raw, 0x78, self.name)
        kind = kind_of(mode)
        if kind is None:
            raise SourceError(f"{self.name}: inode {ino} has unknown type {mode:o}")
        xattrs = self._xattrs(raw)
        rdev = self._rdev(raw) if kind in (Kind.CHAR, Kind.BLOCK) else None
        if kind is Kind.SYMLINK:
            self._refuse_encrypted(ino, flags, "link target")
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

    def _refuse_encrypted(self, ino: int, flags: int, what: str) -> None:
        if flags & _FLAG_ENCRYPT:
            raise UnsupportedFeature(
                f"{self.name}: inode {ino} is encrypted (ext4 encrypt, fscrypt): its {what} "
                "cannot be read without its key"
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
            extra = unpack("<H", raw, 0x80, self.name)[0]
            body = 0x80 + extra
            if body + 4 <= len(raw) and unpack("<I", raw, body, self.name)[0] == _XATTR_MAGIC:
                found.update(parse_xattrs(raw[body + 4 :], 0, raw[body + 4 :]))
        acl = unpack("<I", raw, 0x68, self.name)[0] | unpack("<H", raw, 0x76, self.name)[0] << 32
        if acl:
            check(acl < self.sb.blocks, self.name, "corrupt ext: xattr block out of range")
            block = self._meta.read(acl * self.sb.block_size, self.sb.block_size)
            if len(block) >= 32 and unpack("<I", block, 0, self.name)[0] == _XATTR_MAGIC:
                for key, value in parse_xattrs(block, 32, block).items():
                    found.setdefault(key, value)
        return found

    def _runs(self, raw: bytes, flags: int) -> Runs:
        limit, block = self.sb.blocks, self.sb.block_size
        size = unpack("<I", raw, 4, self.name)[0] | unpack("<I", raw, 0x6C, self.name)[0] << 32
        walk = extent_runs if flags & _FLAG_EXTENTS else block_map_runs
        return walk(self._meta, raw[0x28:0x64], block, limit=limit, size=size, name=self.name)

    def _file_runs(self, ino: int) -> Runs:
        raw = self._raw_inode(ino)
        return self._runs(raw, unpack("<I", raw, 0x20, self.name)[0])

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
        sectors: int = unpack("<I", raw, 0x1C, self.name)[0]
        if unpack("<I", raw, 0x68, self.name)[0]:
            sectors -= self.sb.block_size // 512
        return sectors

    def _read_all(self, raw: bytes, flags: int, size: int) -> bytes:
        return b"".join(RunData(self._data, self._runs(raw, flags), size)())

    def blocks(self, ino: int, inode: Inode) -> Blocks:
        """Return a reader of the file's bytes, read from its extents only when called."""
        raw = self._raw_inode(ino)
        flags = unpack("<I", raw, 0x20, self.name)[0]
        self._refuse_encrypted(ino, flags, "content")
        if flags & _FLAG_INLINE:
            data = self._inline(raw, self._xattrs(raw))[: inode.size]
            return BytesData(data)
        return self._maps.reader(ino, inode.size)

    def listdir(self, ino: int) -> list[tuple[str, int]]:
        """Names and inode numbers of a directory, read linearly (htree blocks included)."""
        raw = self._raw_inode(ino)
        mode, _uid, size = unpack("<HHI", raw, 0, self.name)
        check(kind_of(mode) is Kind.DIR, self.name, f"inode {ino} is not a directory")
        flags = unpack("<I", raw, 0x20, self.name)[0]
        self._refuse_encrypted(ino, flags, "names")
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
