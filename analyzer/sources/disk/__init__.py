"""VM disk images as a source: image format -> partitions / LVM -> file systems -> mounted tree.

Public API:

- :func:`sniff` tells whether a probed input looks like a disk image we read;
- :class:`DiskSource` opens it read-only and yields one :class:`LayerStream` per mounted file
  system, root first, then the others by mount-point depth. Entry names are in-image absolute
  paths (a ``/boot`` partition's ``vmlinuz`` is ``/boot/vmlinuz``). Every layer skips the
  subtrees that a deeper mount covers (it still emits the mount-point directory itself), and
  each mounted layer starts with its mount-point directory, so the squashed tree shows the
  mounted content only, as the booted system would.

Formats: raw, qcow2 (v2/v3, zlib/zstd compressed clusters, backing files; see :mod:`refs`
for which files an image may name), vmdk (sparse,
streamOptimized, descriptors with flat/sparse extents, OVA), vhd (fixed, dynamic), vhdx.
Volumes: MBR with logical partitions, GPT, linear LVM2. File systems: ext2/3/4, XFS, FAT,
btrfs (single device; subvolumes mounted as ``subvol=`` / ``subvolid=`` in fstab say).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from analyzer.errors import SourceError
from analyzer.model import JSONObject, LayerInfo, Notification
from analyzer.sources.disk import formats, signatures
from analyzer.sources.disk.assemble import discover, mount
from analyzer.sources.disk.device import Device
from analyzer.sources.disk.fsbase import CORRUPT, Walk
from analyzer.sources.disk.layout import Layout, Volume
from analyzer.sources.disk.refs import References
from analyzer.sources.disk.vhd import COOKIE
from analyzer.sources.disk.volumes import has_table
from analyzer.sources.probe import Probe
from analyzer.stream.entry import LayerStream

__all__ = ["DiskSource", "sniff"]


def sniff(probe: Probe) -> bool:
    """Tell whether a probed input is a disk image this source reads.

    That is: an image format (a fixed VHD by its footer), a partition table at 512- or
    4096-byte sectors, or a bare volume of any type in
    :data:`~analyzer.sources.disk.signatures.SIGNATURES`.
    """
    try:
        if probe.size >= 512 and probe.read(probe.size - 512, 8) == COOKIE:
            return True
        if probe.path.lower().endswith(".ova") and probe.read(257, 5) == b"ustar":
            return True
        return _looks_like_disk(probe)
    except SourceError:
        return False


def _looks_like_disk(device: Device) -> bool:
    head = device.read(0, formats.HEAD)
    if formats.detect(head) not in ("raw", "ova"):
        return True
    if head[257:262] == b"ustar":
        return False
    return has_table(device) or signatures.match(device) is not None


class DiskSource:
    """A VM disk image opened read-only; see the package docstring for what it yields."""

    def __init__(self, path: str, backing_files: tuple[str, ...] = ()) -> None:
        """``backing_files`` are host files the image may name as backing files or extents."""
        self.path = path
        self.name = os.path.basename(path)
        self.notifications: list[Notification] = []
        self._image = formats.open_image(path, References(backing_files))
        try:
            self._layout: Layout = discover(self._image.device, self.name, self._image.sector)
            mount(self._layout, self.name)
        except CORRUPT as exc:
            self._image.close()
            raise SourceError(f"{self.name}: corrupt disk image: {exc}") from exc
        except SourceError:
            self._image.close()
            raise
        self.notifications.extend(self._layout.notifications)

    def layers(self) -> Iterator[LayerStream]:
        """One random-access layer per mounted file system, root first."""
        mounts = self._layout.mounts
        for volume in mounts:
            point = volume.mountpoint or "/"
            hidden = frozenset(
                v.mountpoint
                for v in mounts
                if v.mountpoint and v is not volume and _under(v.mountpoint, point)
            )
            yield self._stream(volume, point, hidden)

    def _stream(self, volume: Volume, point: str, hidden: frozenset[str]) -> LayerStream:
        fs = volume.fs
        if fs is None:
            raise SourceError(f"{self.name}: {volume.id} has no readable file system")
        layer = f"{self.name}:{volume.id}"
        walk = Walk(fs, point, layer, hidden, self.notifications)
        details = [fs.fstype]
        if fs.uuid:
            details.append(f"UUID={fs.uuid}")
        if fs.label:
            details.append(f"LABEL={fs.label}")
        description = f"{volume.id} ({', '.join(details)}) on {point}"
        return LayerStream(
            LayerInfo(layer, description, mountpoint=point), walk.entries(), random_access=True
        )

    def facts(self) -> JSONObject:
        """Format, virtual size, partitions and file systems, as JSON-able values."""
        return {
            "format": self._image.format,
            "virtual_size": self._image.device.size,
            "partition_table": self._layout.scheme,
            "sector_size": self._layout.sector,
            "partitions": [p.as_fact() for p in self._layout.partitions],
            "filesystems": [v.as_fact() for v in self._filesystems()],
            "root": self._layout.root.as_fact() if self._layout.root else None,
        }

    def _filesystems(self) -> list[Volume]:
        """Every volume with content; a btrfs volume as each of its mounted subvolumes."""
        out: list[Volume] = []
        for volume in self._layout.volumes:
            views = [v for v in self._layout.mounts if v.device is volume.device]
            if views and volume not in views:
                out += views
            elif volume.content:
                out.append(volume)
        return out

    def close(self) -> None:
        """Close the image and every file it opened."""
        self._image.close()


def _under(path: str, top: str) -> bool:
    return path != top and (top == "/" or path.startswith(top + "/"))
