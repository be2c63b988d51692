"""Fedora-like and openSUSE-like btrfs disks give the same findings as the tarball of the tree.

Fedora: GPT with an ESP (FAT), ``/boot`` (ext4, a BLS entry with ``rootflags=subvol=root``)
and a zstd-compressed btrfs holding the ``root`` and ``home`` subvolumes, mounted by
``subvol=`` from ``/etc/fstab``. openSUSE: one LZO-compressed btrfs with ``@``,
``@/.snapshots/1/snapshot`` as the default subvolume (the root, ``/boot`` included),
``@/home`` and ``@/var`` mounted by ``subvol=/@/...``, ``@/.snapshots`` mounted on
``/.snapshots`` and a snapper snapshot that is named, not scanned. Both are written with a
loop mount (root and loop devices needed, as in CI).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from btrfs_builders import can_loop_mount, mkfs_btrfs, populate
from builders import Dir, Item, make_tree, to_dir, to_tar
from disk_builders import Part, have, mkfs_ext4, mkfs_vfat, partitioned
from jsonview import obj
from layout_builders import outside, under
from test_disk_end_to_end import RELEASE, comparable, debian_root, kernel_config, scan

from analyzer.model import Level

pytestmark = pytest.mark.skipif(
    not (can_loop_mount() and all(have(t) for t in ("mkfs.vfat", "sfdisk", "mkfs.ext4"))),
    reason="needs root, loop devices, btrfs-progs, dosfstools, e2fsprogs and fdisk",
)

BTRFS_UUID = "5d1f0e2a-7b3c-4d4e-9f5a-6b7c8d9e0f1a"
BOOT_UUID = "2b3c4d5e-6f70-4182-93a4-b5c6d7e8f901"
#: ``mkfs_vfat`` gives every ESP the volume id ``1234-ABCD``.
ESP_UUID = "1234-ABCD"
ESP: Mapping[str, Item] = {"EFI/BOOT/BOOTX64.EFI": b"MZ" + b"e" * 3000}


def tree_of(os_release: str, fstab: str, extra: Mapping[str, Item]) -> dict[str, Item]:
    """The shared Debian-like tree made into another distribution, with a home and an ESP."""
    config, _line = kernel_config()
    tree = debian_root(config)
    tree.pop("etc/os-release")
    tree.update(
        {
            "usr/lib/os-release": os_release,
            "etc/os-release": os_release,
            "etc/fstab": fstab,
            "home/alice/.bashrc": "export EDITOR=vi\n",
            "boot/efi": Dir(),
            **{f"boot/efi/{k}": v for k, v in ESP.items()},
            **extra,
        }
    )
    return make_tree(tree)


def fedora(tmp: Path) -> tuple[dict[str, Item], Path]:
    """The Fedora-like tree and its raw disk."""
    fstab = (
        f"UUID={BTRFS_UUID} / btrfs subvol=root,compress=zstd:1 0 0\n"
        f"UUID={BOOT_UUID} /boot ext4 defaults 1 2\n"
        f"UUID={ESP_UUID} /boot/efi vfat umask=0077,shortname=winnt 0 2\n"
        f"UUID={BTRFS_UUID} /home btrfs subvol=home,compress=zstd:1 0 0\n"
    )
    entry = (
        f"title Fedora Linux ({RELEASE})\nversion {RELEASE}\nlinux /vmlinuz-{RELEASE}\n"
        f"options root=UUID={BTRFS_UUID} ro rootflags=subvol=root rhgb quiet\n"
    )
    release = 'NAME="Fedora Linux"\nID=fedora\nVERSION_ID=40\n'
    tree = tree_of(release, fstab, {f"boot/loader/entries/fedora-{RELEASE}.conf": entry})
    root = to_dir(outside(tree, "boot/", "home/"), tmp / "root")
    home = to_dir(under(tree, "home/"), tmp / "home")
    boot = to_dir(outside(under(tree, "boot/"), "efi/"), tmp / "boot")
    btrfs = mkfs_btrfs(tmp / "btrfs.img", None, 128, "-U", BTRFS_UUID, "-L", "fedora")
    populate(btrfs, "zstd:1", {"root": root, "home": home})
    disk = tmp / "fedora.raw"
    partitioned(
        disk,
        [
            Part(
                mkfs_vfat(to_dir(under(tree, "boot/efi/"), tmp / "esp"), tmp / "esp.img", 33),
                33,
                "esp",
            ),
            Part(mkfs_ext4(boot, tmp / "boot.img", 16, "-U", BOOT_UUID), 16),
            Part(btrfs, 128),
        ],
    )
    return tree, disk


def opensuse(tmp: Path) -> tuple[dict[str, Item], Path]:
    """The openSUSE-like tree and its raw disk."""
    fstab = (
        f"UUID={BTRFS_UUID} / btrfs defaults 0 0\n"
        f"UUID={BTRFS_UUID} /home btrfs subvol=/@/home 0 0\n"
        f"UUID={BTRFS_UUID} /var btrfs subvol=/@/var 0 0\n"
        f"UUID={BTRFS_UUID} /.snapshots btrfs subvol=/@/.snapshots 0 0\n"
        f"UUID={ESP_UUID} /boot/efi vfat utf8 0 2\n"
    )
    grub = (
        "menuentry 'openSUSE Tumbleweed' {\n"
        f"\tlinux /boot/vmlinuz-{RELEASE} root=UUID={BTRFS_UUID} ${{extra_cmdline}} quiet\n}}\n"
    )
    release = 'NAME="openSUSE Tumbleweed"\nID="opensuse-tumbleweed"\nVERSION_ID="20240101"\n'
    extra = {"boot/grub2/grub.cfg": grub, "var/lib/misc/state": "var subvolume\n"}
    tree = tree_of(release, fstab, extra)
    tree.pop("boot/grub/grub.cfg")
    root = to_dir(outside(tree, "home/", "var/", "boot/efi/"), tmp / "root")
    home = to_dir(under(tree, "home/"), tmp / "home")
    var = to_dir(under(tree, "var/"), tmp / "var")
    btrfs = mkfs_btrfs(tmp / "btrfs.img", None, 128, "-U", BTRFS_UUID)
    snapshot = "@/.snapshots/1/snapshot"
    populate(
        btrfs,
        "lzo",
        {"@": None, "@/.snapshots": None, snapshot: root, "@/home": home, "@/var": var},
        default=snapshot,
        snapshots={"@/.snapshots/2/snapshot": snapshot},
    )
    disk = tmp / "opensuse.raw"
    esp = mkfs_vfat(to_dir(under(tree, "boot/efi/"), tmp / "esp"), tmp / "esp.img", 33)
    partitioned(disk, [Part(esp, 33, "esp"), Part(btrfs, 128)])
    return tree, disk


@pytest.fixture(scope="module")
def layouts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, build in (("fedora", fedora), ("opensuse", opensuse)):
        tmp = tmp_path_factory.mktemp(name)
        tree, disk = build(tmp)
        out[name] = (scan(to_tar(tree, tmp / f"{name}.tar.gz", "gzip")), disk)
    return out


def test_fedora_disk_gives_the_tarball_findings(layouts: dict[str, Any]) -> None:
    tarball, disk = layouts["fedora"]
    result = scan(disk)
    assert comparable(result) == comparable(tarball)
    assert [n for n in result.notifications if n.level is not Level.NOTE] == []
    layers = {layer.mountpoint: layer.id for layer in result.target.layers}
    assert layers == {
        "/": "fedora.raw:part3[root]",
        "/boot": "fedora.raw:part2",
        "/boot/efi": "fedora.raw:part1",
        "/home": "fedora.raw:part3[home]",
    }
    assert result.target.properties["root"] == {
        "volume": "part3[root]",
        "how": f"root=UUID={BTRFS_UUID} rootflags=subvol=root in "
        f"part2:/loader/entries/fedora-{RELEASE}.conf",
        "heuristic": False,
    }


def test_opensuse_disk_gives_the_tarball_findings(layouts: dict[str, Any]) -> None:
    tarball, disk = layouts["opensuse"]
    result = scan(disk)
    assert comparable(result) == comparable(tarball)
    layers = {layer.mountpoint: layer.id for layer in result.target.layers}
    assert layers == {
        "/": "opensuse.raw:part2[@/.snapshots/1/snapshot]",
        "/.snapshots": "opensuse.raw:part2[@/.snapshots]",
        "/boot/efi": "opensuse.raw:part1",
        "/home": "opensuse.raw:part2[@/home]",
        "/var": "opensuse.raw:part2[@/var]",
    }
    notes = [(n.level, n.code, n.message) for n in result.notifications]
    assert notes == [
        (
            Level.NOTE,
            "disk.btrfs.snapshots",
            "opensuse.raw:part2[@/.snapshots/1/snapshot]: btrfs snapshots are not scanned: "
            "@/.snapshots/2/snapshot",
        )
    ]
    assert obj(result.target.properties["root"])["how"] == (
        f"root=UUID={BTRFS_UUID} in part2[@/.snapshots/1/snapshot]:/boot/grub2/grub.cfg"
    )
