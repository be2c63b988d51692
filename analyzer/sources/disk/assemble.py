"""Find the volumes on a disk, open their file systems and mount them as the image's fstab says.

The root is chosen by :mod:`rootfind` (kernel command line, its own fstab, GPT type; a
heuristic choice is labelled, and no readable root ends the scan). Its ``/etc/fstab`` names
the others (see :mod:`fstab`); btrfs entries mount the subvolume their ``subvol=`` /
``subvolid=`` option names. ``noauto`` entries are mounted since they are on the disk; one that
names no volume of the image (``/dev/cdrom``, ``/dev/usbdisk``: removable media) is left out
quietly, as the system leaves it unmounted. Without an fstab, the partitions of the
Discoverable Partitions types are mounted where systemd would.
Everything that cannot be read or placed becomes a :class:`Notification`.
"""

from __future__ import annotations

from analyzer.errors import SourceError
from analyzer.model import Level
from analyzer.sources.disk import lvm
from analyzer.sources.disk.btrfs import BtrfsFileSystem
from analyzer.sources.disk.device import Device, SliceDevice
from analyzer.sources.disk.fsbase import READ_ERRORS, Notes
from analyzer.sources.disk.fstab import fstab, resolve
from analyzer.sources.disk.layout import Layout, Volume
from analyzer.sources.disk.rootfind import (
    at_subvolume,
    choose_root,
    luks_uuid,
    luks_version,
    same_volume,
)
from analyzer.sources.disk.signatures import match, open_filesystem
from analyzer.sources.disk.volumes import DISCOVERABLE, ROOT_TYPES, read_table


def discover(disk: Device, name: str, sector: int | None = None) -> Layout:
    """Read the partition table and LVM metadata, and open every file system found.

    ``sector`` is the disk's logical sector size when the image format records it.
    """
    layout = Layout()
    table = read_table(disk, name, sector)
    layout.scheme, layout.partitions = table.scheme, table.partitions
    layout.sector = table.sector
    for warning in table.warnings:
        layout.note(Level.WARNING, "disk.table.truncated", warning)
    units: list[Volume] = [
        Volume(f"part{p.index}", SliceDevice(disk, p.start, p.size), p) for p in layout.partitions
    ] or [Volume("disk", disk)]
    pvs: list[lvm.PhysicalVolume] = []
    for unit in units:
        _identify(unit)
        if unit.content == "LVM2_member":
            try:
                pv = lvm.probe(unit.device, f"{name}:{unit.id}")
            except SourceError as exc:
                layout.note(Level.WARNING, "disk.lvm", str(exc))
                continue
            if pv is not None:
                pvs.append(pv)
    if pvs:
        try:
            lvs, problems = lvm.logical_volumes(pvs)
        except SourceError as exc:
            lvs, problems = [], [f"{name}: {exc}"]
        for problem in problems:
            layout.note(Level.WARNING, "disk.lvm.unsupported", f"{name}: {problem}")
        for lv in lvs:
            units.append(Volume(f"lv:{lv.vg}/{lv.name}", lv.device, lv=lv))
            _identify(units[-1])
    for unit in units:
        _open(unit, name, layout)
    layout.volumes = units
    return layout


def _identify(unit: Volume) -> None:
    found = match(unit.device)
    if found is not None:
        unit.content, unit.description = found.name, found.description


def _open(unit: Volume, name: str, layout: Layout) -> None:
    notes = Notes(f"{name}:{unit.id}", layout.notifications)
    if unit.content == "crypto_LUKS":
        header = unit.device.read(0, 512)
        unit.encrypted = f"LUKS{luks_version(header)}"
        unit.crypt_uuid = luks_uuid(header)
        unit.problem = "cannot be read without its key"
        layout.note(
            Level.WARNING,
            "disk.encrypted",
            f"{notes.volume}: {unit.encrypted}-encrypted: {unit.problem}; "
            "its files are not scanned",
        )
        return
    try:
        unit.fs = open_filesystem(unit.device, unit.content, notes.volume, notes)
    except SourceError as exc:
        unit.problem = str(exc).removeprefix(f"{notes.volume}: ")
        layout.note(Level.ERROR, "disk.filesystem", f"{exc}; its files are not scanned")
        return
    if unit.fs is None and unit.content not in (None, "swap", "LVM2_member"):
        unit.problem = "not supported"
        layout.note(
            Level.WARNING,
            "disk.filesystem.unsupported",
            f"{notes.volume}: {unit.description} ({unit.content}) is not supported; "
            "its files are not scanned",
        )


