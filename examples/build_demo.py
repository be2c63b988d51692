"""Build the demo artefact: a small Debian-like golden VM image with the usual mistakes.

The image is a compressed qcow2 with a GPT table, a root ext4 and a separate ``/boot`` ext4
named in ``/etc/fstab`` by UUID, made with ``mkfs.ext4 -d``, ``sfdisk`` and ``qemu-img``: no
root privileges, no loop devices, no mounting. Its mistakes: a populated machine-id, an SSH
host key and a shell history baked in, no ``localhost`` line in ``/etc/hosts`` while
``nsswitch.conf`` relies on ``myhostname``, no ``modprobe``, and a kernel config with
``CONFIG_NETFILTER_XT_MATCH_COMMENT`` turned off.
"""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

from analyzer.kernel.symbols import MODULE_OF

HERE = Path(__file__).resolve().parent
KCONFIG = HERE.parent / "fixtures/kconfig/config-6.1.0-56-cloud-amd64.gz"
RELEASE = "6.1.0-56-cloud-amd64"
BUSYBOX = Path("/bin/busybox")
APPLETS = ("sh", "mount", "umount", "id", "adduser", "deluser")
MIB = 1 << 20
BOOT_MIB, ROOT_MIB = 32, 48
FIRST_SECTOR = 2048

ROOT_FILES = {
    "etc/os-release": 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n',
    "etc/hostname": "packer-debian-12\n",
    "etc/hosts": "127.0.1.1\tpacker-debian-12\n",
    "etc/nsswitch.conf": "passwd: files\nhosts: files myhostname dns\n",
    "etc/machine-id": "4c4e1f2d8a0b4b7e9d3c2a1f0e9d8c7b\n",
    "etc/ssh/ssh_host_ed25519_key": "-----BEGIN OPENSSH PRIVATE KEY-----\n(demo)\n",
    "etc/ssh/ssh_host_ed25519_key.pub": "ssh-ed25519 AAAA demo\n",
    "etc/default/grub": 'GRUB_CMDLINE_LINUX_DEFAULT="quiet"\nGRUB_CMDLINE_LINUX=""\n',
    "root/.bash_history": "apt-get install -y k0s\n",
}
#: The module the demo's kernel package "forgot" to ship.
MISSING_MODULE = "br_netfilter"


def run(*args: str, stdin: str | None = None) -> None:
    """Run a tool; its output is shown only when it fails."""
    done = subprocess.run(args, input=stdin, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)}: {done.stderr.strip()}")


def write_tree(root: Path, files: dict[str, str]) -> None:
    """Write text files under ``root``."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def modules_tree() -> dict[str, str]:
    """``/lib/modules/RELEASE``: every module the rule packs know, but one."""
    names = sorted({m[0] for m in MODULE_OF.values()} - {MISSING_MODULE})
    base = f"lib/modules/{RELEASE}"
    files = {f"{base}/kernel/{name}.ko.xz": "" for name in names}
    files[f"{base}/modules.dep"] = "".join(f"kernel/{name}.ko.xz:\n" for name in names)
    files[f"{base}/modules.builtin"] = ""
    return files


def root_tree(root: Path, boot_uuid: str, root_uuid: str) -> None:
    """The root file system: the demo's mistakes plus busybox applets (without modprobe)."""
    write_tree(root, ROOT_FILES)
    write_tree(root, modules_tree())
    fstab = f"UUID={root_uuid} / ext4 defaults 0 1\nUUID={boot_uuid} /boot ext4 defaults 0 2\n"
    write_tree(root, {"etc/fstab": fstab})
    (root / "var/lib/dbus").mkdir(parents=True)
    os.symlink("/etc/machine-id", root / "var/lib/dbus/machine-id")
    (root / "boot").mkdir()
    (root / "bin").mkdir()
    if BUSYBOX.exists():
        shutil.copy2(BUSYBOX, root / "bin/busybox")
        for applet in APPLETS:
            os.symlink("busybox", root / "bin" / applet)


def boot_tree(boot: Path) -> None:
    """``/boot``: a real Debian cloud kernel config with one required symbol turned off."""
    config = gzip.decompress(KCONFIG.read_bytes()).decode()
    config = config.replace(
        "CONFIG_NETFILTER_XT_MATCH_COMMENT=m", "# CONFIG_NETFILTER_XT_MATCH_COMMENT is not set"
    )
    write_tree(boot, {f"config-{RELEASE}": config, f"vmlinuz-{RELEASE}": "(not a real kernel)\n"})


def mkfs(tree: Path, image: Path, size_mib: int, fs_uuid: str) -> None:
    """An ext4 image of ``size_mib`` holding ``tree``."""
    with image.open("wb") as handle:
        handle.truncate(size_mib * MIB)
    run("mkfs.ext4", "-q", "-F", "-U", fs_uuid, "-E", "root_owner=0:0", "-d", str(tree), str(image))


def build(out: Path) -> Path:
    """Build ``out/golden.qcow2`` and return its path."""
    work = out / "work"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    boot_uuid, root_uuid = str(uuid.uuid4()), str(uuid.uuid4())
    root_tree(work / "root", boot_uuid, root_uuid)
    boot_tree(work / "boot")
    mkfs(work / "boot", work / "boot.img", BOOT_MIB, boot_uuid)
    mkfs(work / "root", work / "root.img", ROOT_MIB, root_uuid)
    raw = work / "disk.raw"
    with raw.open("wb") as handle:
        handle.truncate((BOOT_MIB + ROOT_MIB + 2) * MIB)
    boot_start, root_start = FIRST_SECTOR, FIRST_SECTOR + BOOT_MIB * MIB // 512
    layout = (
        "label: gpt\n"
        f"start={boot_start}, size={BOOT_MIB * MIB // 512}, type=linux, name=boot\n"
        f"start={root_start}, size={ROOT_MIB * MIB // 512}, type=linux, name=root\n"
    )
    run("sfdisk", "-q", str(raw), stdin=layout)
    with raw.open("r+b") as disk:
        for image, start in ((work / "boot.img", boot_start), (work / "root.img", root_start)):
            disk.seek(start * 512)
            disk.write(image.read_bytes())
    qcow2 = out / "golden.qcow2"
    run("qemu-img", "convert", "-c", "-f", "raw", "-O", "qcow2", str(raw), str(qcow2))
    shutil.rmtree(work)
    return qcow2


def main() -> int:
    """Build into the directory named on the command line."""
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "demo-out")
    out.mkdir(parents=True, exist_ok=True)
    sys.stdout.write(f"built {build(out)}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
