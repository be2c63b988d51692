"""XFS (v5, and v4 on a best-effort basis), read-only, walked from the root directory.

Inodes are located by number (no AG inode B+tree needed); data forks are extent lists or
B+trees (bmbt); directories are short-form, block, leaf or node (see :mod:`xfs_dir`);
symlinks are inline or remote; extended attributes come from short-form or leaf attribute
forks, with the SECURE namespace mapped to ``security.`` (so ``security.capability``).
"""

from __future__ import annotations

import struct
import uuid
from dataclasses import dataclass

from analyzer.errors import SourceError, UnsupportedFeature
from analyzer.model import Level
from analyzer.sources.disk.device import (
    CachedDevice,
    Device,
    FileMaps,
    check,
    read_exact,
    unpack,
)
from analyzer.sources.disk.ext4_super import unsupported
from analyzer.sources.disk.fsbase import READ_ERRORS, Inode, Notes
from analyzer.sources.disk.runs import RunCollector, Runs
from analyzer.sources.disk.xfs_dir import directory_entries, parse_attr_leaf, shortform_attrs
from analyzer.sources.disk.xfs_log import log_state
from analyzer.stream.entry import Blocks, BytesData, Kind, kind_of

MAGIC = b"XFSB"
_INODE_MAGIC = b"IN"
_FMT_DEV, _FMT_LOCAL, _FMT_EXTENTS, _FMT_BTREE = 0, 1, 2, 3
_NREXT64 = 1 << 4
_MAX_SYMLINK = 1024
_SYMLINK_MAGIC = b"XSLM"
_DIFLAG_REALTIME = 0x1
_VERSION_LOGV2 = 0x400
#: v5 incompatible features by bit: ``(name, read by this reader)``.
INCOMPAT: dict[int, tuple[str, bool]] = {
    0x1: ("ftype", True),
    0x2: ("sparse inodes", True),
    0x4: ("meta_uuid", True),
    0x8: ("bigtime", True),
    0x10: ("needsrepair", False),
    0x20: ("nrext64", True),
    0x40: ("exchange-range", True),
    0x80: ("parent pointers", True),
    0x100: ("metadir", False),
}
#: v5 read-only compatible features by bit.
RO_COMPAT: dict[int, tuple[str, bool]] = {
    0x1: ("finobt", True),
    0x2: ("rmapbt", True),
    0x4: ("reflink", True),
    0x8: ("inobtcount", True),
}


@dataclass(frozen=True, slots=True)
class XfsSuperblock:
    """The fields of an XFS superblock this reader uses."""

    block_size: int
    blocks: int
    root: int
    ag_blocks: int
    ag_count: int
    version: int
    sector_size: int
    inode_size: int
    inopblog: int
    agblklog: int
    dirblklog: int
    ftype: bool
    uuid: str
    label: str
    log_start: int
    log_blocks: int
    log_v2: bool


