"""The kernel-image analyzer: release string and embedded configuration of each kernel image.

It looks at ``vmlinuz*``, ``vmlinux*``, ``bzImage*``, ``Image*`` and ``zImage*`` files where
kernels live (``/boot``, ``/lib/modules/R/``, ``/usr/lib/modules/R/``, ``/usr/lib/ostree-boot``,
``/usr/lib/kernel``), keeps the file's bytes only until it ends (at most
:data:`MAX_IMAGE_BYTES`), and stores a :class:`~analyzer.kernel.image.KernelImageInfo` as
``records["kernel_image"]``. A file it cannot read gives a record whose ``problems`` say why.

Unified kernel images (``EFI/Linux/*.efi``, see :mod:`analyzer.kernel.uki`) are read as they
stream past instead: only their headers and small text sections are kept, and the record is a
:class:`~analyzer.kernel.uki.UkiInfo`.
"""

from __future__ import annotations

import re

from analyzer.analyzers.base import Sink
from analyzer.kernel.image import KernelImageInfo, inspect
from analyzer.kernel.uki import UkiReader, is_uki_path
from analyzer.sources.entry import ReadAt

#: Largest kernel image read (compressed images are 5-15 MiB, a plain vmlinux up to ~100 MiB).
MAX_IMAGE_BYTES = 128 << 20
#: Smaller files are not kernels (symlinks to images are resolved by the collector instead).
MIN_IMAGE_BYTES = 4096
#: Smaller files cannot hold a PE header and a section table.
MIN_UKI_BYTES = 256

_NAME = re.compile(r"(?:vmlinu[xz]|bzImage|zImage|Image)(?:[-.].*)?\Z")
_DIRECTORY = re.compile(
    r"/boot(?:/.*)?|/(?:usr/)?lib/modules/[^/]+|/usr/lib/ostree-boot(?:/.*)?"
    r"|/usr/lib/kernel(?:/.*)?"
)
_SKIP_SUFFIXES = (".sig", ".hmac", ".sha256", ".debug", ".txt")


def is_kernel_path(path: str) -> bool:
    """True for a path where a kernel image is expected, decided by path alone."""
    directory, _, name = path.rpartition("/")
    if not _NAME.match(name) or name.endswith(_SKIP_SUFFIXES):
        return False
    return _DIRECTORY.fullmatch(directory) is not None


class _Buffer:
    """Keeps one image's bytes until the end of the file, then inspects them."""

    complete = False

    def __init__(self, head: bytes, size: int) -> None:
        self._blocks = [head]
        self._size = size

    def feed(self, block: bytes) -> None:
        self._blocks.append(block)

    def close(self) -> object:
        data = b"".join(self._blocks)
        self._blocks = []
        try:
            return inspect(data)
        except Exception as exc:  # noqa: BLE001 - a hostile image must not stop the pass
            return KernelImageInfo("unknown", problems=(f"cannot read kernel image: {exc!r}",))


class _TooLarge:
    """Needs no byte: the record says the image is over the limit."""

    complete = True

    def __init__(self, size: int) -> None:
        self._record = KernelImageInfo(
            "unknown",
            problems=(f"{size} bytes is over the {MAX_IMAGE_BYTES}-byte limit; not read",),
        )

    def feed(self, block: bytes) -> None:
        del block

    def close(self) -> object:
        return self._record


class KernelImageAnalyzer:
    """Per-file analyzer producing ``records["kernel_image"]``."""

    name = "kernel_image"

    def wants(self, path: str, size: int) -> bool:
        """Kernel image names in kernel directories, and UKIs, above a minimal size."""
        if is_uki_path(path):
            return size >= MIN_UKI_BYTES
        return size >= MIN_IMAGE_BYTES and is_kernel_path(path)

    def open(self, path: str, size: int, head: bytes, read_at: ReadAt | None = None) -> Sink | None:
        """Buffer the image (or refuse one over the limit); stream a UKI's sections."""
        del read_at
        if is_uki_path(path):
            return UkiReader(head)
        if size > MAX_IMAGE_BYTES:
            return _TooLarge(size)
        return _Buffer(head, size)
