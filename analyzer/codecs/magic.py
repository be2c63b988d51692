"""The one table of compression magic numbers: archives, layer blobs and kernel payloads.

:data:`COMPRESSIONS` lists each format by the name its readers use and the bytes it starts
with, kernel payload formats first in the order ``scripts/extract-vmlinux`` tries them.
:func:`sniff` names the format a stream starts with; the kernel image reader also searches
for :func:`magics` inside an image, so every magic is long enough to be specific.
"""

from __future__ import annotations

from dataclasses import dataclass

from analyzer.codecs.lzo import LZOP_MAGIC


@dataclass(frozen=True, slots=True)
class Compression:
    """A compressed format: its name, its leading bytes, and whether kernels use it."""

    name: str
    magic: bytes
    #: A ``CONFIG_KERNEL_*`` payload format (the kernel image reader decompresses it).
    kernel: bool = False


#: Every compression recognised, kernel payload formats first (``lz4`` is the legacy frame
#: ``lz4 -l`` writes for kernels; ``lz4-frame`` the current one).
COMPRESSIONS: tuple[Compression, ...] = (
    Compression("gzip", b"\x1f\x8b\x08", kernel=True),
    Compression("xz", b"\xfd7zXZ\x00", kernel=True),
    Compression("bzip2", b"BZh", kernel=True),
    Compression("lzma", b"\x5d\x00\x00", kernel=True),
    Compression("lzo", LZOP_MAGIC, kernel=True),
    Compression("lz4", b"\x02\x21\x4c\x18", kernel=True),
    Compression("zstd", b"\x28\xb5\x2f\xfd", kernel=True),
    Compression("lz4-frame", b"\x04\x22\x4d\x18"),
    Compression("lzip", b"LZIP"),
    Compression("compress", b"\x1f\x9d"),
)


def magics(kernel: bool = False) -> tuple[tuple[str, bytes], ...]:
    """``(name, magic)`` of every format, or of the kernel payload formats only, in order."""
    return tuple((c.name, c.magic) for c in COMPRESSIONS if c.kernel or not kernel)


def sniff(data: bytes | memoryview, kernel: bool = False) -> str | None:
    """The format ``data`` starts with (a kernel payload format when ``kernel``), or ``None``.

    ``BZh`` counts only when followed by a block-size digit, as bzip2 writes it.
    """
    head = bytes(data[:16])
    for name, magic in magics(kernel):
        if head.startswith(magic):
            if name == "bzip2" and not head[3:4].isdigit():
                continue
            return name
    return None
