"""The one table of file-system and volume signatures: detection and opening both read it.

:data:`SIGNATURES` lists, in the order they are tried, what a volume can hold: file systems
we read (with the reader that opens them), and volumes or file systems we only name (LVM and
MD members, LUKS, swap, squashfs, ZFS, bcache, ...) so that they are reported as what
they are instead of being mistaken for something else or for empty space. :func:`match`
tells what a device holds; detection (:func:`analyzer.sources.disk.sniff`) asks it whether a
probed file is a bare volume.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass

from analyzer.errors import CorruptImage
from analyzer.sources.disk import btrfs, btrfs_tree, ext4, fat, xfs
from analyzer.sources.disk.device import Device
from analyzer.sources.disk.fsbase import CORRUPT, FileSystem, Notes

#: Opens a file system: ``(device, volume name, notes)``.
Opener = Callable[[Device, str, Notes], FileSystem]
#: Page sizes whose last ten bytes hold a swap signature.
_SWAP_PAGES = (4096, 8192, 16384, 65536)
_BCACHE_MAGIC = bytes.fromhex("c68573f64e1a45ca8265f57f48ba6d81")
_ZFS_UBERBLOCK = 0x00BAB10C
_MD_MAGIC = 0xA92B4EFC
#: The first bytes of a LUKS header (any version; the next two bytes hold it).
LUKS_MAGIC = b"LUKS\xba\xbe"


@dataclass(frozen=True, slots=True)
class Signature:
    """What a volume can hold: a name (blkid's ``TYPE``), how to recognise it, how to open it.

    ``opener`` is ``None`` for contents no reader here reads; they are named, not scanned.
    """

    name: str
    description: str
    test: Callable[[Device], bool]
    opener: Opener | None = None


def _at(offset: int, magic: bytes) -> Callable[[Device], bool]:
    def test(device: Device) -> bool:
        return device.read(offset, len(magic)) == magic

    return test


def _is_fat(device: Device) -> bool:
    boot = device.read(0, 512)
    return (
        len(boot) == 512
        and boot[510:512] == b"\x55\xaa"
        and (boot[54:59] in (b"FAT12", b"FAT16", b"FAT  ") or boot[82:87] == b"FAT32")
    )


def _is_lvm(device: Device) -> bool:
    return any(device.read(n, 8) == b"LABELONE" for n in (0, 512, 1024, 1536))


def _luks(version: int) -> Callable[[Device], bool]:
    def test(device: Device) -> bool:
        head = device.read(0, 8)
        return head[:6] == LUKS_MAGIC and head[6:8] == version.to_bytes(2, "big")

    return test


def _is_swap(device: Device) -> bool:
    return any(device.read(page - 10, 10) in (b"SWAPSPACE2", b"SWAP-SPACE") for page in _SWAP_PAGES)


def _is_zfs(device: Device) -> bool:
    """A ZFS label: an uberblock magic in the first label's uberblock ring (128 KiB in)."""
    for slot in range(0, 128 << 10, 1 << 10):
        raw = device.read((128 << 10) + slot, 8)
        if len(raw) == 8 and _ZFS_UBERBLOCK in struct.unpack("<Q", raw) + struct.unpack(">Q", raw):
            return True
    return False


def _is_md(device: Device) -> bool:
    """An MD RAID member with a 1.1 or 1.2 superblock (at 0 or 4 KiB)."""
    return any(device.read(at, 4) == struct.pack("<I", _MD_MAGIC) for at in (0, 4096))


def _ext(device: Device, name: str, notes: Notes) -> FileSystem:
    return ext4.ExtFileSystem(device, name, notes)


def _xfs(device: Device, name: str, notes: Notes) -> FileSystem:
    return xfs.XfsFileSystem(device, name, notes)


def _btrfs(device: Device, name: str, notes: Notes) -> FileSystem:
    return btrfs.BtrfsFileSystem(device, name, notes)


def _fat(device: Device, name: str, notes: Notes) -> FileSystem:
    return fat.FatFileSystem(device, name)


#: Every signature, in the order tried (the first that matches names the volume).
SIGNATURES: tuple[Signature, ...] = (
    Signature("ext", "ext2/3/4 file system", _at(ext4.MAGIC_AT, ext4.MAGIC_BYTES), _ext),
    Signature("xfs", "XFS file system", _at(0, xfs.MAGIC), _xfs),
    Signature("vfat", "FAT file system", _is_fat, _fat),
    Signature("LVM2_member", "LVM2 physical volume", _is_lvm),
    Signature("crypto_LUKS", "LUKS1-encrypted volume", _luks(1)),
    Signature("crypto_LUKS", "LUKS2-encrypted volume", _luks(2)),
    Signature("btrfs", "btrfs file system", _at(btrfs_tree.MAGIC_AT, btrfs_tree.MAGIC), _btrfs),
    Signature("swap", "swap space", _is_swap),
    Signature("squashfs", "squashfs file system", _at(0, b"hsqs")),
    Signature("erofs", "EROFS file system", _at(1024, bytes.fromhex("e2e1f5e0"))),
    Signature("f2fs", "F2FS file system", _at(1024, bytes.fromhex("1020f5f2"))),
    Signature("bcache", "bcache device", _at(4096 + 24, _BCACHE_MAGIC)),
    Signature("linux_raid_member", "MD RAID member", _is_md),
    Signature("iso9660", "ISO 9660 file system", _at(0x8001, b"CD001")),
    Signature("ntfs", "NTFS file system", _at(3, b"NTFS    ")),
    Signature("zfs_member", "ZFS pool member", _is_zfs),
)


def match(device: Device) -> Signature | None:
    """The first signature that ``device`` matches, or ``None``."""
    for signature in SIGNATURES:
        if signature.test(device):
            return signature
    return None


def identify(device: Device) -> str | None:
    """The name of what ``device`` holds (``ext``, ``xfs``, ``LVM2_member``, ...), or ``None``."""
    found = match(device)
    return found.name if found else None


def describe(device: Device) -> str | None:
    """A human description of what ``device`` holds (``LUKS2-encrypted volume``), or ``None``."""
    found = match(device)
    return found.description if found else None


def opener(name: str | None) -> Opener | None:
    """The reader registered for contents named ``name``, or ``None``."""
    for signature in SIGNATURES:
        if signature.name == name and signature.opener is not None:
            return signature.opener
    return None


def open_filesystem(device: Device, kind: str | None, name: str, notes: Notes) -> FileSystem | None:
    """Open the reader registered for ``kind`` (from :func:`identify`), or ``None``.

    Raises :class:`SourceError` when the file system is corrupt, and
    :class:`~analyzer.errors.UnsupportedFeature` naming the feature it cannot read.
    """
    open_ = opener(kind)
    if open_ is None:
        return None
    try:
        return open_(device, name, notes)
    except CORRUPT as exc:
        raise CorruptImage(f"{name}: corrupt {kind} superblock: {exc}") from exc
