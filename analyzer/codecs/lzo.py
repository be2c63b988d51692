"""LZO1X decompression, the ``lzop`` container (``CONFIG_KERNEL_LZO`` images) and btrfs framing.

No maintained wheel of an LZO binding exists, so the decoder is written out here; it follows the
LZO1X bitstream (version 0) that ``lzop -9`` writes. Every read and back-reference is checked:
corrupt input raises :class:`LzoError`, never an ``IndexError`` or a hang.
"""

from __future__ import annotations

from collections.abc import Iterator

from analyzer.errors import ImgauditError

LZOP_MAGIC = b"\x89LZO\x00\r\n\x1a\n"
_F_ADLER32_D = 0x0001
_F_ADLER32_C = 0x0002
_F_H_EXTRA_FIELD = 0x0040
_F_CRC32_D = 0x0100
_F_CRC32_C = 0x0200
_F_H_FILTER = 0x0800
#: Largest block ``lzop`` accepts (its ``MAX_BLOCK_SIZE``; it writes 256 KiB blocks); anything
#: larger is corrupt.
MAX_BLOCK = 64 * 1024 * 1024
_M2_MAX_OFFSET = 0x0800


class LzoError(ImgauditError):
    """The LZO data is corrupt or truncated."""


class _Input:
    """Bounds-checked reader over the compressed bytes."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def byte(self) -> int:
        if self.pos >= len(self.data):
            raise LzoError("input overrun")
        value = self.data[self.pos]
        self.pos += 1
        return value

    def take(self, count: int) -> bytes:
        end = self.pos + count
        if end > len(self.data):
            raise LzoError("input overrun")
        chunk = self.data[self.pos : end]
        self.pos = end
        return chunk

    def le16(self) -> int:
        low = self.byte()
        return low | (self.byte() << 8)

    def run(self, base: int) -> int:
        """A length extension: zero bytes count 255 each, then ``base`` plus the next byte."""
        zeros = 0
        while self.byte() == 0:
            zeros += 1
        self.pos -= 1
        return zeros * 255 + base + self.byte()


def _copy_match(out: bytearray, distance: int, length: int, limit: int) -> None:
    if distance <= 0 or distance > len(out):
        raise LzoError("look-behind overrun")
    if len(out) + length > limit:
        raise LzoError("output overrun")
    start = len(out) - distance
    if distance >= length:
        out += out[start : start + length]
        return
    pattern = bytes(out[start:])
    whole, rest = divmod(length, distance)
    out += pattern * whole + pattern[:rest]


def _match(src: _Input, token: int, state: int) -> tuple[int, int, int]:
    """Distance, length and trailing-literal count of the match ``token`` starts.

    A distance of 0 marks the end of the stream.
    """
    if token < 16:
        base = 1 if state != 4 else 1 + _M2_MAX_OFFSET
        distance = base + (token >> 2) + (src.byte() << 2)
        return distance, 2 if state != 4 else 3, token & 3
    if token >= 64:
        distance = 1 + ((token >> 2) & 7) + (src.byte() << 3)
        return distance, (token >> 5) + 1, token & 3
    if token >= 32:
        length = (token & 31) + 2
        if length == 2:
            length = src.run(31) + 2
        word = src.le16()
        return 1 + (word >> 2), length, word & 3
    far = (token & 8) << 11
    length = (token & 7) + 2
    if length == 2:
        length = src.run(7) + 2
    word = src.le16()
    distance = far + (word >> 2)
    return (distance + 0x4000 if distance else 0), length, word & 3


def decompress_block(data: bytes, out_len: int, exact: bool = True) -> bytes:
    """Decompress one LZO1X block of ``out_len`` bytes (at most, when not ``exact``)."""
    src = _Input(data)
    out = bytearray()
    state = 0
    first = src.byte()
    if first > 17:
        count = first - 17
        out += src.take(count)
        state = count if count < 4 else 4
    else:
        src.pos = 0
    while True:
        if len(out) > out_len:
            raise LzoError("output overrun")
        token = src.byte()
        if token < 16 and state == 0:
            length = (src.run(15) if token == 0 else token) + 3
            out += src.take(length)
            state = 4
            continue
        distance, length, literals = _match(src, token, state)
        if distance == 0:
            break
        _copy_match(out, distance, length, out_len)
        state = literals
        if literals:
            out += src.take(literals)
    if exact and len(out) != out_len:
        raise LzoError(f"block decompressed to {len(out)} bytes, expected {out_len}")
    return bytes(out)


def _u32(src: _Input) -> int:
    return int.from_bytes(src.take(4), "big")


def _skip_header(src: _Input) -> int:
    """Skip an lzop file header and return its flags."""
    if src.take(len(LZOP_MAGIC)) != LZOP_MAGIC:
        raise LzoError("not an lzop stream")
    version = int.from_bytes(src.take(2), "big")
    src.take(2)
    if version >= 0x0940:
        src.take(2)
    method = src.byte()
    if method not in (1, 2, 3):
        raise LzoError(f"unsupported lzop method {method}")
    if version >= 0x0940:
        src.take(1)
    flags = _u32(src)
    if flags & _F_H_FILTER:
        src.take(4)
    src.take(4 + 4)
    if version >= 0x0940:
        src.take(4)
    src.take(src.byte())
    src.take(4)
    if flags & _F_H_EXTRA_FIELD:
        src.take(_u32(src))
        src.take(4)
    return flags


def lzop_blocks(data: bytes) -> Iterator[bytes]:
    """Decompressed blocks of an lzop stream, one at a time."""
    src = _Input(data)
    flags = _skip_header(src)
    while True:
        dst_len = _u32(src)
        if dst_len == 0:
            return
        if dst_len > MAX_BLOCK:
            raise LzoError(f"block of {dst_len} bytes is larger than lzop writes")
        src_len = _u32(src)
        if flags & _F_ADLER32_D:
            src.take(4)
        if flags & _F_CRC32_D:
            src.take(4)
        if src_len < dst_len:
            if flags & _F_ADLER32_C:
                src.take(4)
            if flags & _F_CRC32_C:
                src.take(4)
        block = src.take(src_len)
        yield block if src_len == dst_len else decompress_block(block, dst_len)


def btrfs_decompress(data: bytes, out_len: int, sector: int, first: int = 0) -> bytes:
    """Decompress a btrfs LZO extent: a total length, then length-prefixed segments.

    Each segment holds one ``sector`` of output (less at the end of the file); a segment
    header never straddles a sector boundary (the writer pads to the next sector instead).
    Returns the output from segment ``first`` (byte ``first * sector``) up to byte
    ``out_len``: earlier segments are skipped by their headers, not decoded.
    """
    src = _Input(data)
    total = int.from_bytes(src.take(4), "little")
    if total > len(data) or total < 4:
        raise LzoError(f"btrfs LZO extent claims {total} bytes, has {len(data)}")
    src.data = data[:total]
    out = bytearray()
    done = 0
    while done < out_len and src.pos < total:
        left = sector - src.pos % sector
        if left < 4:
            src.take(left)
        seg_len = int.from_bytes(src.take(4), "little")
        if seg_len > sector + sector // 16 + 64 + 3:
            raise LzoError(f"btrfs LZO segment of {seg_len} bytes is larger than one sector")
        segment = src.take(seg_len)
        if done >= first * sector:
            out += decompress_block(segment, sector, exact=False)
        done += sector
    return bytes(out[: max(0, out_len - first * sector)])
