"""The ext2/3/4 superblock: its fields, its checksum, and the features the reader knows.

Every incompatible or read-only-compatible feature bit set on a file system is either one the
reader reads correctly (listed in :data:`INCOMPAT` / :data:`RO_COMPAT` with ``True``) or it
is refused with :class:`~analyzer.errors.UnsupportedFeature` naming the feature (by its
e2fsprogs name), the file system and the volume.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from analyzer.errors import UnsupportedFeature
from analyzer.sources.disk.crc32c import crc32c
from analyzer.sources.disk.device import check, unpack

MAGIC = 0xEF53
COMPAT_HAS_JOURNAL = 0x4
INCOMPAT_RECOVER = 0x4
INCOMPAT_JOURNAL_DEV = 0x8
INCOMPAT_META_BG = 0x10
INCOMPAT_64BIT = 0x80
RO_COMPAT_BIGALLOC = 0x200
RO_COMPAT_METADATA_CSUM = 0x400
_CSUM_AT = 0x3FC

#: Incompatible features by bit: ``(name, read by this reader)``.
INCOMPAT: dict[int, tuple[str, bool]] = {
    0x1: ("compression", False),
    0x2: ("filetype", True),
    INCOMPAT_RECOVER: ("needs_recovery", True),
    INCOMPAT_JOURNAL_DEV: ("journal_dev", False),
    INCOMPAT_META_BG: ("meta_bg", True),
    0x40: ("extent", True),
    INCOMPAT_64BIT: ("64bit", True),
    0x100: ("mmp", True),
    0x200: ("flex_bg", True),
    0x400: ("ea_inode", True),
    0x1000: ("dirdata", False),
    0x2000: ("metadata_csum_seed", True),
    0x4000: ("large_dir", True),
    0x8000: ("inline_data", True),
    0x10000: ("encrypt", True),
    0x20000: ("casefold", True),
}
#: Read-only compatible features by bit: ``(name, read by this reader)``.
RO_COMPAT: dict[int, tuple[str, bool]] = {
    0x1: ("sparse_super", True),
    0x2: ("large_file", True),
    0x4: ("btree_dir", True),
    0x8: ("huge_file", True),
    0x10: ("uninit_bg", True),
    0x20: ("dir_nlink", True),
    0x40: ("extra_isize", True),
    0x80: ("snapshot", False),
    0x100: ("quota", True),
    RO_COMPAT_BIGALLOC: ("bigalloc", True),
    RO_COMPAT_METADATA_CSUM: ("metadata_csum", True),
    0x800: ("replica", False),
    0x1000: ("read-only", True),
    0x2000: ("project", True),
    0x4000: ("shared_blocks", True),
    0x8000: ("verity", True),
    0x10000: ("orphan_present", True),
}


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
    compat: int
    incompat: int
    ro_compat: int
    first_meta_bg: int
    journal_inode: int
    uuid: str
    label: str
    checksum_ok: bool


def unsupported(flags: int, table: dict[int, tuple[str, bool]], kind: str) -> list[str]:
    """Names of the bits set in ``flags`` that the reader does not read (unknown ones too)."""
    names = []
    for bit in range(32):
        if flags & 1 << bit:
            name, known = table.get(1 << bit, (f"{kind} bit 0x{1 << bit:x}", False))
            if not known:
                names.append(name)
    return names


def parse_superblock(raw: bytes, device_size: int, name: str) -> Superblock:
    """Parse and validate an ext superblock (the 1024 bytes at offset 1024)."""
    check(unpack("<H", raw, 0x38, name)[0] == MAGIC, name, "not an ext file system")
    inodes, blocks_lo, _r, _f, _fi, first_data, log_block, log_cluster = unpack("<8I", raw, 0, name)
    blocks_per_group, clusters_per_group, inodes_per_group = unpack("<III", raw, 0x20, name)
    rev = unpack("<I", raw, 0x4C, name)[0]
    inode_size = unpack("<H", raw, 0x58, name)[0] if rev else 128
    compat, incompat, ro_compat = unpack("<III", raw, 0x5C, name)
    refused = unsupported(incompat, INCOMPAT, "incompat") + unsupported(
        ro_compat, RO_COMPAT, "ro_compat"
    )
    if refused:
        raise UnsupportedFeature(
            f"{name}: ext4 feature {', '.join(refused)} is not supported; "
            "the file system is not read"
        )
    bits64 = bool(incompat & INCOMPAT_64BIT)
    desc_size = unpack("<H", raw, 0xFE, name)[0] if bits64 else 32
    blocks_hi = unpack("<I", raw, 0x150, name)[0] if bits64 else 0
    first_meta_bg = unpack("<I", raw, 0x104, name)[0]
    check(log_block <= 6, name, "corrupt ext: block size too large")
    block_size = 1024 << log_block
    if ro_compat & RO_COMPAT_BIGALLOC:
        check(log_block <= log_cluster <= log_block + 16, name, "corrupt ext: cluster size")
        per_cluster = 1 << (log_cluster - log_block)
        check(
            blocks_per_group == clusters_per_group * per_cluster,
            name,
            "corrupt ext: bad bigalloc group geometry",
        )
    else:
        clusters_per_group = blocks_per_group
    check(
        128 <= inode_size <= block_size and inode_size & (inode_size - 1) == 0,
        name,
        "corrupt ext: bad inode size",
    )
    check(32 <= desc_size <= 1024, name, "corrupt ext: bad group descriptor size")
    check(
        0 < inodes_per_group <= block_size * 8 and 0 < clusters_per_group <= block_size * 8,
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
    checksum_ok = True
    if ro_compat & RO_COMPAT_METADATA_CSUM:
        stored = unpack("<I", raw, _CSUM_AT, name)[0]
        checksum_ok = crc32c(0xFFFFFFFF, raw[:_CSUM_AT]) == stored
    return Superblock(
        block_size,
        total,
        inodes,
        inodes_per_group,
        blocks_per_group,
        first_data,
        inode_size,
        desc_size,
        compat,
        incompat,
        ro_compat,
        first_meta_bg,
        unpack("<I", raw, 0xE0, name)[0],
        str(uuid.UUID(bytes=raw[0x68:0x78])),
        label,
        checksum_ok,
    )
