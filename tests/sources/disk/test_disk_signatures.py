"""One signature table: bare file systems, 4Kn disks and volumes we only name, by content."""

from __future__ import annotations

import os
import struct
import uuid
from pathlib import Path

import pytest
from disk_builders import (
    MIB,
    Part,
    convert,
    copy_into,
    mkfs_ext4,
    mkfs_vfat,
    mkfs_xfs,
    partitioned,
    run,
    sector_disk,
    sniffed,
    write_tree,
)

from analyzer.errors import SourceError
from analyzer.model import Level
from analyzer.sources import open_source
from analyzer.sources.disk import DiskSource, formats, signatures
from analyzer.sources.disk.device import FileDevice
from analyzer.sources.vm import VmDisk
from analyzer.vfs.build import TreeBuilder

SPEC = {"etc/os-release": "ID=test\n", "etc/fstab": "# none\n", "hello": "hi\n"}


def blank(path: Path, size_mib: int) -> Path:
    path.unlink(missing_ok=True)
    path.write_bytes(b"")
    path.chmod(0o644)
    with open(path, "r+b") as file:
        file.truncate(size_mib * MIB)
    return path


@pytest.mark.parametrize("fs", ["ext4", "xfs", "vfat"])
def test_bare_file_system_is_recognised_and_read_without_a_scheme(fs: str, tmp_path: Path) -> None:
    tree_dir = write_tree(tmp_path / "t", SPEC)
    image = tmp_path / f"bare.{fs}"
    if fs == "ext4":
        mkfs_ext4(tree_dir, image, 8)
    elif fs == "xfs":
        mkfs_xfs(tree_dir, image, 64)
    else:
        mkfs_vfat(tree_dir, image, 33)
    assert sniffed(str(image))
    source = open_source(str(image))
    assert isinstance(source, VmDisk)
    tree = TreeBuilder([]).build(source.layers())
    assert tree.read("/hello") == b"hi\n"
    assert tree.lstat("/hello").layer == f"bare.{fs}:disk"
    source.close()


def _luks(path: Path, version: int) -> Path:
    blank(path, 20)
    run(
        "cryptsetup",
        "luksFormat",
        "-q",
        f"--type=luks{version}",
        "--pbkdf=pbkdf2",
        "--pbkdf-force-iterations=1000",
        str(path),
        "-",
        input_text="secret",
    )
    return path


def _made(kind: str, tmp_path: Path) -> Path:
    path = tmp_path / f"{kind}.img"
    if kind == "luks1":
        return _luks(path, 1)
    if kind == "luks2":
        return _luks(path, 2)
    blank(path, 120)
    if kind == "swap":
        run("mkswap", "-q", str(path))
    elif kind == "btrfs":
        run("mkfs.btrfs", "-q", str(path))
    return path


@pytest.mark.parametrize(
    ("kind", "name", "description"),
    [
        ("luks1", "crypto_LUKS", "LUKS1-encrypted volume, cannot be read without its key"),
        ("luks2", "crypto_LUKS", "LUKS2-encrypted volume, cannot be read without its key"),
        ("swap", "swap", "swap space"),
    ],
)
def test_volumes_we_do_not_read_are_named_not_mistaken(
    kind: str, name: str, description: str, tmp_path: Path
) -> None:
    path = _made(kind, tmp_path)
    device = FileDevice(str(path))
    found = signatures.match(device)
    device.close()
    assert found is not None
    assert (found.name, found.description) == (name, description.partition(",")[0])
    assert sniffed(str(path))
    with pytest.raises(SourceError) as caught:
        open_source(str(path))
    assert str(caught.value) == (
        f"{path.name}: no readable file system found (disk: {description})"
    )


def test_every_signature_has_a_distinct_description() -> None:
    descriptions = [s.description for s in signatures.SIGNATURES]
    assert len(set(descriptions)) == len(descriptions)
    assert {s.name for s in signatures.SIGNATURES if s.opener} == {"ext", "xfs", "vfat", "btrfs"}


