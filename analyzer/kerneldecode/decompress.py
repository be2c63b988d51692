"""Streaming decompression of kernel payloads, bounded in output.

A kernel's payload may be gzip, xz, lzma, bzip2, lzo (``lzop``), lz4 (legacy frame) or zstd
(the ``CONFIG_KERNEL_*`` choices). :func:`stream` yields the decompressed bytes chunk by chunk,
so a caller can stop as soon as it has what it wants, and never yields more than ``cap`` bytes
in total. Corrupt data raises :class:`DecompressError`.
"""

from __future__ import annotations

import bz2
import io
import lzma
import zlib
from collections.abc import Iterator

from analyzer.codecs.lzo import LzoError, lzop_blocks
from analyzer.codecs.magic import magics
from analyzer.errors import ImgauditError

#: Size of the chunks handed to (and asked of) the decompressors.
CHUNK = 1 << 20
#: Largest block of the legacy lz4 frame (the kernel's ``lz4 -l`` writes 8 MiB blocks).
LZ4_LEGACY_BLOCK = 8 << 20
LZ4_LEGACY_MAGIC = dict(magics(kernel=True))["lz4"]


class DecompressError(ImgauditError):
    """A payload could not be decompressed (corrupt, truncated, or an unsupported format)."""


def stream(kind: str, data: bytes, cap: int) -> Iterator[bytes]:
    """Decompressed chunks of ``data`` in format ``kind``, at most ``cap`` bytes in all."""
    makers = {
        "gzip": _gzip,
        "xz": _xz,
        "lzma": _lzma_alone,
        "bzip2": _bzip2,
        "lzo": _lzo,
        "lz4": _lz4_legacy,
        "zstd": _zstd,
    }
    maker = makers.get(kind)
    if maker is None:
        raise DecompressError(f"unsupported compression {kind!r}")
    produced = 0
    try:
        for chunk in maker(data):
            if not chunk:
                continue
            room = cap - produced
            if room <= 0:
                return
            piece = chunk[:room]
            produced += len(piece)
            yield piece
    except (zlib.error, lzma.LZMAError, OSError, EOFError, ValueError, LzoError) as exc:
        raise DecompressError(f"{kind}: {exc}") from exc


def _gzip(data: bytes) -> Iterator[bytes]:
    engine = zlib.decompressobj(wbits=31)
    pending = memoryview(data)
    while not engine.eof:
        if engine.unconsumed_tail:
            chunk = engine.decompress(engine.unconsumed_tail, CHUNK)
        elif pending:
            chunk = engine.decompress(pending[:CHUNK], CHUNK)
            pending = pending[CHUNK:]
        else:
            raise DecompressError("gzip: truncated stream")
        yield chunk


def _with_max_length(
    engine: lzma.LZMADecompressor | bz2.BZ2Decompressor, data: bytes, name: str
) -> Iterator[bytes]:
    pending = memoryview(data)
    while not engine.eof:
        if engine.needs_input:
            if not pending:
                raise DecompressError(f"{name}: truncated stream")
            piece, pending = pending[:CHUNK], pending[CHUNK:]
            yield engine.decompress(piece, CHUNK)
        else:
            yield engine.decompress(b"", CHUNK)


def _xz(data: bytes) -> Iterator[bytes]:
    return _with_max_length(lzma.LZMADecompressor(lzma.FORMAT_XZ), data, "xz")


def _lzma_alone(data: bytes) -> Iterator[bytes]:
    return _with_max_length(lzma.LZMADecompressor(lzma.FORMAT_ALONE), data, "lzma")


def _bzip2(data: bytes) -> Iterator[bytes]:
    return _with_max_length(bz2.BZ2Decompressor(), data, "bzip2")


def _lzo(data: bytes) -> Iterator[bytes]:
    return lzop_blocks(data)


def _lz4_legacy(data: bytes) -> Iterator[bytes]:
    try:
        import lz4.block  # type: ignore[import-untyped]
    except ImportError as exc:
        raise DecompressError("lz4: the 'lz4' package is not installed") from exc
    if not data.startswith(LZ4_LEGACY_MAGIC):
        raise DecompressError("lz4: not a legacy lz4 frame")
    pos = len(LZ4_LEGACY_MAGIC)
    while pos + 4 <= len(data):
        size = int.from_bytes(data[pos : pos + 4], "little")
        if data[pos : pos + 4] == LZ4_LEGACY_MAGIC:
            pos += 4
            continue
        if size == 0 or size > len(data) - pos - 4:
            return
        block = data[pos + 4 : pos + 4 + size]
        pos += 4 + size
        try:
            yield lz4.block.decompress(block, uncompressed_size=LZ4_LEGACY_BLOCK)
        except lz4.block.LZ4BlockError as exc:
            raise DecompressError(f"lz4: {exc}") from exc


def _zstd(data: bytes) -> Iterator[bytes]:
    try:
        import zstandard
    except ImportError as exc:
        raise DecompressError("zstd: the 'zstandard' package is not installed") from exc
    reader = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(data), read_across_frames=False)
    try:
        while True:
            chunk = reader.read(CHUNK)
            if not chunk:
                return
            yield chunk
    except zstandard.ZstdError as exc:
        raise DecompressError(f"zstd: {exc}") from exc
