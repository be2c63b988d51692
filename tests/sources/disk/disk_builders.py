"""Build real disk images at test time from tiny declarative trees, with the real tools.

No root privileges beyond ``mknod``, no loop devices, no mounting: file systems are made with
``mkfs.ext4 -d``, ``mkfs.xfs -p`` and ``mkfs.vfat`` + ``mcopy`` on plain files, tables with
``sfdisk`` on a file, formats with ``qemu-img convert``; LVM labels and metadata are written
here following the on-disk format.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import stat
import struct
import subprocess
import uuid
import zlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from builders import Device, Dir, File, Hardlink, Item, Symlink, make_tree, to_dir

from analyzer.sources.disk import sniff
from analyzer.sources.probe import Probe

MIB = 1 << 20


Spec = Mapping[str, Item]


def sniffed(path: str) -> bool:
    """Whether disk detection recognises the file at ``path``, probed as a bare target is."""
    with Probe.open(path) as probe:
        return sniff(probe)


def run(*args: str, input_text: str | None = None, env: Mapping[str, str] | None = None) -> str:
    """Run a tool, failing the test with its output on error."""
    result = subprocess.run(
        args,
        capture_output=True,
        text=True,
        input=input_text,
        env={**os.environ, **(env or {})},
        check=False,
    )
    if result.returncode:
        raise AssertionError(f"{' '.join(args)} failed: {result.stderr or result.stdout}")
    return result.stdout


def write_tree(root: Path, spec: Spec) -> Path:
    """Create ``spec`` under ``root``, with modes, owners, xattrs and device nodes."""
    return to_dir(make_tree(spec), root)


def mkfs_ext4(tree: Path, image: Path, size_mib: int = 32, *options: str) -> Path:
    """An ext4 image of ``tree`` (owners kept as in the tree)."""
    image.unlink(missing_ok=True)
    run(
        "mkfs.ext4",
        "-q",
        "-F",
        "-d",
        str(tree),
        *options,
        str(image),
        f"{size_mib}M",
        env={"E2FSPROGS_FAKE_TIME": "1700000000"},
    )
    return image


def mkfs_vfat(tree: Path, image: Path, size_mib: int = 32, label: str = "ESP") -> Path:
    """A FAT image holding a copy of ``tree``."""
    image.unlink(missing_ok=True)
    run("mkfs.vfat", "-C", "-n", label, "-i", "1234ABCD", str(image), str(size_mib * 1024))
    entries = [str(p) for p in sorted(tree.iterdir())]
    if entries:
        run("mcopy", "-s", "-i", str(image), *entries, "::/", env={"MTOOLS_SKIP_CHECK": "1"})
    return image


def _proto_lines(directory: Path, depth: int) -> Iterator[str]:
    pad = " " * depth
    for path in sorted(directory.iterdir()):
        info = path.lstat()
        perms = f"{'u' if info.st_mode & stat.S_ISUID else '-'}"
        perms += f"{'g' if info.st_mode & stat.S_ISGID else '-'}{info.st_mode & 0o777:03o}"
        owner = f"{info.st_uid} {info.st_gid}"
        if stat.S_ISDIR(info.st_mode):
            yield f"{pad}{path.name} d{perms} {owner}"
            yield from _proto_lines(path, depth + 1)
            yield f"{pad}$"
        elif stat.S_ISLNK(info.st_mode):
            yield f"{pad}{path.name} l{perms} {owner} {os.readlink(path)}"
        elif stat.S_ISREG(info.st_mode):
            yield f"{pad}{path.name} -{perms} {owner} {path}"
        elif stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode):
            kind = "c" if stat.S_ISCHR(info.st_mode) else "b"
            dev = info.st_rdev
            yield f"{pad}{path.name} {kind}{perms} {owner} {os.major(dev)} {os.minor(dev)}"
        elif stat.S_ISFIFO(info.st_mode):
            yield f"{pad}{path.name} p{perms} {owner}"


def mkfs_xfs(tree: Path, image: Path, size_mib: int = 64, *options: str) -> Path:
    """An XFS (v5) image of ``tree`` made from a protofile (no hard links or xattrs)."""
    proto = image.with_suffix(".proto")
    lines = ["/dev/null", "0 0", "d--755 0 0", *_proto_lines(tree, 1), "$", ""]
    proto.write_text("\n".join(lines))
    image.unlink(missing_ok=True)
    image.write_bytes(b"")
    os.truncate(image, size_mib * MIB)
    run(
        "mkfs.xfs",
        "-q",
        "-f",
        "-p",
        str(proto),
        *options,
        str(image),
        env={"TEST_DIR": "1", "TEST_DEV": "1", "QA_CHECK_FS": "1"},
    )
    return image


@dataclass(frozen=True)
class Part:
    """A partition of a test disk: its content image (or none), size and sfdisk type."""

    content: Path | None
    size_mib: int
    type: str = "linux"
    name: str | None = None
    uuid: str | None = None


def partitioned(
    disk: Path, parts: list[Part], table: str = "gpt", size_mib: int = 0, logical_from: int = 0
) -> list[int]:
    """A disk with ``parts`` (MBR: parts from ``logical_from`` on are logical); their offsets."""
    total = size_mib or 3 + sum(p.size_mib + 2 for p in parts)
    disk.unlink(missing_ok=True)
    disk.write_bytes(b"")
    os.truncate(disk, total * MIB)
    lines = [f"label: {'gpt' if table == 'gpt' else 'dos'}"]
    for index, part in enumerate(parts):
        fields = [f"size={part.size_mib}MiB", f"type={_sfdisk_type(part.type, table)}"]
        if part.name:
            fields.append(f'name="{part.name}"')
        if part.uuid:
            fields.append(f"uuid={part.uuid}")
        prefix = ""
        if table == "mbr" and logical_from and index >= logical_from:
            if index == logical_from:
                extended = sum(p.size_mib + 2 for p in parts[logical_from:])
                lines.append(f"{disk}{index + 1}: size={extended}MiB, type=5")
            prefix = f"{disk}{5 + index - logical_from}: "
        lines.append(prefix + ", ".join(fields))
    run("sfdisk", "-q", str(disk), input_text="\n".join(lines) + "\n")
    dump = run("sfdisk", "-J", str(disk))
    entries = [p for p in json.loads(dump)["partitiontable"]["partitions"] if p["type"] != "5"]
    offsets = [int(p["start"]) * 512 for p in entries]
    for part, offset in zip(parts, offsets, strict=True):
        if part.content is not None:
            copy_into(part.content, disk, offset)
    return offsets


def _sfdisk_type(name: str, table: str) -> str:
    if table == "gpt":
        return {
            "linux": "L",
            "esp": "U",
            "root": "4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709",
            "lvm": "E6D6D379-F507-44C2-A23C-238F2A3DF928",
        }.get(name, name)
    return {"linux": "83", "esp": "ef", "lvm": "8e"}.get(name, name)


def copy_into(source: Path, target: Path, offset: int) -> None:
    """Copy ``source`` into ``target`` at ``offset`` without truncating it (sparse-friendly)."""
    with open(source, "rb") as src, open(target, "r+b") as dst:
        position = 0
        while chunk := src.read(MIB):
            if chunk.count(0) != len(chunk):
                dst.seek(offset + position)
                dst.write(chunk)
            position += len(chunk)


def convert(raw: Path, image: Path, fmt: str, *options: str) -> Path:
    """``qemu-img convert`` of a raw disk to ``fmt``."""
    image.unlink(missing_ok=True)
    run("qemu-img", "convert", "-f", "raw", "-O", fmt, *options, str(raw), str(image))
    return image


#: ``to_disk`` formats: name -> ``qemu-img convert -O`` arguments (raw needs no conversion).
DISK_FORMATS: Mapping[str, tuple[str, ...]] = {
    "raw": (),
    "qcow2": ("qcow2",),
    "qcow2-zlib": ("qcow2", "-c"),
    "qcow2-zstd": ("qcow2", "-c", "-o", "compression_type=zstd"),
    "vmdk": ("vmdk",),
    "vmdk-stream": ("vmdk", "-o", "subformat=streamOptimized"),
    "vhd": ("vpc",),
    "vhdx": ("vhdx",),
}


def to_disk(spec: Spec, path: Path, fmt: str = "raw", table: str | None = "gpt") -> Path:
    """``spec`` as a 16 MiB ext4 root on a disk in format ``fmt`` (see :data:`DISK_FORMATS`).

    ``table`` is ``gpt``, ``mbr`` or ``None`` for a bare file system. Scratch files go next to
    ``path`` and are removed.
    """
    scratch = path.with_name(path.name + ".d")
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    fs = mkfs_ext4(write_tree(scratch / "root", spec), scratch / "fs.img", 16)
    raw = scratch / "disk.raw"
    if table:
        partitioned(raw, [Part(fs, 16)], table)
    else:
        fs.rename(raw)
    if DISK_FORMATS[fmt]:
        convert(raw, path, *DISK_FORMATS[fmt])
    else:
        path.unlink(missing_ok=True)
        raw.rename(path)
    shutil.rmtree(scratch)
    return path


def qemu_raw_digest(image: Path, scratch: Path, trim: int = 0) -> tuple[str, int]:
    """sha256 and size of ``qemu-img convert -O raw`` of ``image``, less ``trim`` end bytes."""
    out = scratch / f"{image.name}.qemu.raw"
    run("qemu-img", "convert", "-O", "raw", str(image), str(out))
    if trim:
        os.truncate(out, out.stat().st_size - trim)
    digest = file_digest(out)
    size = out.stat().st_size
    out.unlink()
    return digest, size


def file_digest(path: Path) -> str:
    """sha256 of a file, streamed."""
    hasher = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(4 * MIB):
            hasher.update(chunk)
    return hasher.hexdigest()


def _lvm_crc(data: bytes) -> int:
    return zlib.crc32(data, 0xF597A6CF ^ 0xFFFFFFFF) ^ 0xFFFFFFFF


@dataclass(frozen=True)
class LV:
    """A logical volume: its segments as ``(start_extent, extent_count, pv_extent)``."""

    name: str
    segments: list[tuple[int, int, int]]
    type: str = "striped"
    content: Path | None = None


def lvm_pv(path: Path, size_mib: int, vg: str, lvs: list[LV], extent_mib: int = 1) -> None:
    """A physical volume file holding ``lvs``; LV contents are copied segment by segment."""
    path.unlink(missing_ok=True)
    path.write_bytes(b"")
    os.truncate(path, size_mib * MIB)
    pv_id = "pvAAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGGHH"
    pe_start = 2048
    extent = extent_mib * MIB
    pe_count = (size_mib * MIB - pe_start * 512) // extent
    volumes = []
    for lv in lvs:
        segs = []
        for number, (start, count, pv_extent) in enumerate(lv.segments, start=1):
            extra = f'\nstripe_count = 1\nstripes = ["pv0", {pv_extent}]'
            if lv.type != "striped":
                extra = '\nthin_pool = "pool"\ntransaction_id = 0\ndevice_id = 1'
            segs.append(
                f"segment{number} {{\nstart_extent = {start}\nextent_count = {count}\n"
                f'type = "{lv.type}"{extra}\n}}'
            )
        volumes.append(
            f'{lv.name} {{\nid = "{uuid.uuid4()}"\n'
            f'status = ["READ", "WRITE", "VISIBLE"]\nsegment_count = {len(segs)}\n'
            + "\n".join(segs)
            + "\n}"
        )
    text = (
        f'{vg} {{\nid = "{uuid.uuid4()}"\nseqno = 1\nformat = "lvm2"\n'
        f'status = ["RESIZEABLE", "READ", "WRITE"]\nextent_size = {extent // 512}\n'
        f"max_lv = 0\nmax_pv = 0\nmetadata_copies = 0\n"
        f'physical_volumes {{\npv0 {{\nid = "{pv_id}"\ndevice = "/dev/vda2"\n'
        f'status = ["ALLOCATABLE"]\ndev_size = {size_mib * MIB // 512}\n'
        f"pe_start = {pe_start}\npe_count = {pe_count}\n}}\n}}\n"
        f"logical_volumes {{\n" + "\n".join(volumes) + "\n}\n}\n"
        '# Generated by the imgaudit test builders\ncontents = "Text Format Volume Group"\n'
        "version = 1\n"
    ).encode() + b"\0"
    mda_start, mda_size = 4096, pe_start * 512 - 4096
    label = bytearray(512)
    header = pv_id.replace("-", "").encode() + struct.pack("<Q", size_mib * MIB)
    header += struct.pack("<QQQQ", pe_start * 512, 0, 0, 0)
    header += struct.pack("<QQQQ", mda_start, mda_size, 0, 0)
    label[32 : 32 + len(header)] = header
    label[0:8] = b"LABELONE"
    label[8:16] = struct.pack("<Q", 1)
    label[20:24] = struct.pack("<I", 32)
    label[24:32] = b"LVM2 001"
    label[16:20] = struct.pack("<I", _lvm_crc(bytes(label[20:])))
    mda = bytearray(512)
    mda[4:20] = b" LVM2 x[5A%r0N*>"
    mda[20:24] = struct.pack("<I", 1)
    mda[24:40] = struct.pack("<QQ", mda_start, mda_size)
    mda[40:64] = struct.pack("<QQII", 512, len(text), _lvm_crc(text), 0)
    mda[0:4] = struct.pack("<I", _lvm_crc(bytes(mda[4:])))
    with open(path, "r+b") as file:
        file.seek(512)
        file.write(label)
        file.seek(mda_start)
        file.write(mda)
        file.seek(mda_start + 512)
        file.write(text)
    for lv in lvs:
        if lv.content is None:
            continue
        data = lv.content.read_bytes()
        for start, count, pv_extent in lv.segments:
            piece = data[start * extent : (start + count) * extent]
            with open(path, "r+b") as file:
                file.seek(pe_start * 512 + pv_extent * extent)
                file.write(piece)


@contextmanager
def time_limit(seconds: int) -> Iterator[None]:
    """Fail the test instead of hanging when the body runs longer than ``seconds``."""

    def expire(_signum: int, _frame: object) -> None:
        raise TimeoutError(f"took longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def have(tool: str) -> bool:
    """True when ``tool`` is on the PATH."""
    return shutil.which(tool) is not None


BOOT_UUID = "11111111-2222-3333-4444-555555555555"
#: ``cap_net_raw+ep`` as a VFS_CAP_REVISION_2 value.
CAPABILITY = b"\x01\x00\x00\x02\x00\x20\x00\x00" + bytes(12)
#: 256 KiB: several 64 KiB blocks and many file-system blocks.
BUSYBOX = bytes(range(256)) * 1024

ROOT_SPEC: Spec = {
    "etc/os-release": "ID=debian\nVERSION_ID=12\n",
    "etc/fstab": (
        "# <file system> <mount point> <type> <options> <dump> <pass>\n"
        f"UUID={BOOT_UUID} /boot ext4 defaults 0 2\n"
        "LABEL=ESP /boot/efi vfat umask=0077,noauto 0 1\n"
        "proc /proc proc defaults 0 0\n"
        "/dev/sda9 none swap sw 0 0\n"
        "server:/export /mnt/nfs nfs defaults 0 0\n"
    ),
    "bin/ping": File(b"\x7fELF ping", 0o4755, xattrs={"security.capability": CAPABILITY}),
    "bin/busybox": File(BUSYBOX, 0o755),
    "bin/sh": Symlink("busybox"),
    "bin/ash": Hardlink("bin/busybox"),
    "bin/far": Symlink("/usr/lib/" + "x" * 90),
    "usr/bin/write": File(b"w", 0o2755, 0, 5),
    "dev/null": Device("c", 1, 3, 0o666),
    "dev/sda": Device("b", 8, 0, 0o660),
    "dev/big": Device("c", 300, 70000, 0o600),
    "run/initctl": Device("p", mode=0o600),
    "tmp": Dir(0o1777),
    "home/alice/notes": File(b"secret", 0o600, 1000, 1000),
    "loop/a": Symlink("b"),
    "loop/b": Symlink("a"),
    "boot/stale-on-root": "hidden by the /boot mount\n",
}
BOOT_SPEC: Spec = {
    "vmlinuz-6.1": b"MZ kernel 6.1",
    "grub/grub.cfg": "set default=0\n",
    "efi": Dir(),
}
ESP_SPEC: Spec = {
    "EFI/BOOT/BOOTX64.EFI": b"MZ" + b"e" * 5000,
    "loader/entries/debian-6.1.conf": "title Debian\n",
}


def build_gpt_disk(tmp: Path) -> Path:
    """A raw GPT disk: ESP (vfat), /boot (ext4 by UUID), root (ext4 with the x86-64 root type)."""
    root = mkfs_ext4(write_tree(tmp / "root", ROOT_SPEC), tmp / "root.img", 24)
    boot = mkfs_ext4(write_tree(tmp / "boot", BOOT_SPEC), tmp / "boot.img", 8, "-U", BOOT_UUID)
    esp = mkfs_vfat(write_tree(tmp / "esp", ESP_SPEC), tmp / "esp.img", 33)
    disk = tmp / "disk.raw"
    partitioned(disk, [Part(esp, 33, "esp"), Part(boot, 8), Part(root, 24, "root")])
    return disk


def root_and_boot_disk(
    tmp: Path,
    root_tree: Path,
    boot_tree: Path,
    root_uuid: str,
    boot_uuid: str = BOOT_UUID,
    root_fs: str = "ext4",
    lvm_root: bool = False,
) -> Path:
    """A raw GPT disk: ``/boot`` (ext4, ``boot_uuid``) and the root (ext4 or XFS, ``root_uuid``).

    With ``lvm_root`` the root file system sits on a linear logical volume ``vg0/root`` of an
    LVM partition instead of a partition of its own.
    """
    boot = mkfs_ext4(boot_tree, tmp / "boot.img", 16, "-U", boot_uuid)
    if root_fs == "xfs":
        root = mkfs_xfs(root_tree, tmp / "root.img", 64, "-m", f"uuid={root_uuid}")
    else:
        root = mkfs_ext4(root_tree, tmp / "root.img", 48, "-U", root_uuid)
    size = root.stat().st_size // MIB
    part = Part(root, size, "root")
    if lvm_root:
        pv = tmp / "pv.img"
        lvm_pv(pv, size + 4, "vg0", [LV("root", [(0, size, 0)], content=root)])
        part = Part(pv, size + 4, "lvm")
    disk = tmp / "disk.raw"
    partitioned(disk, [Part(boot, 16), part])
    return disk


def sector_disk(
    disk: Path, table: str, sector: int, sizes_mib: list[int], total_mib: int
) -> list[int]:
    """A disk whose ``table`` (``gpt`` or ``dos``) counts ``sector``-byte sectors; the offsets.

    ``sfdisk`` writes it through a loop device of that logical sector size (``losetup
    --sector-size``), as the kernel sees a 4Kn disk; the test is skipped where loop devices
    cannot be set up.
    """
    disk.unlink(missing_ok=True)
    disk.write_bytes(b"")
    os.truncate(disk, total_mib * MIB)
    attach = subprocess.run(
        ["losetup", "--sector-size", str(sector), "--show", "-f", str(disk)],
        capture_output=True,
        text=True,
        check=False,
    )
    if attach.returncode:
        pytest.skip(f"no loop device with {sector}-byte sectors: {attach.stderr.strip()}")
    loop = attach.stdout.strip()
    try:
        lines = [f"label: {table}"] + [f"size={size}MiB, type=L" for size in sizes_mib]
        if table == "dos":
            lines = [f"label: {table}"] + [f"size={size}MiB, type=83" for size in sizes_mib]
        run(
            "sfdisk",
            "-q",
            "--no-reread",
            "--no-tell-kernel",
            loop,
            input_text="\n".join(lines) + "\n",
        )
        dump = json.loads(run("sfdisk", "-J", loop))["partitiontable"]
    finally:
        subprocess.run(["losetup", "-d", loop], check=False)
    assert dump["sectorsize"] == sector
    return [int(p["start"]) * sector for p in dump["partitions"]]


@contextmanager
def loop_mounted(image: Path, mnt: Path, read_only: bool = False) -> Iterator[Path]:
    """``image`` mounted on a loop device at ``mnt`` for the block; unmounted after.

    The test is skipped where loop mounts cannot be made (no root, no loop devices).
    """
    mnt.mkdir(exist_ok=True)
    options = "loop,ro" if read_only else "loop"
    mounted = subprocess.run(
        ["mount", "-o", options, str(image), str(mnt)], capture_output=True, text=True, check=False
    )
    if mounted.returncode:
        pytest.skip(f"loop mounts are not available here: {mounted.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", str(mnt)], check=True)