def mount(layout: Layout, name: str) -> None:
    """Choose the root, read its fstab and fill ``layout.mounts`` (root first, then by depth)."""
    if not any(v.fs is not None for v in layout.volumes):
        found = "; ".join(v.summary() for v in layout.volumes if v.content)
        raise SourceError(
            f"{name}: no readable file system found" + (f" ({found})" if found else "")
        )
    root = choose_root(layout, name)
    layout.root = root
    if root.heuristic:
        layout.note(
            Level.WARNING, "disk.root", f"{name}: {root.volume.id} scanned as the root: {root.how}"
        )
    root.volume.mountpoint = "/"
    mounted: list[Volume] = [root.volume]
    entries = fstab(root.volume.fs) if root.volume.fs else []
    for spec, point, options in entries or _discoverable(layout, root.volume):
        target = resolve(spec, layout.volumes)
        if point == "/" or "bind" in options.split(","):
            continue
        if target is None and "noauto" in options.split(","):
            continue
        if target is None or target.fs is None:
            why = "no such volume in the image" if target is None else _why(target)
            layout.note(Level.WARNING, "disk.fstab", f"{name}: fstab {spec} on {point}: {why}")
            continue
        try:
            target = at_subvolume(target, options)
        except READ_ERRORS as exc:
            layout.note(Level.WARNING, "disk.fstab", f"{name}: fstab {spec} on {point}: {exc}")
            continue
        if target.mountpoint is not None or any(same_volume(v, target) for v in mounted):
            continue
        target.mountpoint = point
        mounted.append(target)
    _skip_nested(mounted, layout, name)
    for volume in layout.volumes:
        if volume.fs is not None and not any(v.device is volume.device for v in mounted):
            layout.note(
                Level.NOTE,
                "disk.unmounted",
                f"{name}:{volume.id} ({volume.fs.fstype}) is not "
                "mounted by /etc/fstab; its files are not scanned",
            )
    layout.mounts = sorted(mounted, key=lambda v: _depth(v.mountpoint or "/"))


def _why(volume: Volume) -> str:
    return volume.problem or "not readable"


def _discoverable(layout: Layout, root: Volume) -> list[tuple[str, str, str]]:
    """fstab-like entries for the partitions systemd mounts by type when there is no fstab."""
    if root.partition is None or root.partition.type not in ROOT_TYPES:
        return []
    return [
        (f"PARTUUID={p.partuuid}", DISCOVERABLE[p.type][1], "defaults")
        for p in layout.partitions
        if p.type in DISCOVERABLE and p.partuuid
    ]


def _skip_nested(mounted: list[Volume], layout: Layout, name: str) -> None:
    """Keep btrfs walks out of subvolumes mounted elsewhere and out of snapshots."""
    for volume in mounted:
        fs = volume.fs
        if not isinstance(fs, BtrfsFileSystem):
            continue
        others = {
            v.fs.subvolume
            for v in mounted
            if v is not volume and isinstance(v.fs, BtrfsFileSystem) and v.device is volume.device
        }
        try:
            snapshots = [s for s in fs.subvolumes() if s.snapshot and s.id != fs.subvolume]
        except READ_ERRORS as exc:
            layout.note(Level.ERROR, "disk.filesystem", f"{name}:{volume.id}: {exc}")
            snapshots = []
        fs.skip = frozenset(others | {s.id for s in snapshots})
        if snapshots and volume is mounted[0]:
            listed = ", ".join(s.path for s in snapshots)
            layout.note(
                Level.NOTE,
                "disk.btrfs.snapshots",
                f"{name}:{volume.id}: btrfs snapshots are not scanned: {listed}",
            )


def _depth(path: str) -> int:
    return 0 if path == "/" else path.count("/")
