"""XFS directory and attribute structures: short-form, data blocks, attribute leaves.

Block, leaf and node directories all keep their entries in data blocks below the 32 GiB
"leaf offset" of the data fork, so reading those blocks linearly lists every entry without
walking the hash B+tree. Attribute leaves are found the same way, by scanning the blocks of
the attribute fork for the leaf magic.
"""

from __future__ import annotations

import struct
from typing import Protocol

from analyzer.errors import SourceError
from analyzer.sources.disk.runs import Runs


class XfsGeometry(Protocol):
    """The superblock fields directory blocks are laid out by."""

    @property
    def ftype(self) -> bool:
        """Whether entries carry a file type byte."""

    @property
    def block_size(self) -> int:
        """File system block size in bytes."""

    @property
    def dirblklog(self) -> int:
        """log2 of file system blocks per directory block."""

    @property
    def version(self) -> int:
        """Superblock version (5: CRC-enabled v5 headers)."""


class XfsFiles(Protocol):
    """What reading a directory needs of the file system: its geometry and mapped reads."""

    @property
    def name(self) -> str:
        """The name errors are reported under."""

    @property
    def sb(self) -> XfsGeometry:
        """The superblock."""

    def read_runs(self, runs: Runs, offset: int, size: int) -> bytes:
        """Read ``size`` bytes at logical ``offset`` of a mapped file."""


_LEAF_OFFSET = 1 << 35
_MAX_DIR_BYTES = 1 << 30
_BLOCK_MAGICS = (b"XD2B", b"XDB3")
_DATA_MAGICS = (b"XD2D", b"XDD3")
_FREE_TAG = 0xFFFF
#: attribute leaf magic -> (offset of the entry count, size of the header)
_ATTR_LEAF = {0xFBEE: (12, 32), 0x3BEE: (56, 80)}
_ATTR_LOCAL, _ATTR_ROOT, _ATTR_SECURE, _ATTR_INCOMPLETE = 0x01, 0x02, 0x04, 0x80


def _namespace(flags: int) -> str:
    if flags & _ATTR_SECURE:
        return "security."
    if flags & _ATTR_ROOT:
        return "trusted."
    return "user."


def _shortform(fork: bytes, ftype: bool) -> list[tuple[str, int]]:
    count, i8count = fork[0], fork[1]
    width = 8 if i8count else 4
    pos = 2 + width
    found: list[tuple[str, int]] = []
    for _ in range(count):
        if pos + 3 > len(fork):
            raise SourceError("corrupt XFS short-form directory")
        namelen = fork[pos]
        name = fork[pos + 3 : pos + 3 + namelen]
        pos += 3 + namelen + (1 if ftype else 0)
        raw = fork[pos : pos + width]
        if len(raw) != width or not namelen:
            raise SourceError("corrupt XFS short-form directory entry")
        found.append((name.decode("utf-8", "surrogateescape"), int.from_bytes(raw, "big")))
        pos += width
    return found


def _data_block(data: bytes, header: int, end: int, ftype: bool) -> list[tuple[str, int]]:
    found: list[tuple[str, int]] = []
    pos = header
    while pos + 8 <= end:
        if struct.unpack_from(">H", data, pos)[0] == _FREE_TAG:
            length = struct.unpack_from(">H", data, pos + 2)[0]
            if length < 8 or length % 8:
                raise SourceError(f"corrupt XFS directory block: free entry at {pos}")
            pos += length
            continue
        inumber = struct.unpack_from(">Q", data, pos)[0]
        namelen = data[pos + 8]
        if namelen == 0:
            raise SourceError(f"corrupt XFS directory block: empty name at {pos}")
        name = data[pos + 9 : pos + 9 + namelen].decode("utf-8", "surrogateescape")
        if name not in (".", ".."):
            found.append((name, inumber))
        pos += (9 + namelen + (1 if ftype else 0) + 2 + 7) & ~7
    return found


def directory_entries(fork: bytes, runs: Runs | None, fs: XfsFiles) -> list[tuple[str, int]]:
    """Entries of a short-form directory (``runs is None``) or of its data blocks."""
    ftype = fs.sb.ftype
    if runs is None:
        return _shortform(fork, ftype)
    dirblk = fs.sb.block_size << fs.sb.dirblklog
    header = 64 if fs.sb.version == 5 else 16
    found: list[tuple[str, int]] = []
    total = 0
    for logical, physical, length in runs:
        if physical < 0 or logical >= _LEAF_OFFSET:
            continue
        start = -(-logical // dirblk) * dirblk
        for offset in range(start, min(logical + length, _LEAF_OFFSET), dirblk):
            total += dirblk
            if total > _MAX_DIR_BYTES:
                raise SourceError(f"{fs.name}: XFS directory too large")
            data = fs.read_runs(runs, offset, dirblk)
            if len(data) != dirblk:
                continue
            magic = data[:4]
            if magic in _BLOCK_MAGICS:
                count = struct.unpack_from(">I", data, dirblk - 8)[0]
                end = dirblk - 8 - count * 8
                if end < header:
                    raise SourceError(f"{fs.name}: corrupt XFS directory block tail")
                found += _data_block(data, header, end, ftype)
            elif magic in _DATA_MAGICS:
                found += _data_block(data, header, dirblk, ftype)
    return found


def shortform_attrs(fork: bytes) -> dict[str, bytes]:
    """Attributes of a short-form attribute fork."""
    found: dict[str, bytes] = {}
    if len(fork) < 4:
        return found
    total, count = struct.unpack_from(">HB", fork, 0)
    pos, end = 4, min(total, len(fork))
    for _ in range(count):
        if pos + 3 > end:
            break
        namelen, valuelen, flags = fork[pos], fork[pos + 1], fork[pos + 2]
        name = fork[pos + 3 : pos + 3 + namelen].decode("utf-8", "replace")
        value = fork[pos + 3 + namelen : pos + 3 + namelen + valuelen]
        found[_namespace(flags) + name] = value
        pos += 3 + namelen + valuelen
    return found


def parse_attr_leaf(block: bytes) -> dict[str, bytes]:
    """Local attributes of one attribute leaf block (other blocks give nothing)."""
    found: dict[str, bytes] = {}
    if len(block) < 80:
        return found
    layout = _ATTR_LEAF.get(struct.unpack_from(">H", block, 8)[0])
    if layout is None:
        return found
    count_at, header = layout
    count = struct.unpack_from(">H", block, count_at)[0]
    for index in range(count):
        at = header + index * 8
        if at + 8 > len(block):
            break
        _hash, nameidx, flags = struct.unpack_from(">IHB", block, at)
        if not flags & _ATTR_LOCAL or flags & _ATTR_INCOMPLETE or nameidx + 3 > len(block):
            continue
        valuelen, namelen = struct.unpack_from(">HB", block, nameidx)
        name = block[nameidx + 3 : nameidx + 3 + namelen].decode("utf-8", "replace")
        start = nameidx + 3 + namelen
        found[_namespace(flags) + name] = block[start : start + valuelen]
    return found
