"""The root is found the way the system finds it, or the scan says why it cannot be read.

Named scenarios: an encrypted (LUKS2) root named by ``rd.luks.uuid`` or only by its GPT type;
a Discoverable Partitions disk without fstab (root, ``/home`` and ``/var`` by type GUID, and a
root whose ``os-release`` is on its ``/usr`` partition); a
root whose file system is not supported, named by ``root=PARTUUID=`` or by nothing at all; a
root that only a guess can find, named in the report header and the run properties.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from btrfs_builders import mkfs_btrfs
from builders import Dir, File, Item, Symlink
from clirun import one_line_error, run_cli
from disk_builders import Part, Spec, have, mkfs_ext4, mkfs_vfat, partitioned, run, write_tree

from analyzer.errors import SourceError
from analyzer.model import Level
from analyzer.pipeline import Config, analyze
from analyzer.report import sarif, text
from analyzer.sources.disk import DiskSource
from analyzer.vfs.build import TreeBuilder

pytestmark = pytest.mark.skipif(
    not all(have(t) for t in ("mkfs.ext4", "mkfs.vfat", "sfdisk", "cryptsetup", "mkfs.btrfs")),
    reason="needs e2fsprogs, dosfstools, fdisk, cryptsetup and btrfs-progs",
)

LUKS_UUID = "6a9b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d"
ROOT_PARTUUID = "0badc0de-1111-4222-8333-444455556666"
HOME_TYPE = "933AC7E1-2EB4-4F13-B844-0E14E2AEF915"
VAR_TYPE = "4D21B016-B534-45C2-A9FB-5C16E091FD2D"
USR_TYPE = "8484680C-9521-48C6-9C11-B0720656F69E"
#: A root with no fstab: found only by its partition type (or by a guess).
ROOT: Spec = {
    "etc/os-release": "ID=arch\n",
    "sbin/init": File(b"\x7fELF init", 0o755),
    "etc/hostname": "discovered\n",
    "home": "",
    "var": "",
}


def esp(tmp: Path, options: str | None) -> Path:
    """An ESP holding a Boot Loader Specification entry with ``options`` (or none)."""
    spec: dict[str, Item] = {"EFI/BOOT/BOOTX64.EFI": b"MZ"}
    if options is not None:
        spec["loader/entries/linux.conf"] = f"title Linux\nlinux /vmlinuz\noptions {options}\n"
    return mkfs_vfat(write_tree(tmp / "esp", spec), tmp / "esp.img", 33)


def luks2(tmp: Path) -> Path:
    """A LUKS2 volume made by ``cryptsetup`` on a plain file (no key is ever given to us)."""
    image = tmp / "luks.img"
    image.write_bytes(b"")
    image.touch()
    run("truncate", "-s", "24M", str(image))
    key = tmp / "key"
    key.write_bytes(b"not the scanner's business")
    run(
        *("cryptsetup", "luksFormat", "--type", "luks2", "--batch-mode"),
        *("--pbkdf", "pbkdf2", "--pbkdf-force-iterations", "1000", "--uuid", LUKS_UUID),
        *("--key-file", str(key), str(image)),
    )
    return image


def refusal(disk: Path) -> str:
    """The error that opening ``disk`` ends with (the CLI prints it after ``imgaudit: ``)."""
    with pytest.raises(SourceError) as caught:
        DiskSource(str(disk))
    return str(caught.value)


def test_luks2_root_named_on_the_kernel_command_line(tmp_path: Path) -> None:
    boot = esp(tmp_path, f"root=UUID=1234 rd.luks.uuid=luks-{LUKS_UUID} rw")
    disk = tmp_path / "disk.raw"
    partitioned(disk, [Part(boot, 33, "esp"), Part(luks2(tmp_path), 24, "root")])
    done = run_cli("scan", "--strict", str(disk))
    assert one_line_error(done) == (
        "imgaudit: disk.raw: root is LUKS2-encrypted: cannot be read without its key "
        "(part2, named on the kernel command line in part1:/loader/entries/linux.conf)"
    )


def test_luks2_root_found_by_gpt_type_is_not_replaced(tmp_path: Path) -> None:
    boot = mkfs_ext4(write_tree(tmp_path / "boot", {"vmlinuz": b"MZ"}), tmp_path / "b.img", 8)
    disk = tmp_path / "disk.raw"
    parts = [Part(esp(tmp_path, None), 33, "esp"), Part(boot, 8), Part(luks2(tmp_path), 24, "root")]
    partitioned(disk, parts)
    assert refusal(disk) == (
        "disk.raw: root is LUKS2-encrypted: cannot be read without its key "
        "(part3, GPT root partition type)"
    )


def test_discoverable_partitions_without_fstab(tmp_path: Path) -> None:
    root = mkfs_ext4(write_tree(tmp_path / "root", ROOT), tmp_path / "root.img", 8)
    home = mkfs_ext4(write_tree(tmp_path / "h", {"alice/.profile": "x=1\n"}), tmp_path / "h.img", 8)
    var = mkfs_ext4(write_tree(tmp_path / "v", {"log/boot.log": "ok\n"}), tmp_path / "v.img", 8)
    disk = tmp_path / "disk.raw"
    partitioned(
        disk,
        [
            Part(esp(tmp_path, None), 33, "esp"),
            Part(root, 8, "root"),
            Part(home, 8, HOME_TYPE),
            Part(var, 8, VAR_TYPE),
        ],
    )
    source = DiskSource(str(disk))
    tree = TreeBuilder([]).build(source.layers())
    assert tree.read("/etc/hostname") == b"discovered\n"
    assert tree.read("/home/alice/.profile") == b"x=1\n"
    assert tree.read("/var/log/boot.log") == b"ok\n"
    assert source.facts()["root"] == {
        "volume": "part2",
        "how": "GPT partition type root-x86-64 (Discoverable Partitions)",
        "heuristic": False,
    }
    assert [n.code for n in source.notifications if n.level is not Level.NOTE] == []
    source.close()


def test_root_type_with_os_release_on_the_usr_partition(tmp_path: Path) -> None:
    root_spec: Spec = {"etc/os-release": Symlink("../usr/lib/os-release"), "usr": Dir()}
    root = mkfs_ext4(write_tree(tmp_path / "root", root_spec), tmp_path / "root.img", 8)
    usr_spec: Spec = {"lib/os-release": "ID=flatcar\n", "lib/systemd/systemd": b"\x7fELF"}
    usr = mkfs_ext4(write_tree(tmp_path / "usr", usr_spec), tmp_path / "usr.img", 8)
    disk = tmp_path / "disk.raw"
    partitioned(disk, [Part(root, 8, "root"), Part(usr, 8, USR_TYPE)])
    source = DiskSource(str(disk))
    tree = TreeBuilder([]).build(source.layers())
    assert tree.read("/etc/os-release") == b"ID=flatcar\n"
    assert [layer.info.mountpoint for layer in source.layers()] == ["/", "/usr"]
    assert source.facts()["root"] == {
        "volume": "part1",
        "how": "GPT partition type root-x86-64 (Discoverable Partitions)",
        "heuristic": False,
    }
    source.close()


@pytest.fixture
def raid_member(tmp_path: Path) -> Path:
    """One device of a two-device btrfs RAID1: a root file system this reader refuses."""
    first, second = tmp_path / "m1.img", tmp_path / "m2.img"
    mkfs_btrfs(second, None, 128)
    mkfs_btrfs(first, None, 128, "-d", "raid1", "-m", "raid1", str(second))
    return first


def test_unsupported_root_named_by_root_partuuid(tmp_path: Path, raid_member: Path) -> None:
    boot = esp(tmp_path, f"root=PARTUUID={ROOT_PARTUUID} ro")
    disk = tmp_path / "disk.raw"
    partitioned(disk, [Part(boot, 33, "esp"), Part(raid_member, 128, uuid=ROOT_PARTUUID)])
    assert refusal(disk) == (
        f"disk.raw: root=PARTUUID={ROOT_PARTUUID} on the kernel command line "
        "(part1:/loader/entries/linux.conf) is not readable: part2: btrfs file system, "
        "btrfs RAID1 profile (system) is not supported"
    )


def test_unsupported_root_without_evidence_lists_every_volume(
    tmp_path: Path, raid_member: Path
) -> None:
    boot = mkfs_ext4(write_tree(tmp_path / "boot", {"vmlinuz": b"MZ"}), tmp_path / "b.img", 8)
    disk = tmp_path / "disk.raw"
    partitioned(disk, [Part(esp(tmp_path, None), 33, "esp"), Part(boot, 8), Part(raid_member, 128)])
    assert refusal(disk) == (
        "disk.raw: no readable file system holds the root: "
        "part1: vfat, no os-release; part2: ext4, no os-release; "
        "part3: btrfs file system, btrfs RAID1 profile (system) is not supported"
    )


def test_a_guessed_root_is_named_in_the_header_and_run_properties(tmp_path: Path) -> None:
    root = mkfs_ext4(write_tree(tmp_path / "root", ROOT), tmp_path / "root.img", 8)
    disk = tmp_path / "disk.raw"
    partitioned(disk, [Part(esp(tmp_path, None), 33, "esp"), Part(root, 8)])
    result = analyze(Config(str(disk), profiles=("golden-image",)))
    guess = {
        "volume": "part2",
        "how": "the only file system holding os-release and an init",
        "heuristic": True,
    }
    assert result.target.properties["root"] == guess
    header = text.render(result).splitlines()[:6]
    assert (
        "  part2 chosen as the root by a guess: "
        "the only file system holding os-release and an init" in header
    )
    run_properties = json.loads(sarif.render(result))["runs"][0]["properties"]
    assert run_properties["target"]["properties"]["root"] == guess
    warnings = [n.message for n in result.notifications if n.code == "disk.root"]
    assert warnings == [
        "disk.raw: part2 scanned as the root: the only file system holding os-release and an init"
    ]
