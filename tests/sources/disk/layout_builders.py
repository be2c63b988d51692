"""Disks laid out the way the major distributions' cloud images are, built with the real tools.

Each layout is the shared Debian-like tree of :mod:`test_disk_end_to_end` made into another
distribution (os-release, boot loader configuration, init system, partitioning, file systems),
written as a raw disk. The tests compare each disk's findings with the tarball of the same
tree; ``bench/layouts_bench.py`` scans every layout in every disk format.

- ``rocky``: GPT, ESP, ``/boot`` on XFS, LVM volume group ``rl`` with ``root`` (XFS) and
  ``swap``; a BLS entry whose ``options`` is ``$kernelopts`` from ``grubenv``, and
  ``/etc/kernel/cmdline``.
- ``alpine``: MBR, ``/boot`` (ext4, ``extlinux.conf`` with ``APPEND``), swap and root (ext4);
  OpenRC runlevels, ``/etc/update-extlinux.conf``, apk database, busybox links, stock
  ``noauto`` removable-media lines in ``/etc/fstab``.
- ``ubuntu``: GPT with a BIOS boot partition, an ESP ``LABEL=UEFI`` and the root
  ``LABEL=cloudimg-rootfs``; ``/etc/default/grub.d/*.cfg`` drop-ins.
- ``amazon``: GPT, XFS root with its ``/boot``, BIOS boot and ESP; grubby-style BLS entries.
- ``arm64``: GPT, ESP on ``/boot/efi`` and an ext4 root of the arm64 root type; an arm64
  ``Image`` (gzip) with device trees, aarch64 binaries.
"""

from __future__ import annotations

import gzip
import hashlib
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from builders import Dir, File, Item, Symlink, make_tree, to_dir
from disk_builders import LV, MIB, Part, lvm_pv, mkfs_ext4, mkfs_vfat, mkfs_xfs, partitioned, run
from test_disk_end_to_end import RELEASE, debian_root, kernel_config

ROOT_UUID = "6a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
BOOT_UUID = "7b2c3d4e-5f60-4b7c-9d8e-0f1a2b3c4d5e"
SWAP_UUID = "8c3d4e5f-6071-4c8d-8e9f-1a2b3c4d5e6f"
#: ``mkfs_vfat`` gives every ESP the volume id ``1234-ABCD``.
ESP_UUID = "1234-ABCD"
BIOS_BOOT = "21686148-6449-6E6F-744E-656564454649"
ARM64_ROOT = "B921B045-1DF0-41C3-AF44-4C6F280D3FAE"
MACHINE_ID = "4b1e3c6f0d2a4e8f9a7b6c5d4e3f2a1b"
ESP: Mapping[str, Item] = {"EFI/BOOT/BOOTX64.EFI": b"MZ" + b"e" * 3000}


@dataclass(frozen=True)
class Layout:
    """A built layout: the tree (for the tarball) and the raw disk holding the same files."""

    name: str
    tree: dict[str, Item]
    disk: Path


def os_release(**fields: str) -> str:
    """An os-release file of ``fields`` (values quoted)."""
    return "".join(f'{key}="{value}"\n' for key, value in fields.items())


def base(
    os_text: str, fstab: str, extra: Mapping[str, Item], drop: tuple[str, ...] = ()
) -> dict[str, Item]:
    """The shared tree with its distribution identity, fstab and boot files replaced."""
    config, _line = kernel_config()
    tree = debian_root(config)
    for path in ("etc/os-release", "boot/grub/grub.cfg", *drop):
        tree.pop(path, None)
    tree.update({"usr/lib/os-release": os_text, "etc/os-release": os_text, "etc/fstab": fstab})
    tree.update(extra)
    return make_tree(tree)


def under(tree: Mapping[str, Item], prefix: str) -> dict[str, Item]:
    """The entries under ``prefix``, relative to it."""
    return {k.removeprefix(prefix): v for k, v in tree.items() if k.startswith(prefix)}


def outside(tree: Mapping[str, Item], *prefixes: str) -> dict[str, Item]:
    """The entries outside ``prefixes`` (their top directories stay, empty: mount points)."""
    kept = {k: v for k, v in tree.items() if not k.startswith(prefixes)}
    kept.update({p.rstrip("/"): Dir() for p in prefixes})
    return kept


