"""btrfs on-disk structures: superblock (and mirrors), chunk map, bounded B-tree searches.

The primary superblock at 64 KiB is used when its checksum (crc32c, xxhash64, sha256 or
blake2b) is valid; otherwise the newest valid mirror (64 MiB, 256 GiB) is used and the
fall-back is recorded in :attr:`Superblock.note`. Logical addresses are mapped to the device
through the chunks of the ``sys_chunk_array`` and then the chunk tree. Only single-device
``single`` and ``DUP`` profiles are read: any striped or mirrored profile, more than one
device, and incompatible features this reader does not know raise :class:`SourceError` naming
them. Every tree search refuses a block visited twice, a block whose header does not match
the address, file system or level it was reached by, and more than :data:`MAX_NODES` blocks.
Tree blocks are found through the chunk map and kept decoded in a bounded cache; their
checksums are not verified (the header checks catch misplaced blocks, item bounds and key
order catch torn ones).
"""

from __future__ import annotations

import struct
import uuid
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, replace

from analyzer.errors import CorruptImage, UnsupportedFeature
from analyzer.sources.disk.btrfs_csum import CSUM_NAMES, checksum
from analyzer.sources.disk.device import LRU, CachedDevice, Device, check

MAGIC = b"_BHRfS_M"
MAGIC_AT = 0x10040
SUPER_OFFSETS = (0x10000, 0x4000000, 0x4000000000)
SUPER_SIZE = 4096
HEADER = 101
_ITEM = struct.Struct("<QBQII")
_KEY_PTR = struct.Struct("<QBQQQ")
_CHUNK = struct.Struct("<QQQQIIIHH")
_STRIPE = struct.Struct("<QQ16s")
#: Most tree blocks one search visits; more means a corrupt (or looping) tree.
MAX_NODES = 1 << 20
#: Decoded tree blocks kept (each at most one node, 64 KiB, plus its keys).
_BLOCK_CACHE = 256
#: Object ids and key types used by the reader (uapi ``btrfs_tree.h``).
ROOT_TREE, CHUNK_TREE, FS_TREE, ROOT_TREE_DIR = 1, 3, 5, 6
FIRST_FREE = 256
INODE_ITEM, INODE_REF, XATTR_ITEM, DIR_ITEM, DIR_INDEX = 1, 12, 24, 84, 96
EXTENT_DATA, ROOT_ITEM, ROOT_BACKREF, CHUNK_ITEM = 108, 132, 144, 228
_PROFILES = {
    1 << 3: "RAID0",
    1 << 4: "RAID1",
    1 << 6: "RAID10",
    1 << 7: "RAID5",
    1 << 8: "RAID6",
    1 << 9: "RAID1C3",
    1 << 10: "RAID1C4",
    1 << 11: "remapped",
}
_DUP = 1 << 5
_KINDS = {1: "data", 2: "system", 4: "metadata"}
#: Incompatible features this reader handles; any other set bit is refused by name.
_INCOMPAT_KNOWN = 0x3FF | (1 << 10) | (1 << 11) | (1 << 16)
_INCOMPAT_NAMES = {
    12: "zoned",
    13: "extent-tree-v2",
    14: "raid-stripe-tree",
    17: "remap-tree",
}
_METADATA_UUID = 1 << 10

Key = tuple[int, int, int]
Item = tuple[Key, bytes]


@dataclass(frozen=True, slots=True)
class Superblock:
    """The superblock fields the reader uses."""

    fsid: bytes
    uuid: bytes
    root: int
    chunk_root: int
    root_level: int
    chunk_root_level: int
    sector_size: int
    node_size: int
    num_devices: int
    devid: int
    incompat: int
    label: str
    sys_chunks: bytes
    note: str | None


