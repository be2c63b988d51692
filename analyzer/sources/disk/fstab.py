"""``/etc/fstab`` of the root, and finding the volume an fstab or kernel ``root=`` names.

Volumes are named by ``UUID=``, ``LABEL=``, ``PARTUUID=``, ``PARTLABEL=`` or device path
(``/dev/sda2``, ``/dev/mapper/VG-LV``, ``/dev/VG/LV``, ``/dev/disk/by-*/...``); swap, pseudo
and network entries are skipped.
"""

from __future__ import annotations

import re

from analyzer.sources.disk.fsbase import READ_ERRORS, FileSystem, read_file
from analyzer.sources.disk.layout import Volume

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
_DEVICE = re.compile(r"^/dev/(?:[a-z]+|nvme\d+n\d+p|mmcblk\d+p)(\d+)$")


def fstab(fs: FileSystem) -> list[tuple[str, str, str]]:
    """``(spec, mount point, options)`` of the on-disk entries of ``fs``'s ``/etc/fstab``."""
    try:
        raw = read_file(fs, "/etc/fstab")
    except READ_ERRORS:
        return []
    entries: list[tuple[str, str, str]] = []
    for line in (raw or b"").decode("utf-8", "replace").splitlines():
        fields = line.split("#", 1)[0].split()
        if len(fields) < 3:
            continue
        spec, point, fstype = (unescape(f) for f in fields[:3])
        options = fields[3] if len(fields) > 3 else "defaults"
        if fstype in _SKIP_TYPES or fstype.startswith("fuse") or not point.startswith("/"):
            continue
        point = "/" + "/".join(p for p in point.split("/") if p and p not in (".", ".."))
        entries.append((spec, point, options))
    return entries


def unescape(text: str) -> str:
    """Undo fstab's octal escapes (a space is written as a backslash and ``040``)."""
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), text)


def resolve(spec: str, volumes: list[Volume]) -> Volume | None:
    """The volume an fstab or ``root=`` spec names, or ``None``."""
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