def esp_image(tmp: Path, tree: Mapping[str, Item], label: str = "ESP") -> Path:
    """The ESP (FAT) holding the tree's ``boot/efi``."""
    return mkfs_vfat(to_dir(under(tree, "boot/efi/"), tmp / "esp"), tmp / "esp.img", 33, label)


def swap_image(tmp: Path, size_mib: int) -> Path:
    """A swap area made by ``mkswap``."""
    image = tmp / "swap.img"
    image.write_bytes(b"")
    image.open("r+b").truncate(size_mib * MIB)
    run("mkswap", "-U", SWAP_UUID, str(image))
    return image


def grubenv(**variables: str) -> str:
    """A GRUB environment block: the variables, padded with ``#`` to 1024 bytes."""
    text = "# GRUB Environment Block\n" + "".join(f"{k}={v}\n" for k, v in variables.items())
    return text + "#" * (1024 - len(text))


def rocky(tmp: Path) -> Layout:
    """Rocky Linux 9 as its cloud and installer images are: LVM ``rl``, XFS, BLS + grubenv."""
    kernelopts = (
        "root=/dev/mapper/rl-root ro crashkernel=1G-4G:192M resume=/dev/mapper/rl-swap "
        "rd.lvm.lv=rl/root rd.lvm.lv=rl/swap systemd.unified_cgroup_hierarchy=0"
    )
    fstab = (
        "/dev/mapper/rl-root     /                       xfs     defaults        0 0\n"
        f"UUID={BOOT_UUID} /boot                   xfs     defaults        0 0\n"
        f"UUID={ESP_UUID}          /boot/efi               vfat    umask=0077,shortname=winnt 0 2\n"
        "/dev/mapper/rl-swap     none                    swap    defaults        0 0\n"
    )
    entry = (
        f"title Rocky Linux ({RELEASE}) 9.4 (Blue Onyx)\nversion {RELEASE}\n"
        f"linux /vmlinuz-{RELEASE}\ninitrd /initramfs-{RELEASE}.img $tuned_initrd\n"
        "options $kernelopts $tuned_params\nid rocky-20240101-" + RELEASE + "\n"
        "grub_users $grub_users\ngrub_arg --unrestricted\ngrub_class rocky\n"
    )
    extra: dict[str, Item] = {
        f"boot/loader/entries/{MACHINE_ID}-{RELEASE}.conf": entry,
        "boot/grub2/grubenv": grubenv(saved_entry=f"{MACHINE_ID}-{RELEASE}", kernelopts=kernelopts),
        "boot/grub2/grub.cfg": (
            'set default="${saved_entry}"\nload_env -f ${config_directory}/grubenv\nblscfg\n'
        ),
        "etc/kernel/cmdline": kernelopts.removesuffix(" systemd.unified_cgroup_hierarchy=0") + "\n",
        "boot/efi": Dir(),
        **{f"boot/efi/{k}": v for k, v in ESP.items()},
    }
    release = os_release(
        NAME="Rocky Linux", VERSION="9.4 (Blue Onyx)", ID="rocky", ID_LIKE="rhel centos fedora",
        VERSION_ID="9.4", PLATFORM_ID="platform:el9",
    )  # fmt: skip
    tree = base(release, fstab, extra)
    root = mkfs_xfs(to_dir(outside(tree, "boot/"), tmp / "root"), tmp / "root.img", 64)
    boot_tree = to_dir(outside(under(tree, "boot/"), "efi/"), tmp / "boot")
    boot = mkfs_xfs(boot_tree, tmp / "boot.img", 64, "-m", f"uuid={BOOT_UUID}")
    swap = swap_image(tmp, 4)
    pv = tmp / "pv.img"
    lvm_pv(
        pv,
        72,
        "rl",
        [LV("root", [(0, 64, 0)], content=root), LV("swap", [(0, 4, 64)], content=swap)],
    )
    disk = tmp / "rocky.raw"
    partitioned(disk, [Part(esp_image(tmp, tree), 33, "esp"), Part(boot, 64), Part(pv, 72, "lvm")])
    return Layout("rocky", tree, disk)


