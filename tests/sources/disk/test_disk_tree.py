"""Disk sources as trees: partitions, fstab mounts, ext4 / XFS / FAT metadata, MBR, LVM."""

from __future__ import annotations

from pathlib import Path

import pytest
from builders import Device, File, Symlink
from disk_builders import (
    BOOT_UUID,
    BUSYBOX,
    CAPABILITY,
    LV,
    Part,
    Spec,
    build_gpt_disk,
    convert,
    file_digest,
    lvm_pv,
    mkfs_ext4,
    mkfs_xfs,
    partitioned,
    run,
    write_tree,
)
from jsonview import arr

from analyzer.model import Level
from analyzer.sources.disk import DiskSource
from analyzer.stream.entry import Kind
from analyzer.vfs.build import TreeBuilder
from analyzer.vfs.tree import ResolveError, Tree


@pytest.fixture(scope="module")
def disk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_gpt_disk(tmp_path_factory.mktemp("tree"))


def scan(path: Path) -> tuple[Tree, DiskSource]:
    source = DiskSource(str(path))
    return TreeBuilder([]).build(source.layers()), source


def test_gpt_qcow2_root_with_boot_and_esp_mounted_from_fstab(disk: Path, tmp_path: Path) -> None:
    image = convert(disk, tmp_path / "golden.qcow2", "qcow2", "-c")
    before = file_digest(image)
    tree, source = scan(image)
    assert tree.read("/boot/vmlinuz-6.1") == b"MZ kernel 6.1"
    assert tree.lstat("/boot/vmlinuz-6.1").layer == "golden.qcow2:part2"
    assert tree.read("/boot/efi/EFI/BOOT/BOOTX64.EFI") == b"MZ" + b"e" * 5000
    assert tree.read("/boot/efi/loader/entries/debian-6.1.conf") == b"title Debian\n"
    assert not tree.exists("/boot/stale-on-root")
    facts = source.facts()
    assert facts["format"] == "qcow2"
    assert facts["partition_table"] == "gpt"
    parts = arr(facts["partitions"])
    assert [p["type_name"] for p in parts] == ["esp", "linux", "root-x86-64"]
    systems = {f["volume"]: f for f in arr(facts["filesystems"])}
    assert systems["part1"]["type"] == "vfat"
    assert systems["part1"]["label"] == "ESP"
    assert systems["part1"]["mountpoint"] == "/boot/efi"
    assert systems["part2"]["uuid"] == BOOT_UUID
    assert systems["part2"]["mountpoint"] == "/boot"
    assert systems["part3"]["mountpoint"] == "/"
    layers = [layer.info.mountpoint for layer in source.layers()]
    assert layers == ["/", "/boot", "/boot/efi"]
    source.close()
    assert file_digest(image) == before


def test_ext4_metadata_modes_owners_devices_links_and_capability(disk: Path) -> None:
    tree, source = scan(disk)
    ping = tree.lstat("/bin/ping")
    assert ping.mode == 0o4755
    assert ping.xattrs["security.capability"] == CAPABILITY
    write = tree.lstat("/usr/bin/write")
    assert (write.mode, write.uid, write.gid) == (0o2755, 0, 5)
    assert tree.lstat("/tmp").mode == 0o1777
    notes = tree.lstat("/home/alice/notes")
    assert (notes.mode, notes.uid, notes.gid) == (0o600, 1000, 1000)
    assert tree.lstat("/dev/null").kind is Kind.CHAR
    assert tree.lstat("/dev/null").rdev == (1, 3)
    assert tree.lstat("/dev/sda").kind is Kind.BLOCK
    assert tree.lstat("/dev/sda").rdev == (8, 0)
    assert tree.lstat("/dev/big").rdev == (300, 70000)
    assert tree.lstat("/run/initctl").kind is Kind.FIFO
    assert tree.readlink("/bin/sh") == "busybox"
    assert tree.readlink("/bin/far") == "/usr/lib/" + "x" * 90
    assert tree.read("/bin/sh") == BUSYBOX
    assert tree.read("/bin/ash") == BUSYBOX
    assert tree.lstat("/bin/ash").size == len(BUSYBOX)
    with pytest.raises(ResolveError) as loop:
        tree.stat("/loop/a")
    assert loop.value.reason == "loop"
    assert source.notifications == [n for n in source.notifications if n.code != "disk.entry"]


def test_hard_link_is_emitted_once_as_file_then_as_hardlink(disk: Path) -> None:
    source = DiskSource(str(disk))
    root = next(iter(source.layers()))
    entries = {entry.name: entry for entry, _ in root.entries}
    first, second = entries["/bin/ash"], entries["/bin/busybox"]
    assert first.kind is Kind.FILE
    assert (second.kind, second.link) == (Kind.HARDLINK, "/bin/ash")
    assert entries["/"].kind is Kind.DIR
    assert "/boot/stale-on-root" not in entries
    assert entries["/boot"].kind is Kind.DIR
    source.close()


def test_blocks_are_random_access_and_at_most_64k(disk: Path) -> None:
    source = DiskSource(str(disk))
    layer = next(iter(source.layers()))
    assert layer.random_access
    readers = {entry.name: blocks for entry, blocks in layer.entries}
    blocks = list(readers["/bin/ash"]())
    assert max(len(b) for b in blocks) <= 64 * 1024
    assert b"".join(blocks) == BUSYBOX
    assert b"".join(readers["/etc/os-release"]()) == b"ID=debian\nVERSION_ID=12\n"
    source.close()


