"""What each fuzz family feeds its input to, and which outcomes are bugs.

A target takes the fuzzer's bytes and drives one parser the way a scan does. Refusing the
input with an :class:`~analyzer.errors.ImgauditError` (a one-line error, a notification) is
the expected way to fail; any other exception, a hang or memory beyond the budget is a bug.
An analyzer that fails (``analyzer.failed``: it was isolated, but it crashed) is a bug too.

Two kinds of families:

- byte families (``archive``, ``oci``, ``docker``, ``elf``, ``kernel``, ``kconfig``,
  ``boot``, ``lvm-text``): the input is the document or file itself;
- image families (``qcow2``, ``vmdk``, ``vhd``, ``vhdx``, ``mbr-gpt``, ``lvm``, ``ext4``,
  ``xfs``, ``fat``): the input is a list of small patches applied to a base image built by
  the real tools (:mod:`seeds`), so that mutations land on metadata, not on megabytes of
  zeros. See :class:`Patcher` for the encoding.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
from collections.abc import Callable, Iterator
from pathlib import Path

from analyzer.analyzers.elf import ElfAnalyzer
from analyzer.analyzers.kernel_image import KernelImageAnalyzer
from analyzer.errors import ImgauditError
from analyzer.kernel import cmdline, kconfig
from analyzer.model import Level, Location
from analyzer.sources import open_source
from analyzer.sources.archive import ArchiveLimits, ArchiveReader
from analyzer.sources.base import Source
from analyzer.sources.disk import lvm
from analyzer.sources.vm import VmDisk
from analyzer.stream.entry import BytesData, Kind
from analyzer.vfs.node import Node
from analyzer.vfs.offer import offer

#: Bytes of each file a disk target reads, and entries it walks at most.
READ_CAP = 1 << 16
MAX_ENTRIES = 2000
SECTOR = 512


class Bug(Exception):
    """A failure that is not a clean refusal of bad input."""


Target = Callable[[bytes], None]


class Patcher:
    """Applies a fuzz input to a base image and writes the result to ``path``.

    The input is a sequence of records ``[sector: 2 bytes][offset: 2 bytes][count: 1 byte]``
    followed by ``1 + count % 32`` bytes that replace the base image's bytes at that offset
    of the ``sector``-th (modulo) non-zero 512-byte sector. Zero sectors are left out: they
    hold file data or nothing. The image is written sparse (non-zero chunks only).
    """

    def __init__(self, base: Path, path: Path) -> None:
        data = base.read_bytes()
        self.size = len(data)
        self.path = path
        self.chunks = [
            (at, data[at : at + SECTOR])
            for at in range(0, len(data), SECTOR)
            if data[at : at + SECTOR].strip(b"\0")
        ]
        self.hot = [at for at, _ in self.chunks] or [0]

    def patches(self, fuzz: bytes) -> Iterator[tuple[int, bytes]]:
        """``(offset, bytes)`` the input asks for."""
        pos = 0
        while pos + 5 <= len(fuzz):
            sector = int.from_bytes(fuzz[pos : pos + 2], "little") % len(self.hot)
            offset = int.from_bytes(fuzz[pos + 2 : pos + 4], "little") % SECTOR
            count = 1 + fuzz[pos + 4] % 32
            value = fuzz[pos + 5 : pos + 5 + count]
            pos += 5 + count
            if value:
                yield self.hot[sector] + offset, value

    def write(self, fuzz: bytes) -> Path:
        """Write the patched image; return its path."""
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.ftruncate(fd, self.size)
            for at, chunk in self.chunks:
                os.pwrite(fd, chunk, at)
            for at, value in self.patches(fuzz):
                os.pwrite(fd, value[: max(0, self.size - at)], at)
        finally:
            os.close(fd)
        return self.path


def read_all(source: Source) -> None:
    """Read every entry of ``source`` (bounded), as a scan would; refusals end it cleanly."""
    try:
        count = 0
        for layer in source.layers():
            for _entry, blocks in layer.entries:
                count += 1
                if count > MAX_ENTRIES:
                    return
                read = 0
                for block in blocks():
                    read += len(block)
                    if read >= READ_CAP:
                        break
    except ImgauditError:
        return
    finally:
        source.close()


def walk_source(target: str) -> None:
    """Open ``target`` as imgaudit does and read it; refusals are fine."""
    try:
        source = open_source(target)
    except ImgauditError:
        return
    read_all(source)


def disk_target(base: Path, scratch: Path) -> Target:
    """A target that scans the base image with the input's patches, as a disk."""
    patcher = Patcher(base, scratch / f"input{base.suffix}")

    def run(fuzz: bytes) -> None:
        path = patcher.write(fuzz)
        try:
            source = VmDisk(str(path))
        except ImgauditError:
            return
        read_all(source)

    return run


def archive_target(fuzz: bytes) -> None:
    """Read the input as a tar or cpio archive (any compression) through libarchive."""
    stream = io.BytesIO(fuzz)
    limits = ArchiveLimits(max_bytes=64 << 20, min_ratio_floor=1 << 20)
    reader = ArchiveReader(stream.read, "fuzz", limits, threads=False)
    try:
        for _entry, blocks in reader.entries():
            for _block in blocks():
                pass
    except ImgauditError:
        return