def alpine(tmp: Path) -> Layout:
    """Alpine's ``setup-disk`` sys mode: MBR, /boot + swap + / (ext4), extlinux, OpenRC."""
    fstab = (
        f"UUID={ROOT_UUID}\t/\text4\trw,relatime 0 1\n"
        f"UUID={BOOT_UUID}\t/boot\text4\trw,relatime 0 2\n"
        f"UUID={SWAP_UUID}\tswap\tswap\tdefaults\t0 0\n"
        "/dev/cdrom\t/media/cdrom\tiso9660\tnoauto,ro 0 0\n"
        "/dev/usbdisk\t/media/usb\tvfat\tnoauto\t0 0\n"
        "tmpfs\t/tmp\ttmpfs\tnosuid,nodev\t0\t0\n"
    )
    opts = "quiet rootfstype=ext4 cgroup_disable=memory"
    extlinux = (
        "DEFAULT menu.c32\nPROMPT 0\nMENU TITLE Alpine/Linux Boot Menu\nMENU HIDDEN\nTIMEOUT 10\n"
        f"LABEL lts\n  MENU LABEL Linux lts\n  LINUX vmlinuz-{RELEASE}\n"
        f"  INITRD initramfs-{RELEASE}\n"
        f"  APPEND root=UUID={ROOT_UUID} modules=sd-mod,usb-storage,ext4 {opts}\n"
    )
    busybox = Path("/bin/busybox").read_bytes()
    applets = ("bin/mount", "bin/umount", "sbin/modprobe", "usr/sbin/adduser", "usr/sbin/deluser",
               "usr/bin/id")  # fmt: skip
    extra: dict[str, Item] = {
        "boot/extlinux.conf": extlinux,
        "etc/update-extlinux.conf": (
            "overwrite=1\nvesa_menu=0\n"
            f'default_kernel_opts="{opts}"\nmodules=sd-mod,usb-storage,ext4\n'
            f"root=UUID={ROOT_UUID}\nverbose=0\nhidden=1\ntimeout=1\ndefault=lts\n"
        ),
        "etc/alpine-release": "3.20.3\n",
        "etc/apk/world": "alpine-base\nopenssh\n",
        "etc/apk/repositories": "https://dl-cdn.alpinelinux.org/alpine/v3.20/main\n",
        "lib/apk/db/installed": "C:Q1abc=\nP:busybox\nV:1.36.1-r29\nA:x86_64\nF:bin\nR:busybox\n\n",
        "etc/rc.conf": 'rc_cgroup_mode="unified"\n',
        "sbin/openrc": File("#!/bin/sh\n", mode=0o755),
        "etc/init.d/sshd": File("#!/sbin/openrc-run\n", mode=0o755),
        "etc/runlevels/default/sshd": Symlink("/etc/init.d/sshd"),
        "bin/busybox": File(busybox, mode=0o755),
        **{path: Symlink("/bin/busybox") for path in applets},
    }
    drop = ("bin", "sbin", "lib", "usr/bin/mount", "usr/bin/umount", "usr/sbin/modprobe")
    release = os_release(NAME="Alpine Linux", ID="alpine", VERSION_ID="3.20.3",
                         PRETTY_NAME="Alpine Linux v3.20")  # fmt: skip
    tree = base(release, fstab, extra, drop)
    tree["lib"] = Dir()
    for path, item in list(tree.items()):
        if path.startswith("usr/lib/") and not path.startswith("usr/lib/os-release"):
            tree["lib/" + path.removeprefix("usr/lib/")] = item
            del tree[path]
    tree = make_tree(tree)
    root = mkfs_ext4(
        to_dir(outside(tree, "boot/"), tmp / "root"), tmp / "root.img", 40, "-U", ROOT_UUID
    )
    boot = mkfs_ext4(
        to_dir(under(tree, "boot/"), tmp / "boot"), tmp / "boot.img", 16, "-U", BOOT_UUID
    )
    disk = tmp / "alpine.raw"
    partitioned(disk, [Part(boot, 16), Part(swap_image(tmp, 4), 4, "82"), Part(root, 40)], "mbr")
    return Layout("alpine", tree, disk)