def test_gpt_at_4096_byte_sectors_without_protective_mbr(tmp_path: Path) -> None:
    """A 4Kn disk: the GPT header is at byte 4096 and the entries count 4 KiB sectors."""
    root = mkfs_ext4(write_tree(tmp_path / "t", SPEC), tmp_path / "root.img", 8)
    disk = tmp_path / "4kn.raw"
    offsets = sector_disk(disk, "gpt", 4096, [12], 20)
    copy_into(root, disk, offsets[0])
    with open(disk, "r+b") as file:
        file.write(bytes(512))  # no protective MBR: the GPT alone must be found
    assert sniffed(str(disk))
    source = DiskSource(str(disk))
    tree = TreeBuilder([]).build(source.layers())
    facts = source.facts()
    assert tree.read("/hello") == b"hi\n"
    source.close()
    assert facts["partition_table"] == "gpt"
    parts = facts["partitions"]
    assert isinstance(parts, list)
    assert parts[0]["start"] == offsets[0]


def test_mbr_at_4096_byte_sectors(tmp_path: Path) -> None:
    """An MBR on a 4Kn disk counts 4 KiB sectors: the volume is found where Linux finds it."""
    root = mkfs_ext4(write_tree(tmp_path / "t", SPEC), tmp_path / "root.img", 8)
    disk = tmp_path / "mbr4k.raw"
    offsets = sector_disk(disk, "dos", 4096, [12], 20)
    copy_into(root, disk, offsets[0])
    source = DiskSource(str(disk))
    tree = TreeBuilder([]).build(source.layers())
    assert tree.read("/hello") == b"hi\n"
    facts = source.facts()
    source.close()
    assert (facts["partition_table"], facts["sector_size"]) == ("mbr", 4096)
    parts = facts["partitions"]
    assert isinstance(parts, list)
    assert (parts[0]["start"], parts[0]["size"]) == (offsets[0], 12 * MIB)


def _vhdx_sector(image: Path, sector: int) -> None:
    """Rewrite the LogicalSectorSize metadata item of a VHDX made by ``qemu-img``."""
    raw = bytearray(image.read_bytes())
    item = uuid.UUID("8141BF1D-A96F-4709-BA47-F233A8FAAB5F").bytes_le
    regions = raw[192 << 10 : (192 << 10) + 4096]
    metadata_guid = uuid.UUID("8B7CA206-4790-4B9A-B8FE-575F050F886E").bytes_le
    at = regions.index(metadata_guid)
    meta = struct.unpack_from("<Q", regions, at + 16)[0]
    entry = raw.index(item, meta)
    offset = struct.unpack_from("<I", raw, entry + 16)[0]
    struct.pack_into("<I", raw, meta + offset, sector)
    image.write_bytes(bytes(raw))


def test_vhdx_logical_sector_size_is_honoured(tmp_path: Path) -> None:
    root = mkfs_ext4(write_tree(tmp_path / "t", SPEC), tmp_path / "root.img", 8)
    disk = tmp_path / "4kn.raw"
    offsets = sector_disk(disk, "gpt", 4096, [12], 20)
    copy_into(root, disk, offsets[0])
    image = convert(disk, tmp_path / "4kn.vhdx", "vhdx")
    _vhdx_sector(image, 4096)
    opened = formats.open_image(str(image))
    assert opened.sector == 4096
    opened.close()
    source = DiskSource(str(image))
    tree = TreeBuilder([]).build(source.layers())
    assert tree.read("/hello") == b"hi\n"
    facts = source.facts()
    source.close()
    assert (facts["format"], facts["partition_table"], facts["sector_size"]) == (
        "vhdx",
        "gpt",
        4096,
    )


def test_truncated_disk_clamps_the_last_partition_with_a_warning(tmp_path: Path) -> None:
    root = mkfs_ext4(write_tree(tmp_path / "t", SPEC), tmp_path / "root.img", 8)
    disk = tmp_path / "cut.raw"
    offsets = partitioned(disk, [Part(root, 16, "root")])
    cut = offsets[0] + 10 * MIB
    os.truncate(disk, cut)
    source = DiskSource(str(disk))
    tree = TreeBuilder([]).build(source.layers())
    assert tree.read("/hello") == b"hi\n"
    facts = source.facts()
    source.close()
    parts = facts["partitions"]
    assert isinstance(parts, list)
    assert parts[0]["size"] == 10 * MIB
    notes = [(n.level, n.message) for n in source.notifications if n.code == "disk.table.truncated"]
    assert notes == [
        (
            Level.WARNING,
            f"cut.raw: partition 1 runs {6 * MIB} bytes past the end of the disk (a truncated "
            "image); read up to the end",
        )
    ]