def parse_superblock(raw: bytes, device_size: int, name: str) -> XfsSuperblock:
    """Parse and validate an XFS superblock (sector 0)."""
    check(raw[:4] == MAGIC, name, "not an XFS file system")
    block, dblocks = unpack(">IQ", raw, 4, name)
    log_start, root = unpack(">QQ", raw, 48, name)
    agblocks, agcount = unpack(">II", raw, 84, name)
    log_blocks = unpack(">I", raw, 96, name)[0]
    versionnum, sectsize, inodesize = unpack(">HHH", raw, 100, name)
    label = raw[108:120].split(b"\0", 1)[0].decode("utf-8", "replace")
    _blocklog, _sectlog, _inodelog, inopblog, agblklog = raw[120:125]
    dirblklog = raw[192]
    features2 = unpack(">I", raw, 200, name)[0]
    incompat = unpack(">I", raw, 216, name)[0]
    version = versionnum & 0xF
    check(version in (4, 5), name, f"unsupported XFS version {version}")
    check(512 <= block <= 65536 and block & (block - 1) == 0, name, "corrupt XFS: block size")
    check(
        256 <= inodesize <= 2048 and block // inodesize == 1 << inopblog,
        name,
        "corrupt XFS: inode size",
    )
    check(
        0 < agblocks <= 1 << agblklog and 0 < agcount <= 1 << 20,
        name,
        "corrupt XFS: allocation group geometry",
    )
    check(
        dblocks * block <= device_size + block * agblocks,
        name,
        "corrupt XFS: file system larger than its device",
    )
    check(dirblklog <= 8, name, "corrupt XFS: directory block size")
    ftype = bool(incompat & 1) if version == 5 else bool(features2 & 0x200)
    if version == 5:
        ro_compat = unpack(">I", raw, 212, name)[0]
        refused = unsupported(incompat, INCOMPAT, "incompat")
        refused += unsupported(ro_compat, RO_COMPAT, "ro_compat")
        if refused:
            raise UnsupportedFeature(
                f"{name}: XFS feature {', '.join(refused)} is not supported; "
                "the file system is not read"
            )
    return XfsSuperblock(
        block,
        dblocks,
        root,
        agblocks,
        agcount,
        version,
        sectsize,
        inodesize,
        inopblog,
        agblklog,
        dirblklog,
        ftype,
        str(uuid.UUID(bytes=raw[32:48])),
        label,
        log_start,
        log_blocks,
        bool(versionnum & _VERSION_LOGV2),
    )