def ubuntu(tmp: Path) -> Layout:
    """Ubuntu's cloud image: GPT with BIOS boot, ``LABEL=cloudimg-rootfs``, grub.d drop-ins."""
    fstab = (
        "LABEL=cloudimg-rootfs\t/\t ext4\tdiscard,errors=remount-ro\t0 1\n"
        "LABEL=UEFI\t/boot/efi\tvfat\tumask=0077\t0 1\n"
    )
    grub_cfg = (
        "set default=0\nmenuentry 'Ubuntu' --class ubuntu {\n"
        f"\tsearch --no-floppy --label cloudimg-rootfs --set=root\n"
        f"\tlinux /boot/vmlinuz-{RELEASE} root=LABEL=cloudimg-rootfs ro console=tty1 "
        "console=ttyS0 systemd.unified_cgroup_hierarchy=0\n}\n"
    )
    extra: dict[str, Item] = {
        "boot/grub/grub.cfg": grub_cfg,
        "etc/default/grub": (
            'GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX_DEFAULT="quiet splash"\nGRUB_CMDLINE_LINUX=""\n'
        ),
        "etc/default/grub.d/50-cloudimg-settings.cfg": (
            "# Cloud Image specific Grub settings for Generic Cloud Images\n"
            'GRUB_CMDLINE_LINUX_DEFAULT="console=tty1 console=ttyS0 '
            'systemd.unified_cgroup_hierarchy=0"\n'
            "GRUB_TIMEOUT=0\n"
        ),
        "etc/default/grub.d/40-force-partuuid.cfg": "GRUB_FORCE_PARTUUID=\n",
        "boot/efi": Dir(),
        **{f"boot/efi/{k}": v for k, v in ESP.items()},
    }
    release = os_release(NAME="Ubuntu", VERSION_ID="24.04", ID="ubuntu", ID_LIKE="debian",
                         VERSION_CODENAME="noble", PRETTY_NAME="Ubuntu 24.04.1 LTS")  # fmt: skip
    tree = base(release, fstab, extra)
    root_dir = to_dir(outside(tree, "boot/efi/"), tmp / "root")
    root = mkfs_ext4(root_dir, tmp / "root.img", 48, "-L", "cloudimg-rootfs", "-U", ROOT_UUID)
    disk = tmp / "ubuntu.raw"
    esp = esp_image(tmp, tree, "UEFI")
    partitioned(disk, [Part(root, 48), Part(None, 4, BIOS_BOOT), Part(esp, 33, "esp")])
    return Layout("ubuntu", tree, disk)


def amazon(tmp: Path) -> Layout:
    """Amazon Linux 2023: XFS root with /boot, BIOS boot and ESP, BLS entries grubby writes."""
    fstab = (
        f"UUID={ROOT_UUID}     /           xfs    defaults,noatime  1   1\n"
        f"UUID={ESP_UUID}        /boot/efi       vfat    defaults,noatime,uid=0,gid=0,umask=0077,"
        "shortname=winnt,x-systemd.automount 0 2\n"
    )
    entry = (
        f"title Amazon Linux ({RELEASE}) 2023\nversion {RELEASE}\nlinux /boot/vmlinuz-{RELEASE}\n"
        f"initrd /boot/initramfs-{RELEASE}.img\n"
        f"options root=UUID={ROOT_UUID} ro console=tty0 console=ttyS0,115200n8 "
        "nvme_core.io_timeout=4294967295 rd.emergency=poweroff rd.shell=0 selinux=1 "
        "security=selinux quiet cgroup_disable=cpuset\ngrub_users $grub_users\n"
        "grub_arg --unrestricted\ngrub_class amzn\n"
    )
    extra: dict[str, Item] = {
        f"boot/loader/entries/ec2{MACHINE_ID[3:]}-{RELEASE}.conf": entry,
        "boot/grub2/grub.cfg": 'set default="${saved_entry}"\nblscfg\n',
        "boot/grub2/grubenv": grubenv(
            saved_entry=f"ec2{MACHINE_ID[3:]}-{RELEASE}", boot_success="0"
        ),
        "etc/system-release": "Amazon Linux release 2023.6.20241121 (Amazon Linux)\n",
        "boot/efi": Dir(),
        **{f"boot/efi/{k}": v for k, v in ESP.items()},
    }
    release = os_release(NAME="Amazon Linux", VERSION="2023", ID="amzn", ID_LIKE="fedora",
                         VERSION_ID="2023", PLATFORM_ID="platform:al2023")  # fmt: skip
    tree = base(release, fstab, extra)
    root_dir = to_dir(outside(tree, "boot/efi/"), tmp / "root")
    root = mkfs_xfs(root_dir, tmp / "root.img", 64, "-m", f"uuid={ROOT_UUID}", "-L", "/")
    disk = tmp / "amazon.raw"
    esp = esp_image(tmp, tree)
    partitioned(disk, [Part(root, 64), Part(None, 1, BIOS_BOOT), Part(esp, 33, "esp")])
    return Layout("amazon", tree, disk)


