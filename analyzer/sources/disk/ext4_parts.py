"""Pieces of the ext reader: extent trees, indirect block maps, dirents and xattr entries.

Mappings are returned as :class:`~analyzer.sources.disk.runs.Runs` of byte offsets
``(logical, physical, length)``, ``physical == -1`` for unwritten extents. Every block number
is checked against the file system's block count, and tree walks are bounded in depth and by
the file (:mod:`analyzer.sources.disk.runs`).
"""

from __future__ import annotations

import struct

from analyzer.errors import SourceError
from analyzer.sources.disk.device import Device, check
from analyzer.sources.disk.runs import RunCollector, Runs

_EXTENT_MAGIC = 0xF30A
_MAX_DEPTH = 5
_UNINIT = 32768
_PREFIXES = {
    1: "user.",
    2: "system.posix_acl_access",
    3: "system.posix_acl_default",
    4: "trusted.",
    6: "security.",
    7: "system.",
    8: "system.richacl",
}


def extent_runs(meta: Device, root: bytes, block: int, *, limit: int, size: int, name: str) -> Runs:
    """Return the runs of an extent tree whose root is the inode's 60-byte ``i_block``."""
    runs = RunCollector(name, "corrupt ext", block, size)

    def node(data: bytes, depth_left: int) -> None:
        magic, count, maximum, depth = struct.unpack_from("<HHHH", data, 0)
        check(magic == _EXTENT_MAGIC, name, "corrupt ext: bad extent header")
        check(
            count <= maximum and 12 + count * 12 <= len(data),
            name,
            "corrupt ext: extent node overflows",
        )
        check(depth <= depth_left, name, "corrupt ext: extent tree too deep")
        for index in range(count):
            at = 12 + index * 12
            if depth == 0:
                first, length, hi, lo = struct.unpack_from("<IHHI", data, at)
                unwritten = length > _UNINIT
                length -= _UNINIT if unwritten else 0
                start = lo | hi << 32
                check(
                    start + length <= limit,
                    name,
                    f"corrupt ext: extent points to block {start} beyond the file system",
                )
                runs.add(first, -1 if unwritten else start * block, length)
            else:
                _first, leaf_lo, leaf_hi = struct.unpack_from("<IIH", data, at)
                leaf = leaf_lo | leaf_hi << 32
                check(
                    0 < leaf < limit,
                    name,
                    f"corrupt ext: extent index points to block {leaf} beyond the file system",
                )
                runs.visit(leaf)
                node(meta.read(leaf * block, block), depth - 1)

    node(root, _MAX_DEPTH)
    return runs.runs()


def block_map_runs(
    meta: Device, root: bytes, block: int, *, limit: int, size: int, name: str
) -> Runs:
    """Return the runs of an ext2/3 direct + single/double/triple indirect block map."""
    pointers = struct.unpack_from("<15I", root)
    per = block // 4
    wanted = -(-size // block)
    runs = RunCollector(name, "corrupt ext", block, size)
    logical = 0

    def add(number: int) -> None:
        nonlocal logical
        if number:
            check(
                number < limit,
                name,
                f"corrupt ext: block map points to block {number} beyond the file system",
            )
            runs.add(logical, number * block, 1)
        logical += 1

    def indirect(number: int, level: int) -> None:
        nonlocal logical
        span = per**level
        if number == 0:
            logical += span
            return
        check(number < limit, name, f"corrupt ext: indirect block {number} beyond the file system")
        runs.visit(number)
        table = struct.unpack(f"<{per}I", meta.read(number * block, block).ljust(block, b"\0"))
        for entry in table:
            if logical >= wanted:
                return
            if level == 1:
                add(entry)
            else:
                indirect(entry, level - 1)

    for number in pointers[:12]:
        if logical >= wanted:
            break
        add(number)
    for level, number in enumerate(pointers[12:], start=1):
        if logical >= wanted:
            break
        indirect(number, level)
    return runs.runs()


def dirents(data: bytes, length: int) -> list[tuple[str, int]]:
    """``(name, inode)`` of the linear dirents in one block; ``.``/``..`` and holes skipped."""
    found: list[tuple[str, int]] = []
    pos = 0
    end = min(length, len(data))
    while pos + 8 <= end:
        inode, rec_len, name_len = struct.unpack_from("<IHB", data, pos)
        if rec_len in (0, 65535) and end == 65536:
            rec_len = 65536
        if rec_len < 8 or rec_len % 4 or pos + rec_len > end or name_len > rec_len - 8:
            raise SourceError(f"corrupt directory entry at byte {pos}")
        if inode:
            name = data[pos + 8 : pos + 8 + name_len].decode("utf-8", "surrogateescape")
            if name not in (".", ".."):
                found.append((name, inode))
        pos += rec_len
    return found


def parse_xattrs(buf: bytes, start: int, values: bytes) -> dict[str, bytes]:
    """Parse extended attributes in ext's entry format; values are offsets into ``values``."""
    found: dict[str, bytes] = {}
    pos = start
    while pos + 16 <= len(buf) and buf[pos : pos + 4] != b"\0\0\0\0":
        name_len, index, value_offs, value_inum, value_size = struct.unpack_from("<BBHII", buf, pos)
        key = buf[pos + 16 : pos + 16 + name_len].decode("utf-8", "replace")
        prefix = _PREFIXES.get(index)
        if prefix is not None and not value_inum and value_offs + value_size <= len(values):
            found[prefix + key] = values[value_offs : value_offs + value_size]
        pos += (16 + name_len + 3) & ~3
    return found
