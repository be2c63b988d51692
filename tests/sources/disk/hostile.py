"""Hostile disk images, built at test time: each one used to take hundreds of MB or more.

Every builder starts from an image made with the real tools (or a header written by hand
where the point is a huge declared table), then patches the structure under attack. Sparse
files keep them small on disk.
"""

from __future__ import annotations

import re
import struct
import uuid
from pathlib import Path

from disk_builders import MIB, convert, mkfs_ext4, mkfs_xfs, run, write_tree

from analyzer.sources.disk.device import MAX_TABLE_BYTES

#: Size of the file whose map is attacked; large so that nothing is clipped at its end.
HUGE_FILE = 1 << 40
EXT_BLOCK = 4096
XFS_BLOCK = 4096
#: Inode size of the XFS images (mkfs.xfs default for v5) and the size of its v3 core.
XFS_INODE, XFS_CORE = 512, 176
_XFS_HEADER = 72


def _patch(path: Path, offset: int, data: bytes) -> None:
    with path.open("r+b") as file:
        file.seek(offset)
        file.write(data)


def ext4_extent_dag(tmp: Path) -> Path:
    """ext4 whose ``/f`` extent tree has every index entry, on every level, point at one child.

    Four root entries -> one index block (340 entries) -> one index block (340 entries) -> one
    leaf with 340 extents: walked as a tree it is 4 * 340 * 340 * 340 leaf entries.
    """
    tree = write_tree(tmp / "ext4-tree", {"f": b"x" * 65536, "etc/hosts": "127.0.0.1 localhost\n"})
    image = mkfs_ext4(tree, tmp / "extent-dag.img", 16, "-b", str(EXT_BLOCK))
    where = run("debugfs", "-R", "imap /f", str(image))
    found = re.search(r"located at block (\d+), offset (0x[0-9a-f]+)", where)
    assert found, where
    inode = int(found[1]) * EXT_BLOCK + int(found[2], 16)
    leaf, middle, top = 4000, 4001, 4002
    data_block = 3000

    def header(entries: int, depth: int) -> bytes:
        return struct.pack("<HHHHI", 0xF30A, entries, entries, depth, 0)

    def index(entries: int, depth: int, child: int) -> bytes:
        body = b"".join(struct.pack("<IIHH", i, child, 0, 0) for i in range(entries))
        return header(entries, depth) + body

    per_block = (EXT_BLOCK - 12) // 12
    leaves = b"".join(struct.pack("<IHHI", i, 1, 0, data_block) for i in range(per_block))
    _patch(image, leaf * EXT_BLOCK, header(per_block, 0) + leaves)
    _patch(image, middle * EXT_BLOCK, index(per_block, 1, leaf))
    _patch(image, top * EXT_BLOCK, index(per_block, 2, middle))
    _patch(image, inode + 0x28, index(4, 3, top))
    _patch(image, inode + 0x04, struct.pack("<I", HUGE_FILE & 0xFFFFFFFF))
    _patch(image, inode + 0x6C, struct.pack("<I", HUGE_FILE >> 32))
    return image


