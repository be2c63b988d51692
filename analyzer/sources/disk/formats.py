"""Recognise a disk image format by its magic bytes and open its virtual disk as a device."""

from __future__ import annotations

import tarfile
from dataclasses import dataclass, field

from analyzer.errors import SourceError
from analyzer.sources.disk import qcow2, vhd, vhdx, vmdk
from analyzer.sources.disk.device import Device, FileDevice, GatedDevice
from analyzer.sources.disk.refs import References

#: Head bytes that :func:`detect` looks at.
HEAD = 4096
#: Longest chain of qcow2 images each backed by the next.
MAX_BACKING_DEPTH = 16

Opened = tuple[str, Device]


@dataclass
class Image:
    """An opened disk image: its virtual disk, its format name and the files it holds open."""

    device: Device
    format: str
    files: list[FileDevice] = field(default_factory=list)
    #: The logical sector size the format records (VHDX metadata), ``None`` when it has none.
    sector: int | None = None

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


def open_image(path: str, references: References | None = None) -> Image:
    """Open ``path`` read-only as a virtual disk; files it names are opened per ``references``.

    After :meth:`Image.close` every read raises.
    """
    file = FileDevice(path)
    image = Image(file, "raw", [file])
    try:
        image.format, image.device = _open(file, references or References(), image.files, 0)
        if isinstance(image.device, vhdx.VhdxDevice):
            image.sector = image.device.layout.logical_sector
    except SourceError:
        image.close()
        raise
    except (ValueError, OverflowError, MemoryError) as exc:
        image.close()
        raise SourceError(f"{file.name}: corrupt {image.format} image: {exc}") from exc
    image.device = GatedDevice(image.device, file.name)
    return image


def _open(file: FileDevice, refs: References, files: list[FileDevice], depth: int) -> Opened:
    """The format of ``file``, probed by content, and its virtual disk."""
    tail = file.read(file.size - 512, 512) if file.size >= 512 else b""
    kind = detect(file.read(0, HEAD), tail)
    if kind == "qcow2":

        def backing(reference: str) -> Device:
            if depth >= MAX_BACKING_DEPTH:
                raise SourceError(
                    f"{file.name}: backing file chain deeper than {MAX_BACKING_DEPTH}"
                )
            base = refs.open(file.path, reference, "backing file")
            files.append(base)
            return _open(base, refs, files, depth + 1)[1]

        return kind, qcow2.Qcow2Device(file, backing)
    if kind == "vmdk":
        return kind, vmdk.open_sparse(file)
    if kind == "vmdk-descriptor":
        return "vmdk", vmdk.open_descriptor_file(file, refs, files)
    if kind == "vhdx":
        return kind, vhdx.VhdxDevice(file, file.name)
    if kind == "vhd":
        return kind, vhd.open_vhd(file, file.name)
    if kind == "ova":
        return kind, _ova(file)
    return kind, file


def _ova(file: FileDevice) -> Device:
    try:
        is_tar = tarfile.is_tarfile(file.path)
    except OSError as exc:
        raise SourceError(f"{file.name}: cannot read: {exc}") from exc
    if not is_tar:
        return file
    return vmdk.open_ova(file)
