"""VM disk benchmark: scan a Debian disk image next to ``qemu-img convert -O raw`` of it.

Builds (once, under ``bench-out/disk/``) a Debian bookworm root with its kernel with
``mmdebstrap`` (needs root and Debian's package mirror), moves its ``/boot`` into a separate
ext4 file system named by UUID in ``/etc/fstab``, and writes a GPT raw disk of
``--size`` MiB (``/boot`` + root, both ``mkfs.ext4 -d``), then qcow2 and zlib-compressed qcow2
copies. Each command runs ``--repeat`` times in a fresh wrapper process whose
``RUSAGE_CHILDREN`` peak RSS is the command's own; the image file is read once beforehand so
every command starts with it in the page cache. The reference is ``qemu-img convert -O raw`` to
a scratch file under ``bench-out/`` (deleted after each run): it reads every allocated byte of
the image and writes the data out sparsely. Prints best wall time, peak RSS and the ratio of
each scan to the conversion of the same image, after the fixed cost of a scan (start-up, rule
loading, report) measured on an empty directory.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import uuid
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "sources" / "disk")]

from disk_builders import MIB, Part, convert, mkfs_ext4, partitioned, run  # noqa: E402
from measure import measure  # noqa: E402

OUT = ROOT / "bench-out" / "disk"
DEBIAN = OUT / "root"
BOOT = OUT / "boot"
PACKAGES = "linux-image-cloud-amd64,systemd-sysv,iptables,kmod,mount"
BOOT_MIB = 256
PROFILE_SETS = (("k0s",), ("k0s", "golden-image", "elf-linkage"))


def debian_root() -> None:
    """``mmdebstrap`` the Debian root into ``bench-out/disk/root`` unless it is there."""
    if DEBIAN.is_dir():
        return
    if os.geteuid() != 0:
        raise SystemExit("disk_bench: building the Debian root needs root (mmdebstrap)")
    if shutil.which("mmdebstrap") is None:
        raise SystemExit("disk_bench: mmdebstrap is not installed ('make deps' installs it)")
    partial = OUT / "root.partial"
    shutil.rmtree(partial, ignore_errors=True)
    OUT.mkdir(parents=True, exist_ok=True)
    run("mmdebstrap", "--variant=minbase", f"--include={PACKAGES}", "bookworm", str(partial))
    partial.rename(DEBIAN)


def split_boot() -> tuple[str, str]:
    """Move the root's ``/boot`` content to ``bench-out/disk/boot``; write the fstab; UUIDs."""
    ids = OUT / "uuids.json"
    if ids.exists():
        saved = json.loads(ids.read_text())
        return str(saved["root"]), str(saved["boot"])
    root_uuid, boot_uuid = str(uuid.uuid4()), str(uuid.uuid4())
    BOOT.mkdir(exist_ok=True)
    for item in sorted((DEBIAN / "boot").iterdir()):
        item.rename(BOOT / item.name)
    (DEBIAN / "etc" / "fstab").write_text(
        "# /etc/fstab: static file system information.\n"
        f"UUID={root_uuid} / ext4 errors=remount-ro 0 1\n"
        f"UUID={boot_uuid} /boot ext4 defaults 0 2\n"
    )
    ids.write_text(json.dumps({"root": root_uuid, "boot": boot_uuid}))
    return root_uuid, boot_uuid


def images(size_mib: int) -> list[Path]:
    """The raw GPT disk and its qcow2 and compressed qcow2 copies (reused when there)."""
    raw, qcow2, compressed = OUT / "debian.raw", OUT / "debian.qcow2", OUT / "debian-zlib.qcow2"
    if not raw.exists():
        debian_root()
        root_uuid, boot_uuid = split_boot()
        boot = mkfs_ext4(BOOT, OUT / "boot.img", BOOT_MIB, "-U", boot_uuid)
        root_mib = size_mib - BOOT_MIB - 8
        root = mkfs_ext4(DEBIAN, OUT / "root.img", root_mib, "-U", root_uuid)
        partial = OUT / "debian.raw.partial"
        partitioned(partial, [Part(boot, BOOT_MIB), Part(root, root_mib, "root")])
        boot.unlink()
        root.unlink()
        partial.rename(raw)
    if not qcow2.exists():
        convert(raw, qcow2, "qcow2")
    if not compressed.exists():
        convert(raw, compressed, "qcow2", "-c")
    return [raw, qcow2, compressed]


def warm(path: Path) -> None:
    """Read the file once so every measurement starts from the page cache."""
    with open(path, "rb") as file:
        while file.read(16 * MIB):
            pass


def allocated_mb(path: Path) -> float:
    """Bytes the file occupies on the host (sparse raw disks occupy less than their size)."""
    return path.stat().st_blocks * 512 / 1e6


def scan_argv(image: Path, profiles: tuple[str, ...]) -> list[str]:
    """``python -m analyzer scan IMAGE --format json -o /dev/null`` with ``profiles``."""
    argv = [sys.executable, "-m", "analyzer", "scan", str(image), "--format", "json"]
    argv += ["-o", os.devnull]
    for name in profiles:
        argv += ["--profile", name]
    return argv


def main() -> int:
    """Build the images, measure, print the table; 1 when a command failed."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--size", type=int, default=1536, help="virtual disk size in MiB")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    failed = []
    empty = OUT / "empty-rootfs"
    empty.mkdir(parents=True, exist_ok=True)
    startup = measure(scan_argv(empty, PROFILE_SETS[0]), args.repeat)
    print(
        f"{'image':<18} {'virt MB':>8} {'file MB':>8} {'command':<34} {'wall s':>7}"
        f" {'ratio':>6} {'RSS MB':>7}"
    )
    print(f"{'(empty directory)':<18} {'':>17} {'scan k0s':<34} {startup.wall:>7.2f}"
          f" {'':>6} {startup.rss_mb:>7.1f}")  # fmt: skip
    for image in images(args.size):
        warm(image)
        virtual = json.loads(run("qemu-img", "info", "--output=json", str(image)))["virtual-size"]
        scratch = OUT / "tmp.raw"
        reference = measure(
            ["qemu-img", "convert", "-O", "raw", str(image), str(scratch)],
            args.repeat,
            partial(scratch.unlink, missing_ok=True),
        )
        rows = [("qemu-img convert -O raw", reference)]
        for profiles in PROFILE_SETS:
            rows.append(
                (f"scan {'+'.join(profiles)}", measure(scan_argv(image, profiles), args.repeat))
            )
        for number, (label, result) in enumerate(rows):
            name = image.name if number == 0 else ""
            sizes = (
                f"{virtual / 1e6:>8.0f} {allocated_mb(image):>8.0f}" if number == 0 else " " * 17
            )
            ratio = result.wall / reference.wall
            print(
                f"{name:<18} {sizes} {label:<34} {result.wall:>7.2f} {ratio:>5.2f}x"
                f" {result.rss_mb:>7.1f}"
            )
            if result.code not in ((0,) if number == 0 else (0, 1)):
                failed.append(f"{image.name}: {label} exited {result.code}")
    for line in failed:
        print(f"failed: {line}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