def xfs_bmbt_dag(tmp: Path) -> Path:
    """XFS whose ``/f`` bmbt has every pointer, on every level, lead to one child block."""
    tree = write_tree(tmp / "xfs-tree", {"f": b"x" * 65536, "etc/hosts": "127.0.0.1 localhost\n"})
    image = mkfs_xfs(tree, tmp / "bmbt-dag.img", 300)
    sb = dict(re.findall(r"(\w+) = (\d+)", xfs_db(image, "sb 0", "print rootino agblocks")))
    listing = xfs_db(image, f"inode {sb['rootino']}", "print u3.sfdir3.list")
    names = re.findall(r'name = "([^"]+)"\n.*?inumber.i4 = (\d+)', listing)
    ino = dict(names)["f"]
    inode = int(xfs_db(image, f"convert inode {ino} byte").split()[0], 16)
    agblocks = int(sb["agblocks"])
    leaf, middle, top = agblocks - 30, agblocks - 29, agblocks - 28
    node_max = (XFS_BLOCK - _XFS_HEADER) // 16

    def block(level: int, count: int, body: bytes) -> bytes:
        return b"BMA3" + struct.pack(">HH", level, count) + bytes(_XFS_HEADER - 8) + body

    def pointers(count: int, child: int, slots: int) -> bytes:
        keys = b"".join(struct.pack(">Q", i) for i in range(count)).ljust(slots * 8, b"\0")
        return keys + struct.pack(">Q", child) * count

    record = b"".join(struct.pack(">QQ", i << 9, (1000 << 21) | 1) for i in range(node_max))
    _patch(image, leaf * XFS_BLOCK, block(0, node_max, record))
    _patch(image, middle * XFS_BLOCK, block(1, node_max, pointers(node_max, leaf, node_max)))
    _patch(image, top * XFS_BLOCK, block(2, node_max, pointers(node_max, middle, node_max)))
    roots = (XFS_INODE - XFS_CORE - 4) // 16
    fork = struct.pack(">HH", 3, roots) + pointers(roots, top, roots)
    _patch(image, inode + 5, b"\x03")  # data fork in btree format
    _patch(image, inode + 56, struct.pack(">Q", HUGE_FILE))
    _patch(image, inode + XFS_CORE, fork)
    return image


def xfs_db(image: Path, *commands: str) -> str:
    """Output of read-only ``xfs_db`` commands."""
    return run(
        "xfs_db", "-r", *(arg for command in commands for arg in ("-c", command)), str(image)
    )