def _parse_super(raw: bytes, at: int, name: str) -> Superblock | str:
    """A superblock, or the reason this copy is not valid."""
    if raw[0x40:0x48] != MAGIC:
        return "no magic"
    csum_type = struct.unpack_from("<H", raw, 0xC4)[0]
    if csum_type not in CSUM_NAMES:
        return f"unknown checksum type {csum_type}"
    if checksum(csum_type, raw[0x20:SUPER_SIZE]) != raw[:32]:
        return f"bad {CSUM_NAMES[csum_type]} checksum"
    if struct.unpack_from("<Q", raw, 0x30)[0] != at:
        return "wrong bytenr"
    root, chunk_root = struct.unpack_from("<QQ", raw, 0x50)
    num_devices = struct.unpack_from("<Q", raw, 0x88)[0]
    sector, node = struct.unpack_from("<II", raw, 0x90)
    sys_size = struct.unpack_from("<I", raw, 0xA0)[0]
    incompat = struct.unpack_from("<Q", raw, 0xBC)[0]
    root_level, chunk_level = raw[0xC6], raw[0xC7]
    devid = struct.unpack_from("<Q", raw, 0xC9)[0]
    check(
        4096 <= sector <= 65536 and sector & (sector - 1) == 0,
        name,
        "corrupt btrfs: sector size",
    )
    check(
        sector <= node <= 65536 and node & (node - 1) == 0,
        name,
        "corrupt btrfs: node size",
    )
    check(sys_size <= 2048, name, "corrupt btrfs: system chunk array size")
    fsid = raw[0x23B:0x24B] if incompat & _METADATA_UUID else raw[0x20:0x30]
    label = raw[0x12B:0x22B].split(b"\0", 1)[0].decode("utf-8", "replace")
    return Superblock(
        fsid,
        raw[0x20:0x30],
        root,
        chunk_root,
        root_level,
        chunk_level,
        sector,
        node,
        num_devices,
        devid,
        incompat,
        label,
        raw[0x32B : 0x32B + sys_size],
        None,
    )


def read_superblock(device: Device, name: str) -> Superblock:
    """The superblock in use: the primary if valid, else the newest valid mirror."""
    copies: list[tuple[int, Superblock]] = []
    problems: list[str] = []
    for at in SUPER_OFFSETS:
        raw = device.read(at, SUPER_SIZE)
        if len(raw) < SUPER_SIZE:
            break
        parsed = _parse_super(raw, at, name)
        if isinstance(parsed, str):
            problems.append(f"superblock at {at}: {parsed}")
            continue
        if at == SUPER_OFFSETS[0]:
            return _supported(parsed, name)
        copies.append((struct.unpack_from("<Q", raw, 0x48)[0], parsed))
    check(bool(copies), name, f"corrupt btrfs: no valid superblock ({'; '.join(problems)})")
    _gen, best = max(copies, key=lambda c: c[0])
    note = f"{'; '.join(problems)}; using the newest valid mirror"
    return _supported(replace(best, note=note), name)


def _supported(sb: Superblock, name: str) -> Superblock:
    unknown = sb.incompat & ~_INCOMPAT_KNOWN
    if unknown:
        names = [_INCOMPAT_NAMES.get(bit, f"bit {bit}") for bit in range(64) if unknown >> bit & 1]
        raise unsupported(name, f"incompatible feature {', '.join(names)}")
    return sb


def unsupported(name: str, what: str) -> UnsupportedFeature:
    """The refusal of a file system this reader cannot read correctly, naming what it has."""
    return UnsupportedFeature(f"{name}: btrfs {what} is not supported")


@dataclass(frozen=True, slots=True)
class Chunk:
    """One logical range and where its first copy lives on this device."""

    logical: int
    length: int
    physical: int


def parse_chunk(key: Key, data: bytes, sb: Superblock, name: str) -> Chunk:
    """Decode a chunk item; striped, mirrored or other-device chunks are refused."""
    length, _owner, _stripe_len, ctype, *_rest, num_stripes, _sub = _CHUNK.unpack_from(data, 0)
    check(num_stripes > 0, name, "corrupt btrfs: chunk without stripes")
    kind = "+".join(v for k, v in _KINDS.items() if ctype & k) or "unknown"
    for bit, profile in _PROFILES.items():
        if ctype & bit:
            raise unsupported(name, f"{profile} profile ({kind})")
    stripe_devid, offset, _uuid = _STRIPE.unpack_from(data, _CHUNK.size)
    if stripe_devid != sb.devid:
        if sb.num_devices > 1:
            raise unsupported(name, f"multi-device file system ({sb.num_devices} devices)")
        raise CorruptImage(f"{name}: corrupt btrfs: chunk at {key[2]} on device {stripe_devid}")
    return Chunk(key[2], length, offset)


@dataclass(frozen=True, slots=True)
class Block:
    """A decoded tree block: its keys, and item data spans (leaf) or child addresses (node)."""

    level: int
    keys: list[Key]
    spans: list[tuple[int, int]]
    children: list[int]
    raw: bytes


