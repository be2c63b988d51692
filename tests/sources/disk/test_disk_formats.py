"""Disk image formats: the bytes our readers return equal ``qemu-img convert -O raw``."""

from __future__ import annotations

import hashlib
import tarfile
from pathlib import Path

import pytest
from disk_builders import (
    MIB,
    build_gpt_disk,
    convert,
    file_digest,
    qemu_raw_digest,
    run,
    sniffed,
)

from analyzer.errors import SourceError
from analyzer.sources.disk import DiskSource, sniff
from analyzer.sources.disk.formats import open_image
from analyzer.sources.disk.refs import References
from analyzer.sources.probe import Probe
from analyzer.vfs.build import TreeBuilder


@pytest.fixture(scope="module")
def disk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_gpt_disk(tmp_path_factory.mktemp("formats"))


def reader_digest(path: Path, *allowed: str) -> tuple[str, int, str]:
    image = open_image(str(path), References(allowed))
    try:
        hasher = hashlib.sha256()
        size = image.device.size
        for offset in range(0, size, 4 * MIB):
            hasher.update(image.device.read(offset, min(4 * MIB, size - offset)))
        return hasher.hexdigest(), size, image.format
    finally:
        image.close()


def assert_matches_qemu(image: Path, expected_format: str, trim: int = 0) -> None:
    digest, size, fmt = reader_digest(image)
    assert fmt == expected_format
    assert (digest, size) == qemu_raw_digest(image, image.parent, trim)


CASES = {
    "qcow2": ("qcow2", ()),
    "qcow2_v2_compat": ("qcow2", ("-o", "compat=0.10")),
    "qcow2_zlib_compressed": ("qcow2", ("-c",)),
    "qcow2_zstd_compressed": ("qcow2", ("-c", "-o", "compression_type=zstd")),
    "qcow2_small_clusters": ("qcow2", ("-o", "cluster_size=4096")),
    "vmdk_monolithic_sparse": ("vmdk", ("-o", "subformat=monolithicSparse")),
    "vmdk_stream_optimized": ("vmdk", ("-o", "subformat=streamOptimized")),
    "vhd_dynamic": ("vpc", ("-o", "subformat=dynamic")),
    "vhd_fixed": ("vpc", ("-o", "subformat=fixed")),
    "vhd_dynamic_force_size": ("vpc", ("-o", "subformat=dynamic,force_size=on")),
    "vhdx_dynamic": ("vhdx", ("-o", "subformat=dynamic")),
    "vhdx_fixed": ("vhdx", ("-o", "subformat=fixed")),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_format_reader_matches_qemu_img_raw(case: str, disk: Path, tmp_path: Path) -> None:
    fmt, options = CASES[case]
    image = convert(disk, tmp_path / f"disk.{fmt}", fmt, *options)
    expected = {"vpc": "vhd"}.get(fmt, fmt)
    # QEMU reads a fixed VHD's 512-byte footer as the disk's last sector; we stop before it
    assert_matches_qemu(image, expected, trim=512 if case == "vhd_fixed" else 0)
    assert sniffed(str(image))


def test_qcow2_zstd_compressed_clusters_match_qemu_img_raw(disk: Path, tmp_path: Path) -> None:
    image = convert(disk, tmp_path / "z.qcow2", "qcow2", "-c", "-o", "compression_type=zstd")
    info = run("qemu-img", "info", str(image))
    assert "compression type: zstd" in info
    assert_matches_qemu(image, "qcow2")


def test_raw_disk_reads_itself(disk: Path) -> None:
    digest, size, fmt = reader_digest(disk)
    assert (fmt, size, digest) == ("raw", disk.stat().st_size, file_digest(disk))


def test_qcow2_backing_file_found_next_to_image_and_given_explicitly(
    disk: Path, tmp_path: Path
) -> None:
    base = convert(disk, tmp_path / "base.qcow2", "qcow2")
    overlay = tmp_path / "overlay.qcow2"
    run("qemu-img", "create", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", str(overlay))
    assert_matches_qemu(overlay, "qcow2")
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    lonely = moved / "overlay.qcow2"
    lonely.write_bytes(overlay.read_bytes())
    with pytest.raises(SourceError, match=r"overlay.qcow2: backing file 'base.qcow2' not found"):
        open_image(str(lonely))
    digest, _size, _fmt = reader_digest(lonely, str(base))
    assert digest == qemu_raw_digest(overlay, tmp_path)[0]


def test_ova_with_stream_optimized_vmdk_is_read_in_place(disk: Path, tmp_path: Path) -> None:
    vmdk = convert(disk, tmp_path / "disk1.vmdk", "vmdk", "-o", "subformat=streamOptimized")
    ovf = tmp_path / "vm.ovf"
    ovf.write_text("<Envelope/>")
    ova = tmp_path / "vm.ova"
    with tarfile.open(ova, "w", format=tarfile.USTAR_FORMAT) as archive:
        archive.add(ovf, "vm.ovf")
        archive.add(vmdk, "disk1.vmdk")
    digest, size, fmt = reader_digest(ova)
    assert fmt == "ova"
    assert (digest, size) == qemu_raw_digest(vmdk, tmp_path)
    assert sniffed(str(ova))
    source = DiskSource(str(ova))
    tree = TreeBuilder([]).build(source.layers())
    assert tree.read("/boot/vmlinuz-6.1") == b"MZ kernel 6.1"
    source.close()


def test_vmdk_descriptor_with_flat_extent_in_same_directory(disk: Path, tmp_path: Path) -> None:
    descriptor = convert(disk, tmp_path / "flat.vmdk", "vmdk", "-o", "subformat=monolithicFlat")
    assert (tmp_path / "flat-flat.vmdk").exists()
    assert_matches_qemu(descriptor, "vmdk")
    sectors = disk.stat().st_size // 512
    escaping = tmp_path / "escape.vmdk"
    escaping.write_text(f'# Disk DescriptorFile\nRW {sectors} FLAT "../etc/passwd" 0\n')
    outside = r"vmdk extent '../etc/passwd' is outside the image's directory"
    with pytest.raises(SourceError, match=outside):
        open_image(str(escaping))


def test_sniff_recognises_every_magic(disk: Path) -> None:
    head = disk.read_bytes()[:4096]
    assert sniff(Probe("x", head))
    assert sniff(Probe("x", b"QFI\xfb" + bytes(100)))
    assert sniff(Probe("x", b"KDMV" + bytes(100)))
    assert sniff(Probe("x", b"# Disk DescriptorFile\n"))
    assert sniff(Probe("x", b"vhdxfile" + bytes(100)))
    assert sniff(Probe("x", b"conectix" + bytes(100)))
    assert sniff(Probe("x", b"XFSB" + bytes(100)))
    ext = bytearray(2048)
    ext[1080:1082] = b"\x53\xef"
    assert sniff(Probe("x", bytes(ext)))
    assert not sniff(Probe("x", b"\x7fELF" + bytes(4000)))
    assert not sniff(Probe("x", bytes(4096)))
