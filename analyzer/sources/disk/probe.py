"""Tell what a volume holds by its magic bytes, and open the file systems we can read."""

from __future__ import annotations

from analyzer.errors import SourceError
from analyzer.sources.disk import ext4, fat, xfs
from analyzer.sources.disk.device import Device
from analyzer.sources.disk.fsbase import CORRUPT, FileSystem

#: ``(offset, magic, name)`` of contents we recognise but do not read.
_OTHERS = (
    (0, b"LUKS\xba\xbe", "crypto_LUKS"),
    (0x10040, b"_BHRfS_M", "btrfs"),
    (4086, b"SWAPSPACE2", "swap"),
    (65526, b"SWAPSPACE2", "swap"),
    (0, b"hsqs", "squashfs"),
    (0x8001, b"CD001", "iso9660"),
    (3, b"NTFS    ", "ntfs"),
    (0, b"ZFS", "zfs"),
)


def identify(device: Device) -> str | None:
    """Return the name of the file system (or other content) on ``device``, or ``None``."""
    if device.read(ext4.MAGIC_AT, 2) == ext4.MAGIC_BYTES:
        return "ext"
    if device.read(0, 4) == xfs.MAGIC:
        return "xfs"
    boot = device.read(0, 512)
    if (
        len(boot) == 512
        and boot[510:512] == b"\x55\xaa"
        and (boot[54:59] in (b"FAT12", b"FAT16", b"FAT  ") or boot[82:87] == b"FAT32")
    ):
        return "vfat"
    if any(device.read(n, 512)[:8] == b"LABELONE" for n in (0, 512, 1024, 1536)):
        return "LVM2_member"
    for offset, magic, name in _OTHERS:
        if device.read(offset, len(magic)) == magic:
            return name
    return None


def open_filesystem(device: Device, kind: str | None, name: str) -> FileSystem | None:
    """Open a reader for ``kind`` (from :func:`identify`), or ``None`` when we have none.

    Raises :class:`SourceError` when the superblock is corrupt.
    """
    try:
        if kind == "ext":
            return ext4.ExtFileSystem(device, name)
        if kind == "xfs":
            return xfs.XfsFileSystem(device, name)
        if kind == "vfat":
            return fat.FatFileSystem(device, name)
    except CORRUPT as exc:
        raise SourceError(f"{name}: corrupt {kind} superblock: {exc}") from exc
    return None
