"""Find the volumes on a disk, open their file systems and mount them as the image's fstab says.

The root file system is the one holding ``/etc/fstab`` and an ``os-release`` (a GPT root
partition type wins a tie). Its ``/etc/fstab`` names the others by ``UUID=``, ``LABEL=``,
``PARTUUID=``, ``PARTLABEL=`` or device path (``/dev/sda2``, ``/dev/mapper/VG-LV``,
``/dev/VG/LV``, ``/dev/disk/by-*/...``); swap, pseudo, network and bind entries are skipped,
``noauto`` ones are mounted since they are on the disk. Everything that cannot be read or
placed becomes a :class:`Notification`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from analyzer.errors import SourceError
from analyzer.model import Level, Notification
from analyzer.sources.disk import lvm
from analyzer.sources.disk.device import Device, SliceDevice
from analyzer.sources.disk.fsbase import READ_ERRORS, FileSystem, Notes, lookup, read_file
from analyzer.sources.disk.signatures import match, open_filesystem
from analyzer.sources.disk.volumes import ROOT_TYPES, Partition, read_table

#: fstab types that are not on the disk: swap, pseudo and network file systems.
_SKIP_TYPES = frozenset(
    {
        "swap",
        "none",
        "proc",
        "sysfs",
        "tmpfs",
        "devtmpfs",
        "devpts",
        "cgroup",
        "cgroup2",
        "securityfs",
        "debugfs",
        "tracefs",
        "mqueue",
        "hugetlbfs",
        "configfs",
        "fusectl",
        "pstore",
        "efivarfs",
        "bpf",
        "autofs",
        "binfmt_misc",
        "ramfs",
        "rpc_pipefs",
        "nfs",
        "nfs4",
        "cifs",
        "smb3",
        "smbfs",
        "sshfs",
        "9p",
        "glusterfs",
        "ceph",
        "virtiofs",
        "davfs",
        "nfsd",
        "overlay",
    }
)
_OS_RELEASE = ("/etc/os-release", "/usr/lib/os-release")
_DEVICE = re.compile(r"^/dev/(?:[a-z]+|nvme\d+n\d+p|mmcblk\d+p)(\d+)$")


@dataclass
class Volume:
    """A readable unit of the disk: the whole disk, a partition or a logical volume."""

    id: str
    device: Device
    partition: Partition | None = None
    lv: lvm.LogicalVolume | None = None
    content: str | None = None
    description: str | None = None
    fs: FileSystem | None = None
    mountpoint: str | None = None

    def as_fact(self) -> dict[str, object]:
        """Describe the volume and its file system as a JSON-able dict."""
        return {
            "volume": self.id,
            "type": self.fs.fstype if self.fs else self.content,
            "uuid": self.fs.uuid if self.fs else None,
            "label": self.fs.label if self.fs else None,
            "partuuid": self.partition.partuuid if self.partition else None,
            "mountpoint": self.mountpoint,
            "size": self.device.size,
        }


@dataclass
class Layout:
    """What was found on the disk, and which volume is mounted where."""

    scheme: str = "none"
    partitions: list[Partition] = field(default_factory=list)
    volumes: list[Volume] = field(default_factory=list)
    mounts: list[Volume] = field(default_factory=list)
    notifications: list[Notification] = field(default_factory=list)

    def note(self, level: Level, code: str, message: str) -> None:
        """Record a notification."""
        self.notifications.append(Notification(level, code, message))


def discover(disk: Device, name: str) -> Layout:
    """Read the partition table and LVM metadata, and open every file system found."""
    layout = Layout()
    layout.scheme, layout.partitions = read_table(disk, name)
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
    try:
        unit.fs = open_filesystem(unit.device, unit.content, notes.volume, notes)
    except SourceError as exc:
        layout.note(Level.ERROR, "disk.filesystem", f"{exc}; its files are not scanned")
        return
    if unit.fs is None and unit.content not in (None, "swap", "LVM2_member"):
        layout.note(
            Level.WARNING,
            "disk.filesystem.unsupported",
            f"{notes.volume}: {unit.description} ({unit.content}) is not supported; "
            "its files are not scanned",
        )


def _is_root(fs: FileSystem) -> bool:
    has_release = any(lookup(fs, path) for path in _OS_RELEASE)
    return has_release and lookup(fs, "/etc/fstab") is not None


def mount(layout: Layout, name: str) -> None:
    """Choose the root, read its fstab and fill ``layout.mounts`` (root first, then by depth)."""
    readable = [v for v in layout.volumes if v.fs is not None]
    if not readable:
        found = ", ".join(f"{v.id}: {v.description}" for v in layout.volumes if v.content)
        raise SourceError(
            f"{name}: no readable file system found" + (f" ({found})" if found else "")
        )
    roots: list[Volume] = []
    for volume in readable:
        try:
            if volume.fs is not None and _is_root(volume.fs):
                roots.append(volume)
        except READ_ERRORS as exc:
            layout.note(Level.ERROR, "disk.filesystem", f"{name}:{volume.id}: unreadable: {exc}")
    roots.sort(key=lambda v: not (v.partition and v.partition.type in ROOT_TYPES))
    if roots:
        root = roots[0]
    else:
        root = readable[0]
        layout.note(
            Level.WARNING,
            "disk.root",
            f"{name}: no file system holds /etc/fstab and os-release; "
            f"scanning {root.id} as the root",
        )
    root.mountpoint = "/"
    mounted: list[Volume] = [root]
    for spec, point, options in _fstab(root.fs) if root.fs else []:
        target = _resolve(spec, layout.volumes)
        if point == "/" or "bind" in options.split(","):
            continue
        if target is None or target.fs is None:
            why = "no such volume in the image" if target is None else "not readable"
            layout.note(Level.WARNING, "disk.fstab", f"{name}: fstab {spec} on {point}: {why}")
            continue
        if target.mountpoint is not None:
            continue
        target.mountpoint = point
        mounted.append(target)
    for volume in readable:
        if volume.mountpoint is None:
            layout.note(
                Level.NOTE,
                "disk.unmounted",
                f"{name}:{volume.id} ({volume.fs.fstype if volume.fs else '?'}) is not "
                "mounted by /etc/fstab; its files are not scanned",
            )
    layout.mounts = sorted(mounted, key=lambda v: _depth(v.mountpoint or "/"))


def _depth(path: str) -> int:
    return 0 if path == "/" else path.count("/")


def _fstab(fs: FileSystem) -> list[tuple[str, str, str]]:
    try:
        raw = read_file(fs, "/etc/fstab")
    except READ_ERRORS:
        return []
    entries: list[tuple[str, str, str]] = []
    for line in (raw or b"").decode("utf-8", "replace").splitlines():
        fields = line.split("#", 1)[0].split()
        if len(fields) < 3:
            continue
        spec, point, fstype = (_unescape(f) for f in fields[:3])
        options = fields[3] if len(fields) > 3 else "defaults"
        if fstype in _SKIP_TYPES or fstype.startswith("fuse") or not point.startswith("/"):
            continue
        point = "/" + "/".join(p for p in point.split("/") if p and p not in (".", ".."))
        entries.append((spec, point, options))
    return entries


def _unescape(text: str) -> str:
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), text)


def _resolve(spec: str, volumes: list[Volume]) -> Volume | None:
    key, _, value = spec.partition("=")
    for prefix, kind in (
        ("/dev/disk/by-uuid/", "UUID"),
        ("/dev/disk/by-label/", "LABEL"),
        ("/dev/disk/by-partuuid/", "PARTUUID"),
        ("/dev/disk/by-partlabel/", "PARTLABEL"),
    ):
        if spec.startswith(prefix):
            key, value = kind, spec[len(prefix) :]
    value = value.strip('"')
    for volume in volumes:
        fs, part = volume.fs, volume.partition
        if (
            (key == "UUID" and fs and (fs.uuid or "").lower() == value.lower())
            or (key == "LABEL" and fs and fs.label == value)
            or (key == "PARTUUID" and part and (part.partuuid or "").lower() == value.lower())
            or (key == "PARTLABEL" and part and part.label == value)
        ):
            return volume
    if spec.startswith("/dev/"):
        return _by_device(spec, volumes)
    return None


def _by_device(spec: str, volumes: list[Volume]) -> Volume | None:
    for volume in volumes:
        lv = volume.lv
        if lv is None:
            continue
        mapper = f"/dev/mapper/{lv.vg.replace('-', '--')}-{lv.name.replace('-', '--')}"
        if spec in (mapper, f"/dev/{lv.vg}/{lv.name}"):
            return volume
    match = _DEVICE.match(spec)
    if match:
        index = int(match.group(1))
        for volume in volumes:
            if volume.partition and volume.partition.index == index:
                return volume
    return None
