"""A small fleet of mixed targets built with the real tools, for the fleet tests and bench.

:func:`build_fleet` writes ``count`` targets under a directory, cycling through the kinds a
platform team owns: root file-system directories, tar and zstd tar archives, OCI layouts and
qcow2 disks (GPT, ext4). Every fifth target is dirty for the golden-image profile (a
machine-id and an SSH host key left behind), so the targets differ in findings.
Importing it puts the disk and container builders of the source tests on the path.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from builders import File, Item, make_tree, to_dir, to_tar

TESTS = Path(__file__).resolve().parent.parent
for _directory in (TESTS / "sources" / "disk", TESTS / "sources" / "container"):
    if str(_directory) not in sys.path:
        sys.path.append(str(_directory))

from disk_builders import Part, convert, mkfs_ext4, partitioned  # noqa: E402
from imagebuild import Image, layer, oci_files, sha, write_dir  # noqa: E402

__all__ = ["Image", "build_fleet", "layer", "oci_files", "sha", "spec", "write_dir"]

#: Profiles the fleet tests and the benchmark scan with.
PROFILES = ("k0s", "golden-image")
KINDS = ("dir", "tar", "tar.zst", "oci", "qcow2")


def spec(number: int) -> dict[str, Item]:
    """The root file system of target ``number``; every fifth one is not clone-ready."""
    tree: dict[str, Item] = {
        "etc/hosts": "127.0.0.1 localhost\n::1 localhost\n",
        "etc/os-release": f'ID=debian\nVERSION_ID="12"\nBUILD_ID="{number}"\n',
        "etc/machine-id": "",
        "bin/sh": File(b"#!/bin/busybox\n", mode=0o755),
    }
    if number % 5 == 0:
        tree["etc/machine-id"] = f"{number:032x}\n"
        tree["etc/ssh/ssh_host_ed25519_key"] = File(b"-----BEGIN OPENSSH PRIVATE KEY-----\n", 0o600)
    return tree


def _dir(root: Path, number: int) -> Path:
    return to_dir(make_tree(spec(number)), root / f"rootfs-{number:02d}")


def _tar(root: Path, number: int) -> Path:
    return to_tar(make_tree(spec(number)), root / f"rootfs-{number:02d}.tar")


def _zst(root: Path, number: int) -> Path:
    return to_tar(make_tree(spec(number)), root / f"rootfs-{number:02d}.tar.zst", "zstd")


def _oci(root: Path, number: int) -> Path:
    blobs = root / f"layers-{number:02d}"
    image = Image([layer(blobs, make_tree(spec(number)), "gzip")])
    return write_dir(oci_files([(image, "latest")]), root / f"oci-{number:02d}")


def _qcow2(root: Path, number: int) -> Path:
    work = root / f"work-{number:02d}"
    work.mkdir()
    tree = to_dir(make_tree(spec(number)), work / "tree")
    ext4 = mkfs_ext4(tree, work / "root.img", 8)
    partitioned(work / "disk.raw", [Part(ext4, 8, "root")])
    return convert(work / "disk.raw", root / f"disk-{number:02d}.qcow2", "qcow2")


BUILDERS: dict[str, Callable[[Path, int], Path]] = {
    "dir": _dir,
    "tar": _tar,
    "tar.zst": _zst,
    "oci": _oci,
    "qcow2": _qcow2,
}


def build_fleet(root: Path, count: int, kinds: tuple[str, ...] = KINDS) -> list[str]:
    """Write ``count`` targets under ``root`` (kinds in turn); return them as targets."""
    root.mkdir(parents=True, exist_ok=True)
    targets = []
    for number in range(count):
        path = BUILDERS[kinds[number % len(kinds)]](root, number)
        targets.append(f"oci:{path}" if path.name.startswith("oci-") else str(path))
    return targets