class XfsFileSystem:
    """An XFS file system on a device."""

    fstype = "xfs"

    def __init__(self, device: Device, name: str, notes: Notes | None = None) -> None:
        self.name = name
        self._notes = notes or Notes(name)
        self._meta = CachedDevice(device)
        self._data = device
        self._maps = FileMaps(device, self._file_runs)
        self.sb = parse_superblock(
            read_exact(device, 0, 512, "XFS superblock", name), device.size, name
        )
        self.root = self.sb.root
        self.uuid: str | None = self.sb.uuid
        self.label: str | None = self.sb.label or None
        self._core = 176 if self.sb.version == 5 else 100
        self._check_log(device, self._notes)

    def _check_log(self, device: Device, notes: Notes) -> None:
        """Say when the log is not clean (or is elsewhere): the metadata read may be stale."""
        sb = self.sb
        if sb.log_start == 0:
            notes.add(
                Level.WARNING,
                "disk.xfs.log",
                "xfs log is on an external device, which is not read: whether the file "
                "system was cleanly unmounted was not checked",
            )
            return
        try:
            offset = self.fsblock(sb.log_start, sb.log_blocks)
            size = sb.log_blocks * sb.block_size
            state = log_state(device, offset, size, sb.log_v2, self.name)
        except READ_ERRORS as exc:
            notes.add(
                Level.ERROR,
                "disk.xfs.log",
                f"xfs log cannot be read ({exc}): whether the file system was cleanly "
                "unmounted was not checked; files may be missing or stale",
            )
            return
        if not state.clean:
            notes.add(
                Level.ERROR,
                "disk.xfs.log",
                "xfs log is dirty (the file system was not unmounted: the image was taken "
                "from a running system or after a crash) and is not replayed: files written "
                "since the last checkpoint may be missing or stale",
            )

    def fsblock(self, fsb: int, count: int = 1) -> int:
        """Byte offset of file-system block ``fsb`` (AG number and block within the AG)."""
        sb = self.sb
        agno, agbno = fsb >> sb.agblklog, fsb & ((1 << sb.agblklog) - 1)
        check(
            agno < sb.ag_count and agbno + count <= sb.ag_blocks,
            self.name,
            f"corrupt XFS: block {fsb} beyond the file system",
        )
        return (agno * sb.ag_blocks + agbno) * sb.block_size

    def _raw(self, ino: int) -> bytes:
        sb = self.sb
        agno = ino >> (sb.agblklog + sb.inopblog)
        agino = ino & ((1 << (sb.agblklog + sb.inopblog)) - 1)
        agbno, index = agino >> sb.inopblog, agino & ((1 << sb.inopblog) - 1)
        check(
            agno < sb.ag_count and agbno < sb.ag_blocks,
            self.name,
            f"corrupt XFS: inode number {ino} out of range",
        )
        at = (agno * sb.ag_blocks + agbno) * sb.block_size + index * sb.inode_size
        raw = read_exact(self._meta, at, sb.inode_size, "XFS inode", self.name)
        check(raw[:2] == _INODE_MAGIC, self.name, f"corrupt XFS: inode {ino} has a bad magic")
        return raw

    def _forks(self, raw: bytes) -> tuple[bytes, bytes]:
        forkoff = raw[82]
        end = self._core + forkoff * 8 if forkoff else len(raw)
        check(end <= len(raw), self.name, "corrupt XFS: attribute fork offset")
        return raw[self._core : end], raw[end:] if forkoff else b""

    def _counts(self, raw: bytes) -> tuple[int, int]:
        flags2 = unpack(">Q", raw, 120, self.name)[0] if raw[4] >= 3 else 0
        if flags2 & _NREXT64:
            return unpack(">Q", raw, 24, self.name)[0], unpack(">I", raw, 76, self.name)[0]
        nextents, anextents = unpack(">IH", raw, 76, self.name)
        return nextents, anextents

    def inode(self, ino: int) -> Inode:
        """Decode inode ``ino``."""
        raw = self._raw(ino)
        mode, version, fmt, onlink, uid, gid, nlink = unpack(">HBBHIII", raw, 2, self.name)
        size = unpack(">Q", raw, 56, self.name)[0]
        kind = kind_of(mode)
        if kind is None:
            raise SourceError(f"{self.name}: inode {ino} has unknown type {mode:o}")
        data_fork, attr_fork = self._forks(raw)
        rdev = None
        if kind in (Kind.CHAR, Kind.BLOCK) and fmt == _FMT_DEV:
            dev = unpack(">I", data_fork, 0, self.name)[0]
            rdev = (dev >> 18) & 0x3FFF, dev & 0x3FFFF
        link = self._symlink(raw, fmt, size, data_fork) if kind is Kind.SYMLINK else None
        xattrs = self._xattrs(raw, attr_fork)
        return Inode(
            kind,
            mode & 0o7777,
            uid,
            gid,
            size,
            nlink if version > 1 else onlink,
            rdev,
            link,
            xattrs,
        )

    def _runs(self, fork: bytes, fmt: int, count: int, size: int) -> Runs:
        """The runs of a fork in extents or btree format, clipped at ``size`` bytes."""
        runs = RunCollector(self.name, "corrupt XFS", self.sb.block_size, size)
        if fmt == _FMT_EXTENTS:
            check(count * 16 <= len(fork), self.name, "corrupt XFS: extent count overflows fork")
            self._records(fork, 0, count, runs)
        elif fmt == _FMT_BTREE:
            self._bmbt(fork, runs)
        else:
            raise SourceError(f"{self.name}: unexpected XFS fork format {fmt}")
        return runs.runs()

    def _records(self, data: bytes, at: int, count: int, runs: RunCollector) -> None:
        """Add ``count`` packed extent records at ``data[at:]`` to ``runs``."""
        for l0, l1 in struct.iter_unpack(">QQ", data[at : at + count * 16]):
            startoff = (l0 & ((1 << 63) - 1)) >> 9
            startblock = ((l0 & 0x1FF) << 43) | (l1 >> 21)
            length = l1 & ((1 << 21) - 1)
            runs.add(startoff, -1 if l0 >> 63 else self.fsblock(startblock, length), length)

    def _bmbt(self, root: bytes, runs: RunCollector) -> None:
        """Walk a bmbt from its root in the fork, leaves in key order."""
        level, numrecs = unpack(">HH", root, 0, self.name)
        maxrecs = (len(root) - 4) // 16
        check(numrecs <= maxrecs and level > 0, self.name, "corrupt XFS: bmbt root")
        ptrs = unpack(f">{numrecs}Q", root, 4 + maxrecs * 8, self.name)
        header = 72 if self.sb.version == 5 else 24
        block = self.sb.block_size
        node_max = (block - header) // 16
        pending = [(p, level - 1) for p in reversed(ptrs)]
        while pending:
            ptr, expected = pending.pop()
            runs.visit(ptr)
            data = self._meta.read(self.fsblock(ptr), block)
            lvl, count = unpack(">HH", data, 4, self.name)
            check(lvl == expected and count <= node_max, self.name, "corrupt XFS: bmbt block")
            if lvl == 0:
                self._records(data, header, count, runs)
            else:
                children = unpack(f">{count}Q", data, header + node_max * 8, self.name)
                pending += [(c, lvl - 1) for c in reversed(children)]

    def _fork_runs(self, raw: bytes, attr: bool = False) -> Runs:
        """The data fork's runs within the file size, or the attribute fork's."""
        data_fork, attr_fork = self._forks(raw)
        nextents, anextents = self._counts(raw)
        if attr:
            volume = self.sb.blocks * self.sb.block_size
            return self._runs(attr_fork, raw[83], anextents, volume)
        size = unpack(">Q", raw, 56, self.name)[0]
        return self._runs(data_fork, raw[5], nextents, size)

    def _file_runs(self, ino: int) -> Runs:
        return self._fork_runs(self._raw(ino))

    def _symlink(self, raw: bytes, fmt: int, size: int, fork: bytes) -> str:
        check(size <= _MAX_SYMLINK, self.name, "corrupt XFS: symlink too long")
        if fmt == _FMT_LOCAL:
            return fork[:size].decode("utf-8", "surrogateescape")
        out = bytearray()
        block = self.sb.block_size
        for _logical, physical, length in self._fork_runs(raw):
            for at in range(physical, physical + length, block):
                data = self._meta.read(at, block)
                if data[:4] == _SYMLINK_MAGIC:
                    count = unpack(">I", data, 8, self.name)[0]
                    out += data[56 : 56 + count]
                else:
                    out += data
        return bytes(out[:size]).decode("utf-8", "surrogateescape")

    def _xattrs(self, raw: bytes, fork: bytes) -> dict[str, bytes]:
        if not fork:
            return {}
        aformat = raw[83]
        if aformat == _FMT_LOCAL:
            found = shortform_attrs(fork)
        else:
            found = {}
            block = self.sb.block_size
            for _logical, physical, length in self._fork_runs(raw, attr=True):
                for at in range(physical, physical + length, block):
                    found.update(parse_attr_leaf(self._meta.read(at, block)))
        return {k: v for k, v in found.items() if k.startswith("security.")}

    def blocks(self, ino: int, inode: Inode) -> Blocks:
        """Return a reader of the file's bytes (inline or from its extents)."""
        raw = self._raw(ino)
        if unpack(">H", raw, 90, self.name)[0] & _DIFLAG_REALTIME:
            raise UnsupportedFeature(
                f"{self.name}: inode {ino} keeps its data on the XFS realtime device, "
                "which is not read"
            )
        if raw[5] == _FMT_LOCAL:
            data = self._forks(raw)[0][: inode.size]
            return BytesData(data)
        return self._maps.reader(ino, inode.size)

    def listdir(self, ino: int) -> list[tuple[str, int]]:
        """Names and inode numbers of a directory in any of the four formats."""
        raw = self._raw(ino)
        check(
            kind_of(unpack(">H", raw, 2, self.name)[0]) is Kind.DIR,
            self.name,
            f"inode {ino} is not a directory",
        )
        fork = self._forks(raw)[0]
        if raw[5] == _FMT_LOCAL:
            return directory_entries(fork, None, self)
        return directory_entries(b"", self._fork_runs(raw), self)

    def read_runs(self, runs: Runs, offset: int, size: int) -> bytes:
        """Read ``size`` bytes at logical ``offset`` of a mapped file (metadata cache)."""
        out = bytearray()
        for logical, physical, length in runs:
            lo, hi = max(offset, logical), min(offset + size, logical + length)
            if lo >= hi:
                continue
            out += (
                bytes(hi - lo)
                if physical < 0
                else self._meta.read(physical + lo - logical, hi - lo)
            )
        return bytes(out)