def layout_target(scratch: Path) -> Target:
    """OCI: the input is ``index.json``, a manifest or a config (chosen by its first byte)."""
    layout = scratch / "layout"

    def run(fuzz: bytes) -> None:
        choice, document = (fuzz[0] if fuzz else 0) % 3, fuzz[1:]
        files = json.loads((scratch / "oci-files.json").read_text())
        blobs = layout / "blobs" / "sha256"
        if layout.exists():
            for old in blobs.iterdir():
                old.unlink()
        blobs.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            (layout / name).write_bytes(text.encode("latin-1"))
        index = json.loads(files["index.json"])
        if choice == 0:
            (layout / "index.json").write_bytes(document)
        else:
            digest = hashlib.sha256(document).hexdigest()
            (blobs / digest).write_bytes(document)
            if choice == 1:
                index["manifests"][0]["digest"] = f"sha256:{digest}"
            else:
                manifest_name = "blobs/sha256/" + index["manifests"][0]["digest"][7:]
                manifest = json.loads(files[manifest_name])
                manifest["config"]["digest"] = f"sha256:{digest}"
                data = json.dumps(manifest).encode()
                new = hashlib.sha256(data).hexdigest()
                (blobs / new).write_bytes(data)
                index["manifests"][0]["digest"] = f"sha256:{new}"
            (layout / "index.json").write_text(json.dumps(index))
        walk_source(f"oci:{layout}")

    return run


def docker_target(scratch: Path) -> Target:
    """docker-archive: the input is ``manifest.json`` of an otherwise valid ``docker save``."""
    path = scratch / "image.tar"

    def run(fuzz: bytes) -> None:
        members = json.loads((scratch / "docker-files.json").read_text())
        with tarfile.open(path, "w") as out:
            for name, text in [*members.items(), ("manifest.json", None)]:
                data = fuzz if text is None else text.encode("latin-1")
                info = tarfile.TarInfo(name)
                info.size = len(data)
                out.addfile(info, io.BytesIO(data))
        walk_source(f"docker-archive:{path}")

    return run


def analyzer_target(path: str, analyzer: ElfAnalyzer | KernelImageAnalyzer) -> Target:
    """Offer the input as the file ``path`` to one per-file analyzer."""

    def run(fuzz: bytes) -> None:
        node = Node(Kind.FILE, 0o755, size=len(fuzz))
        failures: list[str] = []

        def note(level: Level, code: str, message: str, where: str | None = None) -> None:
            del level, where
            if code == "analyzer.failed":
                failures.append(message)

        try:
            offer(path, node, BytesData(fuzz), [analyzer], note)
        except ImgauditError:
            return
        if failures:
            raise Bug(failures[0])

    return run


def kconfig_target(fuzz: bytes) -> None:
    """Parse the input as a kernel ``.config``."""
    kconfig.parse_text(fuzz.decode("utf-8", "surrogateescape"))


def boot_target(fuzz: bytes) -> None:
    """Parse the input as grub.cfg, a BLS entry, grubenv, /etc/default/grub and extlinux.conf."""
    lines = fuzz.decode("utf-8", "surrogateescape").splitlines()
    cmdline.parse_grub_cfg(Location("/boot/grub/grub.cfg"), lines)
    env = cmdline.parse_grubenv(Location("/boot/grub/grubenv"), lines)
    bls = "/boot/loader/entries/a.conf"
    cmdline.parse_bls(bls, Location(bls), lines, env)
    cmdline.parse_grub_defaults([(Location("/etc/default/grub"), lines)])
    cmdline.parse_extlinux(Location("/boot/extlinux/extlinux.conf"), lines)
    cmdline.split_params(
        fuzz.decode("utf-8", "replace"),
        Location("/proc/cmdline"),
        1,
        cmdline.CmdlineSource.KERNEL_CMDLINE,
    )


def lvm_text_target(fuzz: bytes) -> None:
    """Parse the input as LVM2 text metadata."""
    try:
        lvm.parse(fuzz.decode("utf-8", "surrogateescape"))
    except ImgauditError:
        return


BYTE_TARGETS: dict[str, Target] = {
    "archive": archive_target,
    "elf": analyzer_target("/usr/bin/tool", ElfAnalyzer()),
    "kernel": analyzer_target("/boot/vmlinuz-6.1.0", KernelImageAnalyzer()),
    "kconfig": kconfig_target,
    "boot": boot_target,
    "lvm-text": lvm_text_target,
}
#: Image families; each has a base image built by :mod:`seeds`.
IMAGE_FAMILIES = ("qcow2", "vmdk", "vhd", "vhdx", "mbr-gpt", "lvm", "ext4", "xfs", "fat")
#: Families whose target needs files written by :mod:`seeds` in the scratch directory.
SCRATCH_TARGETS: dict[str, Callable[[Path], Target]] = {
    "oci": layout_target,
    "docker": docker_target,
}
FAMILIES = (*BYTE_TARGETS, *SCRATCH_TARGETS, *IMAGE_FAMILIES)


def target(family: str, work: Path) -> Target:
    """The target of ``family``; ``work`` holds its seeds (and base image) and scratch files."""
    if family in BYTE_TARGETS:
        return BYTE_TARGETS[family]
    if family in SCRATCH_TARGETS:
        return SCRATCH_TARGETS[family](work)
    [base] = work.glob("base.*")
    return disk_target(base, work)
