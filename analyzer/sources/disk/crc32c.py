"""CRC-32C (Castagnoli), the checksum of ext4 and jbd2 metadata, in the kernel's raw form.

:func:`crc32c` continues a CRC from ``seed`` without the final inversion, as the kernel's
``crc32c_le`` / e2fsprogs' ``ext2fs_crc32c_le`` do; ext4 stores that value directly.
"""

from __future__ import annotations

_POLY = 0x82F63B78


def _table() -> tuple[int, ...]:
    rows = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ (_POLY if crc & 1 else 0)
        rows.append(crc)
    return tuple(rows)


_TABLE = _table()


def crc32c(seed: int, data: bytes) -> int:
    """The raw CRC-32C of ``data`` continued from ``seed`` (no final inversion)."""
    crc = seed
    table = _TABLE
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc
