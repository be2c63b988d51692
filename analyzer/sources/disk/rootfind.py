"""Choose the root file system of a disk the way its boot would, or say why none can be read.

A volume *holds a root* when it has an ``os-release`` (``/etc`` or ``/usr/lib``) and either
``/etc/fstab`` or an init. Evidence, strongest first:

1. ``root=`` (with ``rootflags=subvol=``/``subvolid=``) on a kernel command line of the disk
   (see :mod:`bootargs`); a ``root=`` or ``rd.luks.uuid=`` naming a LUKS volume ends the
   scan with ``root is LUKS2-encrypted: cannot be read without its key``;
2. a volume holding a root whose own ``/etc/fstab`` mounts it on ``/``;
3. the GPT partition type of the root (Discoverable Partitions Specification), as systemd
   takes it: without looking inside (its ``os-release`` may be on a ``/usr`` partition);
4. the only volume holding a root, or the only file system of the disk: a heuristic, which
   :class:`Root` labels so that reports name it.

When nothing holds a root, :func:`choose_root` raises :class:`SourceError` naming every
volume and why it is not the root: no other partition is scanned in its place. A btrfs
volume is tried at its default subvolume, then at every subvolume that is not a snapshot.
"""

from __future__ import annotations

import dataclasses
import re

from analyzer.errors import SourceError
from analyzer.facts.os import OS_RELEASE
from analyzer.sources.disk.bootargs import BootArgs, boot_args
from analyzer.sources.disk.btrfs import BtrfsFileSystem
from analyzer.sources.disk.fsbase import READ_ERRORS, FileSystem, lookup
from analyzer.sources.disk.fstab import fstab, resolve
from analyzer.sources.disk.layout import Layout, Root, Volume
from analyzer.sources.disk.signatures import LUKS_MAGIC
from analyzer.sources.disk.volumes import ROOT_TYPES

_INITS = (
    "/sbin/init",
    "/usr/sbin/init",
    "/usr/lib/systemd/systemd",
    "/lib/systemd/systemd",
    "/init",
    "/etc/inittab",
)
_MAPPER_LUKS = re.compile(r"^/dev/mapper/luks-([0-9a-fA-F-]{36})$")


def luks_version(header: bytes) -> int | None:
    """The LUKS version of a volume's first bytes, or ``None`` when it is not LUKS."""
    if header[:6] != LUKS_MAGIC or len(header) < 208:
        return None
    return int.from_bytes(header[6:8], "big")


def luks_uuid(header: bytes) -> str:
    """The UUID a LUKS header stores (both versions keep it at the same place)."""
    return header[168:208].split(b"\0", 1)[0].decode("ascii", "replace").lower()


def why_not_root(fs: FileSystem) -> str | None:
    """``None`` when ``fs`` holds a root, else what it lacks."""
    if not any(lookup(fs, path) for path in OS_RELEASE):
        return "no os-release"
    if lookup(fs, "/etc/fstab") is None and not any(lookup(fs, p) for p in _INITS):
        return "os-release but neither /etc/fstab nor an init"
    return None


def at_subvolume(volume: Volume, options: str) -> Volume:
    """``volume`` as ``mount -o options`` shows it: a btrfs subvolume, or itself."""
    fs = volume.fs
    if not isinstance(fs, BtrfsFileSystem):
        return volume
    subvolume = fs.subvolume
    for option in options.split(","):
        key, _, value = option.partition("=")
        if key == "subvolid" and value.isdigit():
            subvolume = int(value)
        elif key == "subvol":
            subvolume = fs.subvolume_id(value)
    view = fs.at_subvolume(subvolume)
    suffix = fs.subvolume_path(subvolume) or "<top>"
    return dataclasses.replace(volume, id=f"{volume.id}[{suffix}]", fs=view, mountpoint=None)


def _candidates(layout: Layout) -> list[Volume]:
    out: list[Volume] = []
    for volume in layout.volumes:
        fs = volume.fs
        if fs is None:
            continue
        if not isinstance(fs, BtrfsFileSystem):
            out.append(volume)
            continue
        out.append(at_subvolume(volume, ""))
        for sub in fs.subvolumes():
            if sub.id != fs.subvolume and not sub.snapshot:
                out.append(at_subvolume(volume, f"subvolid={sub.id}"))
    return out


def same_volume(volume: Volume, other: Volume) -> bool:
    """Tell whether two volumes show the same file system (and btrfs subvolume)."""
    if volume.device is not other.device:
        return False
    mine, theirs = volume.fs, other.fs
    if isinstance(mine, BtrfsFileSystem) and isinstance(theirs, BtrfsFileSystem):
        return mine.subvolume == theirs.subvolume
    return True


def _mounts_itself(volume: Volume, layout: Layout) -> bool:
    assert volume.fs is not None
    for spec, point, options in fstab(volume.fs):
        if point != "/":
            continue
        target = resolve(spec, layout.volumes)
        try:
            return target is not None and same_volume(volume, at_subvolume(target, options))
        except READ_ERRORS:
            return False
    return False


def _luks_named(args: BootArgs, layout: Layout) -> Volume | None:
    wanted = set(args.luks_uuids)
    match = _MAPPER_LUKS.match(args.root or "")
    if match:
        wanted.add(match.group(1).lower())
    for volume in layout.volumes:
        if volume.encrypted and volume.crypt_uuid in wanted:
            return volume
    return None


def _from_cmdline(layout: Layout, name: str) -> Root | None:
    seen: set[str] = set()
    for base in layout.volumes:
        if base.fs is None:
            continue
        try:
            volume = at_subvolume(base, "")
        except READ_ERRORS:
            continue
        assert volume.fs is not None
        for args in boot_args(volume.fs, volume.id):
            locked = _luks_named(args, layout)
            if locked is not None:
                raise SourceError(
                    f"{name}: root is {locked.encrypted}-encrypted: cannot be read without its "
                    f"key ({locked.id}, named on the kernel command line in {args.source})"
                )
            if args.root is None or f"{args.root} {args.rootflags}" in seen:
                continue
            seen.add(f"{args.root} {args.rootflags}")
            target = resolve(args.root, layout.volumes)
            if target is None:
                continue
            if target.fs is None:
                raise SourceError(
                    f"{name}: root={args.root} on the kernel command line ({args.source}) "
                    f"is not readable: {target.summary()}"
                )
            chosen = _view(target, args.rootflags or "")
            if chosen is not None:
                flags = f" rootflags={args.rootflags}" if args.rootflags else ""
                return Root(chosen, f"root={args.root}{flags} in {args.source}")
    return None


def _view(volume: Volume, options: str) -> Volume | None:
    """``volume`` mounted with ``options`` when it holds a root and can be read, else ``None``."""
    try:
        chosen = at_subvolume(volume, options)
        return chosen if chosen.fs is not None and why_not_root(chosen.fs) is None else None
    except READ_ERRORS:
        return None


def choose_root(layout: Layout, name: str) -> Root:
    """The root volume of the disk; :class:`SourceError` when none can be read."""
    candidates: list[Volume] = []
    reasons: dict[int, str | None] = {}
    try:
        candidates = _candidates(layout)
        for index, volume in enumerate(candidates):
            assert volume.fs is not None
            reasons[index] = why_not_root(volume.fs)
    except READ_ERRORS as exc:
        raise SourceError(f"{name}: cannot tell which file system is the root: {exc}") from exc
    found = _from_cmdline(layout, name)
    if found is not None:
        return found
    holders = [v for i, v in enumerate(candidates) if reasons[i] is None]
    confirmed = [v for v in holders if _mounts_itself(v, layout)]
    if confirmed:
        confirmed.sort(key=lambda v: not _typed_root(v))
        return Root(confirmed[0], "its /etc/fstab mounts it on /", len(confirmed) > 1)
    typed = [v for v in holders if _typed_root(v)] or [v for v in candidates if _typed_root(v)]
    if typed:
        assert typed[0].partition is not None
        kind = ROOT_TYPES[typed[0].partition.type]
        return Root(typed[0], f"GPT partition type {kind} (Discoverable Partitions)")
    locked_root = [v for v in layout.volumes if v.fs is None and _typed_root(v)]
    if locked_root:
        volume = locked_root[0]
        if volume.encrypted:
            raise SourceError(
                f"{name}: root is {volume.encrypted}-encrypted: cannot be read without its key "
                f"({volume.id}, GPT root partition type)"
            )
        raise SourceError(f"{name}: the GPT root partition is not readable: {volume.summary()}")
    if len(holders) == 1 and len(layout.volumes) == 1:
        return Root(holders[0], "the only file system of the disk")
    if len(holders) == 1:
        return Root(holders[0], "the only file system holding os-release and an init", True)
    if not holders and len(layout.volumes) == 1 and candidates:
        return Root(candidates[0], f"the only file system of the disk ({reasons[0]})", True)
    if holders:
        listed = ", ".join(v.id for v in holders)
        return Root(holders[0], f"first of several file systems holding a root: {listed}", True)
    raise SourceError(f"{name}: no readable file system holds the root: {_inventory(layout)}")


def _typed_root(volume: Volume) -> bool:
    return volume.partition is not None and volume.partition.type in ROOT_TYPES


def _inventory(layout: Layout) -> str:
    parts = []
    for volume in layout.volumes:
        if volume.fs is not None:
            kind = volume.fs.fstype
            try:
                why = why_not_root(volume.fs) or "holds a root"
            except READ_ERRORS as exc:
                why = f"unreadable: {exc}"
            parts.append(f"{volume.id}: {kind}, {why}")
        else:
            parts.append(volume.summary())
    return "; ".join(parts) or "no volumes"