def qcow2_zstd_bomb(tmp: Path, expands_to: int = 1 << 30) -> Path:
    """A zstd-compressed qcow2 whose first cluster is a frame of ``expands_to`` zero bytes."""
    import zstandard

    raw = tmp / "bomb.raw"
    raw.write_bytes(bytes(range(256)) * 4096)
    image = convert(raw, tmp / "bomb.qcow2", "qcow2", "-c", "-o", "compression_type=zstd")
    compressor = zstandard.ZstdCompressor(level=1)
    chunk = bytes(MIB)
    writer = compressor.compressobj(size=expands_to)
    frame = b"".join(writer.compress(chunk) for _ in range(expands_to // MIB)) + writer.flush()
    data = image.read_bytes()
    cluster_bits = struct.unpack_from(">I", data, 20)[0]
    l1_offset = struct.unpack_from(">Q", data, 40)[0]
    l2_offset = struct.unpack_from(">Q", data, l1_offset)[0] & 0x00FFFFFFFFFFFE00
    host = -(-len(data) // 512) * 512
    sectors = -(-len(frame) // 512)
    shift = 62 - (cluster_bits - 8)
    assert sectors <= 1 << (cluster_bits - 8), "the frame must fit a compressed entry"
    entry = 1 << 62 | (sectors - 1) << shift | host
    _patch(image, host, frame)
    _patch(image, l2_offset, struct.pack(">Q", entry))
    return image


def qcow2_sparse_l1(tmp: Path) -> Path:
    """A qcow2 header declaring a 1 TiB disk of 512-byte clusters: a 256 MiB L1 table of zeros."""
    cluster_bits, size = 9, 1 << 40
    l1_entries = size // ((1 << cluster_bits) * ((1 << cluster_bits) // 8))
    header = struct.pack(
        ">4sIQIIQIIQQIIQ", b"QFI\xfb", 2, 0, 0, cluster_bits, size, 0, l1_entries, 512, 0, 0, 0, 0
    )
    image = tmp / "sparse-l1.qcow2"
    image.write_bytes(header)
    with image.open("r+b") as file:
        file.truncate(512 + l1_entries * 8)
    return image


def vmdk_sparse_gd(tmp: Path) -> Path:
    """A hosted sparse vmdk whose grain directory has 64 Mi entries (256 MiB) of zeros."""
    entries = 1 << 26
    header = struct.pack(
        "<4sIIQQQQIQQQB4sH",
        b"KDMV", 1, 3, entries, 1, 0, 0, 1, 0, 1, 1, 0, b"\n \r\n", 0,
    )  # fmt: skip
    image = tmp / "sparse-gd.vmdk"
    image.write_bytes(header.ljust(512, b"\0"))
    with image.open("r+b") as file:
        file.truncate(512 + entries * 4)
    return image


def vhd_bat_at_cap(tmp: Path) -> Path:
    """A dynamic vhd whose BAT is as large as a table may be (64 Mi entries, 256 MiB) of zeros."""
    entries, block = MAX_TABLE_BYTES // 4, 2 * MIB
    size = entries * block
    footer = struct.pack(
        ">8sIIQI4sI4sQQHBBII",
        *(b"conectix", 2, 0x10000, 512, 0, b"test", 0x10000, b"Wi2k", size, size),
        *(65535, 16, 255, 3, 0),
    )
    dynamic = struct.pack(">8sQQIII", b"cxsparse", (1 << 64) - 1, 1536, 0x10000, entries, block)
    image = tmp / "cap-bat.vhd"
    image.write_bytes(footer.ljust(512, b"\0") + dynamic.ljust(1024, b"\0"))
    end = 1536 + entries * 4
    with image.open("r+b") as file:
        file.truncate(end)
    _patch(image, end, footer.ljust(512, b"\0"))
    return image


def vhdx_bat_at_cap(tmp: Path) -> Path:
    """A vhdx whose BAT region is as large as a table may be (256 MiB) of zeros: 32 TiB unmapped."""
    block, ratio = MIB, (1 << 23) * 512 // MIB
    blocks = MAX_TABLE_BYTES // 8 - 2 * ratio
    meta_at, bat_at = 256 << 10, MIB
    image = tmp / "cap-bat.vhdx"
    image.write_bytes(b"vhdxfile")
    with image.open("r+b") as file:
        file.truncate(bat_at + MAX_TABLE_BYTES)
    _patch(image, 64 << 10, b"head" + bytes(4) + struct.pack("<Q", 1))
    regions = [(_VHDX_BAT, bat_at, MAX_TABLE_BYTES), (_VHDX_METADATA, meta_at, MIB - meta_at)]
    table = b"regi" + bytes(4) + struct.pack("<I", len(regions)) + bytes(4)
    for guid, offset, length in regions:
        table += uuid.UUID(guid).bytes_le + struct.pack("<QII", offset, length, 1)
    _patch(image, 192 << 10, table)
    items = [
        (_VHDX_FILE_PARAMETERS, struct.pack("<II", block, 0)),
        (_VHDX_VIRTUAL_SIZE, struct.pack("<Q", blocks * block)),
        (_VHDX_LOGICAL_SECTOR, struct.pack("<I", 512)),
    ]
    metadata = b"metadata" + bytes(2) + struct.pack("<H", len(items)) + bytes(20)
    for index, (guid, value) in enumerate(items):
        at = (64 << 10) + index * 16
        metadata += uuid.UUID(guid).bytes_le + struct.pack("<IIII", at, len(value), 0, 0)
        _patch(image, meta_at + at, value)
    _patch(image, meta_at, metadata)
    return image


_VHDX_BAT = "2DC27766-F623-4200-9D64-115E9BFD4A08"
_VHDX_METADATA = "8B7CA206-4790-4B9A-B8FE-575F050F886E"
_VHDX_FILE_PARAMETERS = "CAA16737-FA36-4D43-B3B6-33F0AA44E76B"
_VHDX_VIRTUAL_SIZE = "2FA54224-CD1B-4876-B211-5DBED83BF4B8"
_VHDX_LOGICAL_SECTOR = "8141BF1D-A96F-4709-BA47-F233A8FAAB5F"
