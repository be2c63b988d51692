"""The kernel-image analyzer: release string and embedded configuration of each kernel image.

It looks at ``vmlinuz*``, ``vmlinux*``, ``bzImage*``, ``Image*`` and ``zImage*`` files where
kernels live (``/boot``, ``/lib/modules/R/``, ``/usr/lib/modules/R/``, ``/usr/lib/ostree-boot``,
``/usr/lib/kernel``), keeps the file's bytes only until it ends (at most
:data:`MAX_IMAGE_BYTES`), and stores a :class:`~analyzer.kerneldecode.image.KernelImageInfo` as
its ``KERNEL_IMAGE`` record (``CONFIGS_MODULE``, ``UKI`` for those files). A file it cannot
read gives a record whose ``problems`` say why.

Unified kernel images (``EFI/Linux/*.efi``, see :mod:`analyzer.kerneldecode.uki`) are read as they
stream past instead: only their headers, small text sections and the ``.linux`` kernel are
kept, and the record is a :class:`~analyzer.kerneldecode.uki.UkiInfo`. A release's ``configs.ko``
(``CONFIG_IKCONFIG=m``, see :mod:`analyzer.kerneldecode.ikconfig`) gives a
:class:`~analyzer.kerneldecode.ikconfig.ConfigsModule`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from analyzer.kerneldecode.ikconfig import (
    MAX_MODULE_BYTES,
    ConfigsModule,
    configs_module_compression,
    read_configs_module,
)
from analyzer.kerneldecode.image import KERNEL_IMAGE, ImageFormat, KernelImageInfo, inspect
from analyzer.kerneldecode.uki import UkiReader, is_uki_path
from analyzer.stream.entry import ReadAt
from analyzer.stream.sink import Buffered, Ready, Sink

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


def _guarded(
    read: Callable[[bytes], object], failed: Callable[[str], object]
) -> Callable[[bytes], object]:
    """``read``, or when it raises the record ``failed`` makes of the exception's text."""

    def make(data: bytes) -> object:
        try:
            return read(data)
        except Exception as exc:  # noqa: BLE001 - a hostile file must not stop the pass
            return failed(repr(exc))

    return make


def _image_failed(error: str) -> KernelImageInfo:
    return KernelImageInfo(ImageFormat.UNKNOWN, problems=(f"cannot read kernel image: {error}",))


class KernelImageAnalyzer:
    """Per-file analyzer producing its ``KERNEL_IMAGE`` (or ``CONFIGS_MODULE``, ``UKI``) record."""

    name = KERNEL_IMAGE.name

    def wants(self, path: str, size: int) -> bool:
        """Kernel image names in kernel directories, UKIs, and each release's ``configs.ko``."""
        if is_uki_path(path):
            return size >= MIN_UKI_BYTES
        if configs_module_compression(path) is not None:
            return True
        return size >= MIN_IMAGE_BYTES and is_kernel_path(path)

    def open(self, path: str, size: int, head: bytes, read_at: ReadAt | None = None) -> Sink | None:
        """Buffer the image or module (or refuse one over the limit); stream a UKI."""
        del read_at
        if is_uki_path(path):
            return UkiReader(head, size)
        compression = configs_module_compression(path)
        if compression is not None:
            if size > MAX_MODULE_BYTES:
                too_large = f"{size} bytes is over the {MAX_MODULE_BYTES}-byte limit; not read"
                return Ready(ConfigsModule(compression, problems=(too_large,)))
            return Buffered(
                head,
                _guarded(
                    lambda data: read_configs_module(data, compression),
                    lambda error: ConfigsModule(compression, problems=(f"cannot read: {error}",)),
                ),
            )
        if size > MAX_IMAGE_BYTES:
            too_large = f"{size} bytes is over the {MAX_IMAGE_BYTES}-byte limit; not read"
            return Ready(KernelImageInfo(ImageFormat.UNKNOWN, problems=(too_large,)))
        return Buffered(head, _guarded(inspect, _image_failed))
