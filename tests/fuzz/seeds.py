"""Seed inputs of every fuzz family, built at run time with the real tools.

:func:`build` writes a family's starting corpus into ``work/corpus`` and whatever its
target needs (a base image ``work/base.*``, the files of a valid image layout) into
``work``. Nothing here is committed: the trees are small declarations, the images come from
``mkfs``, ``sfdisk``, ``qemu-img``, libarchive and the compilers.
"""

from __future__ import annotations

import gzip
import json
import random
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
for extra in (TESTS, TESTS / "sources" / "disk", TESTS / "sources" / "container", TESTS / "kernel"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from builders import File, Item, Symlink, make_tree, to_tar  # noqa: E402
from disk_builders import (  # noqa: E402
    LV,
    Part,
    convert,
    lvm_pv,
    mkfs_ext4,
    mkfs_vfat,
    mkfs_xfs,
    partitioned,
    write_tree,
)
from imagebuild import Image, docker_files, layer, oci_files  # noqa: E402
from kernel_synth import bzimage, vmlinux  # noqa: E402

ROOT = TESTS.parent
UUID = "0b5e7c1a-2f4d-4c3b-9a8e-1d2c3b4a5f60"
SPEC: dict[str, Item] = {
    "etc/hosts": "127.0.0.1 localhost\n",
    "etc/os-release": 'ID=debian\nVERSION_ID="12"\n',
    "etc/fstab": f"UUID={UUID} / ext4 defaults 0 1\n",
    "bin/sh": Symlink("busybox"),
    "bin/busybox": File(b"\x7fELF" + bytes(60), mode=0o755),
    "usr/share/doc/a/copyright": "x" * 5000,
    "var/lib/dir/" + "n" * 40: "long name\n",
}
KCONFIG = "# Linux/x86 6.1.0 Kernel Configuration\nCONFIG_CGROUPS=y\n# CONFIG_BPF is not set\n"
GRUB = """set default="0"
menuentry 'Debian GNU/Linux' --class debian $menuentry_id_option 'gnulinux-simple' {
\tlinux\t/boot/vmlinuz-6.1.0 root=UUID=0b5e cgroup_no_v1=all quiet
}
submenu 'Advanced' {
\tmenuentry 'Debian, 6.1.0' {
\t\tlinux /boot/vmlinuz-6.1.0 root=/dev/sda1 ro "systemd.unit=a b"
\t}
}
"""
BLS = "title Fedora\nversion 6.1.0\nlinux /vmlinuz-6.1.0\noptions root=UUID=0b5e $kernelopts\n"
GRUBENV = "# GRUB Environment Block\nkernelopts=root=/dev/vda1 ro quiet\n" + "#" * 64
DEFAULTS = 'GRUB_CMDLINE_LINUX_DEFAULT="quiet"\nGRUB_CMDLINE_LINUX="cgroup_enable=memory"\n'
EXTLINUX = "default linux\nlabel linux\n  kernel /vmlinuz\n  append root=/dev/sda1 quiet\n"
LVM_TEXT = """vg0 {
id = "AAAAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGGGG"
seqno = 1
format = "lvm2"
status = ["RESIZEABLE", "READ", "WRITE"]
extent_size = 8192
physical_volumes {
pv0 {
id = "pvAAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGGHH"
device = "/dev/sda2"
pe_start = 2048
pe_count = 10
}
}
logical_volumes {
root {
id = "lvAAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGGHH"
status = ["READ", "WRITE", "VISIBLE"]
segment_count = 1
segment1 {
start_extent = 0
extent_count = 4
type = "striped"
stripe_count = 1
stripes = ["pv0", 0]
}
}
}
}
"""


def _write(corpus: Path, name: str, data: bytes) -> None:
    corpus.mkdir(parents=True, exist_ok=True)
    (corpus / name).write_bytes(data)


def _archive(work: Path, corpus: Path) -> None:
    tree = make_tree(SPEC)
    for name, compression, fmt in (
        ("pax.tar", None, "pax"),
        ("gnu.tar.gz", "gzip", "gnutar"),
        ("ustar.tar.xz", "xz", "ustar"),
        ("newc.cpio", None, "cpio_newc"),
        ("odc.cpio.zst", "zstd", "cpio"),
    ):
        _write(corpus, name, to_tar(tree, work / name, compression, fmt).read_bytes())


def _image(work: Path) -> Image:
    return Image([layer(work, make_tree({"etc/hosts": "127.0.0.1 localhost\n"}))])


def _oci(work: Path, corpus: Path) -> None:
    files = oci_files([(_image(work), "v1")])
    (work / "oci-files.json").write_text(
        json.dumps({name: data.decode("latin-1") for name, data in files.items()})
    )
    index = json.loads(files["index.json"])
    manifest = files["blobs/sha256/" + index["manifests"][0]["digest"][7:]]
    config = files["blobs/sha256/" + json.loads(manifest)["config"]["digest"][7:]]
    for choice, document in enumerate((files["index.json"], manifest, config)):
        _write(corpus, f"document-{choice}", bytes([choice]) + document)


def _docker(work: Path, corpus: Path) -> None:
    files, links = docker_files(_image(work), "demo:1")
    assert not links
    manifest = files.pop("manifest.json")
    (work / "docker-files.json").write_text(
        json.dumps({name: data.decode("latin-1") for name, data in files.items()})
    )
    _write(corpus, "manifest.json", manifest)


def _elf(work: Path, corpus: Path) -> None:
    source = ROOT / "fixtures" / "elf" / "hello.c"
    for name, command in (
        ("hello-gcc", ["gcc", "-O1", "-o"]),
        ("hello-pie-static", ["gcc", "-O1", "-static-pie", "-nostdlib", "-e", "main", "-o"]),
        ("hello-musl", ["musl-gcc", "-O1", "-static", "-o"]),
        ("hello-arm64", ["aarch64-linux-gnu-gcc", "-O1", "-o"]),
    ):
        out = work / name
        done = subprocess.run([*command, str(out), str(source)], capture_output=True, check=False)
        if done.returncode == 0:
            subprocess.run(["strip", "-o", str(out), str(out)], capture_output=True, check=False)
            _write(corpus, name, out.read_bytes())


def _kernel(work: Path, corpus: Path) -> None:
    del work
    inner = vmlinux(config=KCONFIG, filler=2000)
    _write(corpus, "vmlinux", inner)
    _write(corpus, "bzimage-gzip", bzimage(gzip.compress(inner, mtime=0)))


def _kconfig(work: Path, corpus: Path) -> None:
    del work
    full = gzip.decompress(
        (ROOT / "fixtures" / "kconfig" / "config-6.1.0-56-cloud-amd64.gz").read_bytes()
    )
    _write(corpus, "small", KCONFIG.encode())
    _write(corpus, "head", full[:16384])


def _boot(work: Path, corpus: Path) -> None:
    del work
    for name, text in (
        ("grub.cfg", GRUB),
        ("bls.conf", BLS),
        ("grubenv", GRUBENV),
        ("default", DEFAULTS),
        ("extlinux", EXTLINUX),
    ):
        _write(corpus, name, text.encode())


def _lvm_text(work: Path, corpus: Path) -> None:
    del work
    _write(corpus, "vg0", LVM_TEXT.encode())


def _tree(work: Path, name: str) -> Path:
    return write_tree(work / f"tree-{name}", SPEC)


def _ext4(work: Path) -> Path:
    tree = _tree(work, "ext4")
    return mkfs_ext4(tree, work / "base.img", 2, "-U", UUID, "-E", f"hash_seed={UUID}")


def _fat(work: Path) -> Path:
    return mkfs_vfat(_tree(work, "fat"), work / "base.img", 2)


def _xfs(work: Path) -> Path:
    return mkfs_xfs(_tree(work, "xfs"), work / "base.img", 16, "-m", f"uuid={UUID}")


def _gpt(work: Path) -> Path:
    ext4 = _ext4(work).rename(work / "root.ext4")
    fat = _fat(work).rename(work / "esp.fat")
    disk = work / "base.raw"
    partitioned(disk, [Part(fat, 2, "esp"), Part(ext4, 2, "root")])
    return disk


def _lvm(work: Path) -> Path:
    ext4 = _ext4(work).rename(work / "root.ext4")
    pv = work / "base.pv"
    lvm_pv(pv, 8, "vg0", [LV("root", [(0, 2, 0)], content=ext4)])
    return pv


def _converted(fmt: str, *options: str) -> Callable[[Path], Path]:
    def build(work: Path) -> Path:
        disk = _gpt(work).rename(work / "disk.raw")
        return convert(disk, work / f"base.{fmt}", fmt, *options)

    return build


BASES: dict[str, Callable[[Path], Path]] = {
    "ext4": _ext4,
    "xfs": _xfs,
    "fat": _fat,
    "mbr-gpt": _gpt,
    "lvm": _lvm,
    "qcow2": _converted("qcow2", "-c"),
    "vmdk": _converted("vmdk", "-o", "subformat=streamOptimized"),
    "vhd": _converted("vpc"),
    "vhdx": _converted("vhdx"),
}
CORPORA: dict[str, Callable[[Path, Path], None]] = {
    "archive": _archive,
    "oci": _oci,
    "docker": _docker,
    "elf": _elf,
    "kernel": _kernel,
    "kconfig": _kconfig,
    "boot": _boot,
    "lvm-text": _lvm_text,
}


def build(family: str, work: Path) -> Path:
    """Write ``family``'s seeds under ``work``; return the corpus directory."""
    corpus = work / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    if family in CORPORA:
        CORPORA[family](work, corpus)
    else:
        BASES[family](work)
        _write(corpus, "unchanged", b"")
        pick = random.Random(family)
        _write(corpus, "random", bytes(pick.randrange(256) for _ in range(96)))
    for tree in work.glob("tree-*"):
        shutil.rmtree(tree)
    for proto in work.glob("*.proto"):
        proto.unlink()
    return corpus