def test_mbr_with_extended_and_logical_partitions_by_device_name(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path / "root",
        {
            "etc/os-release": "ID=alpine\n",
            "etc/fstab": "/dev/sda5 /var ext4 defaults 0 0\n/dev/sda6 /srv ext4 noauto 0 0\n",
            "var/hidden": "root copy\n",
        },
    )
    var = write_tree(tmp_path / "var", {"lib/dpkg/status": "Package: x\n"})
    srv = write_tree(tmp_path / "srv", {"www/index.html": "<html/>"})
    images = [
        mkfs_ext4(root, tmp_path / "r.img", 8),
        mkfs_ext4(var, tmp_path / "v.img", 8),
        mkfs_ext4(srv, tmp_path / "s.img", 8),
    ]
    disk = tmp_path / "mbr.raw"
    partitioned(
        disk,
        [Part(images[0], 8), Part(images[1], 8), Part(images[2], 8)],
        table="mbr",
        logical_from=1,
    )
    tree, source = scan(disk)
    assert tree.read("/var/lib/dpkg/status") == b"Package: x\n"
    assert tree.read("/srv/www/index.html") == b"<html/>"
    assert not tree.exists("/var/hidden")
    facts = source.facts()
    assert facts["partition_table"] == "mbr"
    indexes = [p["index"] for p in arr(facts["partitions"])]
    assert indexes == [1, 5, 6]


def test_xfs_root_with_directories_symlinks_devices_and_capability(tmp_path: Path) -> None:
    many = {f"usr/share/many/file-{i:04d}": f"{i}\n" for i in range(400)}
    spec: Spec = {
        "etc/os-release": "ID=rhel\n",
        "etc/fstab": "UUID=0000 / xfs defaults 0 0\n",
        "usr/bin/ping": File(b"ping", 0o4755),
        "usr/bin/big": File(bytes(range(256)) * 4096, 0o755),
        "bin": Symlink("usr/bin"),
        "etc/far": Symlink("/" + "t" * 300),
        "dev/null": Device("c", 1, 3, 0o666),
        "run/fifo": Device("p", mode=0o644),
        "etc/small/a": "a",
        **many,
    }
    fs = mkfs_xfs(write_tree(tmp_path / "tree", spec), tmp_path / "xfs.img", 64)
    run("xfs_db", "-x", "-c", "path /usr/bin/ping", "-c", "attr_set -s -v 20 capability", str(fs))
    disk = tmp_path / "xfs.raw"
    partitioned(disk, [Part(fs, 64, "root")])
    tree, source = scan(convert(disk, tmp_path / "xfs.vhdx", "vhdx"))
    assert tree.read("/bin/ping") == b"ping"
    assert tree.lstat("/usr/bin/ping").mode == 0o4755
    assert len(tree.lstat("/usr/bin/ping").xattrs["security.capability"]) == 20
    assert tree.read("/usr/bin/big") == bytes(range(256)) * 4096
    assert tree.readlink("/etc/far") == "/" + "t" * 300
    assert tree.lstat("/dev/null").rdev == (1, 3)
    assert tree.lstat("/run/fifo").kind is Kind.FIFO
    assert len(tree.listdir("/usr/share/many")) == 400
    assert tree.read("/usr/share/many/file-0399") == b"399\n"
    assert tree.read("/etc/small/a") == b"a"
    facts = source.facts()
    assert [f["type"] for f in arr(facts["filesystems"])] == ["xfs"]


def test_lvm_linear_volumes_mounted_by_mapper_name_and_thin_volume_reported(
    tmp_path: Path,
) -> None:
    root = write_tree(
        tmp_path / "root",
        {
            "etc/os-release": "ID=fedora\n",
            "etc/fstab": (
                "/dev/mapper/vg0-root / ext4 defaults 0 0\n/dev/vg0/home /home ext4 defaults 0 0\n"
            ),
        },
    )
    home = write_tree(tmp_path / "home", {"bob/.profile": "export X=1\n"})
    root_img = mkfs_ext4(root, tmp_path / "root.img", 8)
    home_img = mkfs_ext4(home, tmp_path / "home.img", 4)
    pv = tmp_path / "pv.img"
    lvm_pv(
        pv,
        24,
        "vg0",
        [
            LV("root", [(0, 4, 10), (4, 4, 2)], content=root_img),  # two segments, out of order
            LV("home", [(0, 4, 15)], content=home_img),
            LV("thin", [(0, 2, 0)], type="thin"),
        ],
    )
    dump = run("pvck", "--dump", "metadata", str(pv))
    assert "vg0" in dump
    disk = tmp_path / "lvm.raw"
    partitioned(disk, [Part(pv, 24, "lvm")])
    tree, source = scan(disk)
    assert tree.read("/etc/os-release") == b"ID=fedora\n"
    assert tree.read("/home/bob/.profile") == b"export X=1\n"
    messages = [n.message for n in source.notifications if n.code == "disk.lvm.unsupported"]
    assert messages == [
        "lvm.raw: logical volume vg0/thin skipped: segment type thin is not "
        "supported (only linear volumes)"
    ]
    assert all(n.level is not Level.ERROR for n in source.notifications)


def test_bare_ext4_without_partition_table_is_the_root(tmp_path: Path) -> None:
    fs = mkfs_ext4(write_tree(tmp_path / "t", {"etc/hostname": "bare\n"}), tmp_path / "b.img", 4)
    tree, source = scan(fs)
    assert tree.read("/etc/hostname") == b"bare\n"
    assert source.facts()["partition_table"] == "none"
    assert [n.code for n in source.notifications] == ["disk.root"]
