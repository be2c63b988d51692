"""Map tables of the image formats (L1/L2, BAT, grain directory and tables): one bounded reader."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from disk_builders import convert, mkfs_ext4, run, time_limit, write_tree

from analyzer.errors import SourceError
from analyzer.sources.disk import DiskSource
from analyzer.sources.disk.device import MAX_TABLE_BYTES, FileDevice, Table
from analyzer.sources.disk.vhdx import parse_layout


@pytest.fixture(scope="module")
def fs_image(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("tables")
    return mkfs_ext4(write_tree(tmp / "t", {"etc/hostname": "x\n"}), tmp / "fs.img", 4)


def device(tmp_path: Path, data: bytes) -> FileDevice:
    path = tmp_path / "table.bin"
    path.write_bytes(data)
    return FileDevice(str(path))


def error_of(path: Path) -> str:
    with time_limit(20), pytest.raises(SourceError) as caught:
        DiskSource(str(path))
    return str(caught.value)


def patched(path: Path, offset: int, fmt: str, value: int) -> Path:
    raw = bytearray(path.read_bytes())
    struct.pack_into(fmt, raw, offset, value)
    path.write_bytes(bytes(raw))
    return path


def test_table_read_in_its_byte_order_up_to_the_last_byte(tmp_path: Path) -> None:
    file = device(tmp_path, b"\xff" * 4 + struct.pack(">3I", 1, 2, 0xFFFFFFFE))
    try:
        assert tuple(Table(file, 4, 3, ">I", "t", "fmt: BAT")) == (1, 2, 0xFFFFFFFE)
        assert tuple(Table(file, 8, 1, "<Q", "t", "fmt: BAT")) == (0xFEFFFFFF02000000,)
        assert tuple(Table(file, 16, 0, "<I", "t", "fmt: BAT")) == ()
    finally:
        file.close()


def test_table_one_byte_past_the_end_is_an_error(tmp_path: Path) -> None:
    file = device(tmp_path, bytes(16))
    try:
        with pytest.raises(SourceError) as caught:
            Table(file, 9, 2, "<I", "t.vhd", "vhd: BAT")
    finally:
        file.close()
    assert str(caught.value) == "t.vhd: corrupt vhd: BAT beyond end of file"


def test_table_larger_than_the_memory_bound_is_refused_before_reading(tmp_path: Path) -> None:
    file = device(tmp_path, bytes(16))
    try:
        with pytest.raises(SourceError) as caught:
            Table(file, 0, MAX_TABLE_BYTES // 8 + 1, ">Q", "t.qcow2", "qcow2: L1 table")
    finally:
        file.close()
    assert str(caught.value) == "t.qcow2: corrupt qcow2: L1 table too large"


def test_dynamic_vhd_truncated_inside_its_bat(tmp_path: Path) -> None:
    image = tmp_path / "dyn.vhd"
    run("qemu-img", "create", "-q", "-f", "vpc", str(image), "4M")
    table = struct.unpack_from(">Q", image.read_bytes(), 512 + 16)[0]
    image.write_bytes(image.read_bytes()[: table + 4])  # the footer copy at the start remains
    assert error_of(image) == "dyn.vhd: corrupt vhd: BAT beyond end of file"


def test_dynamic_vhd_with_a_huge_bat(tmp_path: Path) -> None:
    image = tmp_path / "dyn.vhd"
    run("qemu-img", "create", "-q", "-f", "vpc", str(image), "4M")
    patched(image, 512 + 28, ">I", MAX_TABLE_BYTES // 4 + 1)
    assert error_of(image) == "dyn.vhd: corrupt vhd: BAT too large"


def test_dynamic_vhd_bat_entry_pointing_past_the_end(tmp_path: Path) -> None:
    image = tmp_path / "dyn.vhd"
    run("qemu-img", "create", "-q", "-f", "vpc", str(image), "4M")
    table = struct.unpack_from(">Q", image.read_bytes(), 512 + 16)[0]
    patched(image, table, ">I", 0x7FFFFFFF)
    assert error_of(image) == "dyn.vhd: corrupt vhd: data block beyond end of file"


def test_vhdx_bat_entry_pointing_past_the_end(tmp_path: Path) -> None:
    image = tmp_path / "bat.vhdx"
    run("qemu-img", "create", "-q", "-f", "vhdx", str(image), "4M")
    file = FileDevice(str(image))
    try:
        bat = parse_layout(file, image.name).bat_offset
    finally:
        file.close()
    patched(image, bat, "<Q", 1 << 40 | 6)  # payload fully present, 1 TiB into the file
    assert error_of(image) == "bat.vhdx: corrupt vhdx: payload beyond end of file"


def test_qcow2_l1_entry_pointing_past_the_end(tmp_path: Path, fs_image: Path) -> None:
    image = convert(fs_image, tmp_path / "l2.qcow2", "qcow2")
    l1_offset = struct.unpack_from(">Q", image.read_bytes(), 40)[0]
    patched(image, l1_offset, ">Q", 1 << 40)
    assert error_of(image) == "l2.qcow2: corrupt qcow2: L2 table beyond end of file"


def test_vmdk_grain_directory_past_the_end(tmp_path: Path, fs_image: Path) -> None:
    image = convert(fs_image, tmp_path / "gd.vmdk", "vmdk")
    patched(image, 56, "<Q", 1 << 30)
    assert error_of(image) == "gd.vmdk: corrupt vmdk: grain directory beyond end of file"


def test_vmdk_grain_table_past_the_end(tmp_path: Path, fs_image: Path) -> None:
    image = convert(fs_image, tmp_path / "gt.vmdk", "vmdk")
    gd_sector = struct.unpack_from("<Q", image.read_bytes(), 56)[0]
    patched(image, gd_sector * 512, "<I", 0x7FFFFFFF)
    assert error_of(image) == "gt.vmdk: corrupt vmdk: grain table beyond end of file"


def test_sparse_vmdk_with_a_parent_is_refused(tmp_path: Path) -> None:
    run("qemu-img", "create", "-q", "-f", "vmdk", str(tmp_path / "base.vmdk"), "4M")
    child = tmp_path / "child.vmdk"
    run("qemu-img", "create", "-q", "-f", "vmdk", "-b", "base.vmdk", "-F", "vmdk", str(child))
    assert error_of(child) == "child.vmdk: vmdk with a parent disk is not supported"


def test_vmdk_descriptor_file_over_one_mib_is_refused(tmp_path: Path) -> None:
    image = tmp_path / "big.vmdk"
    image.write_bytes(b"# Disk DescriptorFile\n" + b"#" * (1 << 20))
    assert error_of(image) == "big.vmdk: vmdk descriptor file too large"


def test_intact_images_open_quietly(tmp_path: Path, fs_image: Path) -> None:
    for fmt in ("qcow2", "vmdk", "vpc", "vhdx"):
        source = DiskSource(str(convert(fs_image, tmp_path / f"ok.{fmt}", fmt)))
        try:
            assert [n.message for n in source.notifications] == [
                f"ok.{fmt}: disk scanned as the root: the only file system of the disk "
                "(no os-release)"
            ]
        finally:
            source.close()
