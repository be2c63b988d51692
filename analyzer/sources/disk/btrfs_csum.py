"""The checksums btrfs stores (crc32c, xxhash64, sha256, blake2b), for its superblock.

XXH64 is written out here (the superblock is 4 KiB, so speed does not matter and no extra
dependency is needed); crc32c is the one ext4 and jbd2 use (:mod:`.crc32c`), sha256 and blake2b
come from :mod:`hashlib`.
"""

from __future__ import annotations

import hashlib
import struct

from analyzer.sources.disk.crc32c import crc32c as raw_crc32c

#: Checksum type numbers of the superblock's ``csum_type`` and their names.
CSUM_NAMES = {0: "crc32c", 1: "xxhash64", 2: "sha256", 3: "blake2b"}


def crc32c(data: bytes) -> int:
    """CRC-32C (Castagnoli) of ``data``, as btrfs checksums its superblock."""
    return raw_crc32c(0xFFFFFFFF, data) ^ 0xFFFFFFFF


_P1, _P2, _P3 = 0x9E3779B185EBCA87, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9
_P4, _P5 = 0x85EBCA77C2B2AE63, 0x27D4EB2F165667C5
_M64 = (1 << 64) - 1


def _rotl(x: int, r: int) -> int:
    return ((x << r) | (x >> (64 - r))) & _M64


def _round(acc: int, lane: int) -> int:
    return (_rotl((acc + lane * _P2) & _M64, 31) * _P1) & _M64


def xxhash64(data: bytes, seed: int = 0) -> int:
    """XXH64 of ``data`` (the btrfs ``xxhash`` checksum)."""
    n, pos = len(data), 0
    if n >= 32:
        acc = [(seed + _P1 + _P2) & _M64, (seed + _P2) & _M64, seed, (seed - _P1) & _M64]
        while pos + 32 <= n:
            lanes = struct.unpack_from("<4Q", data, pos)
            acc = [_round(a, lane) for a, lane in zip(acc, lanes, strict=True)]
            pos += 32
        h = (_rotl(acc[0], 1) + _rotl(acc[1], 7) + _rotl(acc[2], 12) + _rotl(acc[3], 18)) & _M64
        for a in acc:
            h = (((h ^ _round(0, a)) * _P1) + _P4) & _M64
    else:
        h = (seed + _P5) & _M64
    h = (h + n) & _M64
    while pos + 8 <= n:
        h = ((_rotl(h ^ _round(0, struct.unpack_from("<Q", data, pos)[0]), 27) * _P1) + _P4) & _M64
        pos += 8
    if pos + 4 <= n:
        h = (_rotl(h ^ (struct.unpack_from("<I", data, pos)[0] * _P1) & _M64, 23) * _P2) + _P3
        h &= _M64
        pos += 4
    while pos < n:
        h = (_rotl(h ^ (data[pos] * _P5) & _M64, 11) * _P1) & _M64
        pos += 1
    h = ((h ^ (h >> 33)) * _P2) & _M64
    h = ((h ^ (h >> 29)) * _P3) & _M64
    return h ^ (h >> 32)


def checksum(csum_type: int, data: bytes) -> bytes:
    """The 32-byte checksum field btrfs stores for ``data``."""
    if csum_type == 0:
        digest = struct.pack("<I", crc32c(data))
    elif csum_type == 1:
        digest = struct.pack("<Q", xxhash64(data))
    elif csum_type == 2:
        digest = hashlib.sha256(data).digest()
    else:
        digest = hashlib.blake2b(data, digest_size=32).digest()
    return digest.ljust(32, b"\0")