def arm64_image() -> bytes:
    """A gzip-compressed arm64 ``Image``: its header (magic ``ARM\\x64``) and a version banner."""
    header = bytearray(64)
    header[0:4] = b"MZ\x40\xfa"
    header[56:60] = b"ARM\x64"
    banner = f"Linux version {RELEASE} (debian-kernel@lists.debian.org) (gcc 12) #1 SMP\n\0"
    # Code-like bytes that do not compress away: the file must be as large as a kernel image.
    code = b"".join(hashlib.sha256(i.to_bytes(4, "little")).digest() for i in range(512))
    return gzip.compress(bytes(header) + code + banner.encode() + code, mtime=0)


def arm64(tmp: Path, binaries: Mapping[str, bytes]) -> Layout:
    """A Debian arm64 cloud image: ESP on /boot/efi only, an arm64 root, Image and dtbs."""
    fstab = (
        f"UUID={ROOT_UUID} / ext4 rw,discard,errors=remount-ro,x-systemd.growfs 0 1\n"
        f"UUID={ESP_UUID} /boot/efi vfat defaults 0 0\n"
    )
    dtb = b"\xd0\x0d\xfe\xed" + bytes(60)
    lib = "usr/lib/aarch64-linux-gnu"
    extra: dict[str, Item] = {
        f"boot/vmlinuz-{RELEASE}": arm64_image(),
        f"usr/lib/linux-image-{RELEASE}/broadcom/bcm2711-rpi-4-b.dtb": dtb,
        "boot/grub/grub.cfg": (
            "menuentry 'Debian GNU/Linux' {\n"
            f"\tlinux /boot/vmlinuz-{RELEASE} root=UUID={ROOT_UUID} ro console=ttyAMA0\n}}\n"
        ),
        "boot/efi": Dir(),
        "boot/efi/EFI/BOOT/BOOTAA64.EFI": b"MZ" + b"a" * 3000,
        **{path: File(data, mode=0o755) for path, data in binaries.items()},
        f"{lib}/libc.so.6": File(
            Path("/usr/aarch64-linux-gnu/lib/libc.so.6").read_bytes(), mode=0o755
        ),
        f"{lib}/ld-linux-aarch64.so.1": File(
            Path("/usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1").read_bytes(), mode=0o755
        ),
        "usr/lib/ld-linux-aarch64.so.1": Symlink("aarch64-linux-gnu/ld-linux-aarch64.so.1"),
    }
    drop = (
        "usr/lib/x86_64-linux-gnu/libc.so.6",
        "usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
        "usr/lib64/ld-linux-x86-64.so.2",
    )
    release = os_release(PRETTY_NAME="Debian GNU/Linux 12 (bookworm)", NAME="Debian GNU/Linux",
                         VERSION_ID="12", VERSION_CODENAME="bookworm", ID="debian")  # fmt: skip
    tree = base(release, fstab, extra, drop)
    root_dir = to_dir(outside(tree, "boot/efi/"), tmp / "root")
    root = mkfs_ext4(root_dir, tmp / "root.img", 48, "-U", ROOT_UUID)
    disk = tmp / "arm64.raw"
    esp = mkfs_vfat(to_dir(under(tree, "boot/efi/"), tmp / "esp"), tmp / "esp.img", 33)
    partitioned(disk, [Part(esp, 33, "esp"), Part(root, 48, ARM64_ROOT)])
    return Layout("arm64", tree, disk)


def arm64_binaries(hello: Path) -> dict[str, bytes]:
    """The executables of the arm64 layout, each a real aarch64 dynamic glibc binary."""
    data = hello.read_bytes()
    names = (
        "usr/bin/mount",
        "usr/bin/umount",
        "usr/sbin/modprobe",
        "usr/sbin/xtables-nft-multi",
        "usr/bin/env",
    )
    return dict.fromkeys(names, data)


BUILDERS: Mapping[str, Callable[[Path], Layout]] = {
    "rocky": rocky,
    "alpine": alpine,
    "ubuntu": ubuntu,
    "amazon": amazon,
}


def build(name: str, tmp: Path, arm64_hello: Path | None = None) -> Layout:
    """Build layout ``name`` under ``tmp`` (``arm64`` needs the aarch64 ``hello`` binary)."""
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    if name == "arm64":
        assert arm64_hello is not None, "the arm64 layout needs an aarch64 binary"
        return arm64(tmp, arm64_binaries(arm64_hello))
    return BUILDERS[name](tmp)
