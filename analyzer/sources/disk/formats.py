"""Recognise a disk image format by its magic bytes and open its virtual disk as a device."""

from __future__ import annotations

import tarfile
from dataclasses import dataclass, field

from analyzer.errors import SourceError
from analyzer.sources.disk import qcow2, vhd, vhdx, vmdk
from analyzer.sources.disk.device import Device, FileDevice

#: Head bytes that :func:`detect` looks at.
HEAD = 4096


@dataclass
class Image:
    """An opened disk image: its virtual disk, its format name and the files it holds open."""

    device: Device
    format: str
    files: list[FileDevice] = field(default_factory=list)

    def close(self) -> None:
        """Close every file the image opened."""
        for file in self.files:
            file.close()
        closer = getattr(self.device, "close", None)
        if callable(closer):
            closer()


def detect(head: bytes, tail: bytes = b"") -> str:
    """Format name from the first bytes (and the last 512 for VHD); ``raw`` when none match."""
    if head.startswith(qcow2.MAGIC):
        return "qcow2"
    if head.startswith(vmdk.MAGIC):
        return "vmdk"
    if head.lstrip(b"\xef\xbb\xbf").startswith(vmdk.DESCRIPTOR):
        return "vmdk-descriptor"
    if head.startswith(vhdx.SIGNATURE):
        return "vhdx"
    if head.startswith(vhd.COOKIE) or tail.startswith(vhd.COOKIE):
        return "vhd"
    if len(head) >= 512 and head[257:262] == b"ustar":
        return "ova"
    return "raw"


def open_image(path: str, backing: str | None = None) -> Image:
    """Open ``path`` read-only as a virtual disk."""
    file = FileDevice(path)
    image = Image(file, "raw", [file])
    try:
        tail = file.read(file.size - 512, 512) if file.size >= 512 else b""
        kind = detect(file.read(0, HEAD), tail)
        image.format = kind
        if kind == "qcow2":
            image.device = qcow2.Qcow2Device(file, path, backing)
        elif kind == "vmdk":
            image.device = vmdk.open_sparse(file)
        elif kind == "vmdk-descriptor":
            image.device = vmdk.open_descriptor_file(file, path, image.files)
            image.format = "vmdk"
        elif kind == "vhdx":
            image.device = vhdx.VhdxDevice(file, file.name)
        elif kind == "vhd":
            image.device = vhd.open_vhd(file, file.name)
        elif kind == "ova":
            image.device = _ova(file, path)
    except SourceError:
        image.close()
        raise
    except (ValueError, OverflowError, MemoryError) as exc:
        image.close()
        raise SourceError(f"{file.name}: corrupt {kind} image: {exc}") from exc
    return image


def _ova(file: FileDevice, path: str) -> Device:
    try:
        is_tar = tarfile.is_tarfile(path)
    except OSError as exc:
        raise SourceError(f"{file.name}: cannot read: {exc}") from exc
    if not is_tar:
        return file
    return vmdk.open_ova(file, path)