class BtrfsTrees:
    """Logical address mapping and bounded searches over the trees of one file system."""

    def __init__(self, device: Device, sb: Superblock, name: str) -> None:
        self.name = name
        self.sb = sb
        self._meta = CachedDevice(device)
        self._blocks = LRU[int, Block](_BLOCK_CACHE)
        self._chunks: list[Chunk] = []
        self._starts: list[int] = []
        pos, array = 0, sb.sys_chunks
        while pos < len(array):
            objectid, ktype, offset = struct.unpack_from("<QBQ", array, pos)
            check(ktype == CHUNK_ITEM, name, "corrupt btrfs: system chunk array")
            num_stripes = struct.unpack_from("<H", array, pos + 17 + 44)[0]
            size = _CHUNK.size + num_stripes * _STRIPE.size
            check(pos + 17 + size <= len(array), name, "corrupt btrfs: system chunk array")
            self._add(parse_chunk((objectid, ktype, offset), array[pos + 17 :], sb, name))
            pos += 17 + size
        for key, data in self.search(sb.chunk_root, sb.chunk_root_level, (256, CHUNK_ITEM, 0)):
            if key[1] == CHUNK_ITEM:
                self._add(parse_chunk(key, data, sb, name))
        if sb.num_devices != 1:
            raise unsupported(name, f"multi-device file system ({sb.num_devices} devices)")

    def _add(self, chunk: Chunk) -> None:
        index = bisect_right(self._starts, chunk.logical)
        if index and self._starts[index - 1] == chunk.logical:
            return
        self._starts.insert(index, chunk.logical)
        self._chunks.insert(index, chunk)

    def physical(self, logical: int, length: int) -> int:
        """Device offset of ``[logical, logical + length)``, which must lie in one chunk."""
        index = bisect_right(self._starts, logical) - 1
        chunk = self._chunks[index] if index >= 0 else None
        check(
            chunk is not None and logical + length <= chunk.logical + chunk.length,
            self.name,
            f"corrupt btrfs: logical address {logical} is in no chunk",
        )
        assert chunk is not None
        return chunk.physical + logical - chunk.logical

    def node(self, logical: int, level: int) -> Block:
        """The tree block at ``logical``, its header checked against how it was reached."""
        cached = self._blocks.get(logical)
        if cached is not None and cached.level == level:
            return cached
        size = self.sb.node_size
        raw = self._meta.read(self.physical(logical, size), size)
        check(len(raw) == size, self.name, f"corrupt btrfs: tree block {logical} cut short")
        bytenr, count = (
            struct.unpack_from("<Q", raw, 0x30)[0],
            struct.unpack_from("<I", raw, 0x60)[0],
        )
        check(
            bytenr == logical and raw[0x20:0x30] == self.sb.fsid and raw[0x64] == level,
            self.name,
            f"corrupt btrfs: tree block {logical} has a bad header",
        )
        record = _ITEM if level == 0 else _KEY_PTR
        end = HEADER + count * record.size
        check(
            (count > 0 or level == 0) and end <= size,
            self.name,
            f"corrupt btrfs: tree block {logical} has a bad item count",
        )
        fields = list(record.iter_unpack(raw[HEADER:end]))
        keys = [(f[0], f[1], f[2]) for f in fields]
        check(keys == sorted(keys), self.name, f"corrupt btrfs: tree block {logical} unsorted")
        if level == 0:
            spans = [(HEADER + f[3], HEADER + f[3] + f[4]) for f in fields]
            check(
                all(end <= lo and hi <= size for lo, hi in spans),
                self.name,
                f"corrupt btrfs: leaf {logical} item out of bounds",
            )
            block = Block(level, keys, spans, [], raw)
        else:
            block = Block(level, keys, [], [f[3] for f in fields], b"")
        self._blocks.put(logical, block)
        return block

    def search(self, root: int, level: int, lo: Key, hi: Key | None = None) -> Iterator[Item]:
        """Items with ``lo <= key <= hi`` (``hi`` defaults to everything from ``lo`` on)."""
        top: Key = hi or (1 << 64, 0, 0)
        budget = MAX_NODES
        visited: set[int] = set()
        pending = [(root, level)]
        while pending:
            logical, expected = pending.pop()
            check(logical not in visited, self.name, f"corrupt btrfs: tree block {logical} loops")
            visited.add(logical)
            budget -= 1
            check(budget > 0, self.name, "corrupt btrfs: tree too large")
            block = self.node(logical, expected)
            keys = block.keys
            if expected == 0:
                for index in range(bisect_left(keys, lo), len(keys)):
                    if keys[index] > top:
                        return
                    start, end = block.spans[index]
                    yield keys[index], block.raw[start:end]
                continue
            first = max(bisect_right(keys, lo) - 1, 0)
            last = bisect_right(keys, top)
            pending.extend((block.children[i], expected - 1) for i in reversed(range(first, last)))

    def first(self, root: int, level: int, key: Key) -> bytes | None:
        """The data of the item with exactly ``key``, or ``None``."""
        for _key, data in self.search(root, level, key, key):
            return data
        return None


def uuid_text(raw: bytes) -> str:
    """A 16-byte UUID as text."""
    return str(uuid.UUID(bytes=raw))
