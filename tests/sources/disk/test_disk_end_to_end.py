"""A Debian-like root on a disk gives the same findings as the tarball of the same tree.

The root and its separate ``/boot`` partition (named in ``/etc/fstab`` by UUID) are built at
test time, written as a raw GPT disk and converted with ``qemu-img`` to every format the disk
source reads; each scan under ``--profile k0s --profile golden-image`` must report exactly what
the scan of the tarball reports, with the kernel configuration seen at ``/boot``.
"""

from __future__ import annotations

import gzip
import json
import lzma
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from builders import Dir, File, Item, Symlink, make_tree, to_dir, to_tar
from clirun import one_line_error, run_cli
from disk_builders import BOOT_UUID, DISK_FORMATS, convert, have, root_and_boot_disk, time_limit
from jsonreports import load_report
from jsonview import arr
from report.validate import validate_sarif

from analyzer.facts import DISK, KERNELS
from analyzer.model import Level, Location, Outcome, RunResult
from analyzer.pipeline import Config, analyze
from analyzer.report import json as json_report
from analyzer.report import sarif

pytestmark = pytest.mark.skipif(
    not all(have(t) for t in ("mkfs.ext4", "mkfs.xfs", "sfdisk", "qemu-img")),
    reason="needs e2fsprogs, xfsprogs, fdisk and qemu-utils",
)

ROOT = Path(__file__).resolve().parents[3]
RELEASE = "6.1.0-test"
ROOT_UUID = "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"
PROFILES = ("k0s", "golden-image")
#: The symbol switched off in the (otherwise real Debian cloud) kernel configuration.
DISABLED = "CONFIG_NETFILTER_XT_MATCH_COMMENT"
ELF = Path("/usr/bin/true").read_bytes()
LIBC = Path("/usr/lib/x86_64-linux-gnu/libc.so.6").read_bytes()
LOADER = Path("/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2").read_bytes()
MODULES = (
    "kernel/net/netfilter/nf_conntrack.ko.xz",
    "kernel/net/netfilter/x_tables.ko.xz",
    "kernel/net/netfilter/xt_conntrack.ko.xz",
    "kernel/net/bridge/br_netfilter.ko.xz",
    "kernel/fs/overlayfs/overlay.ko.xz",
)


def kernel_config() -> tuple[str, int]:
    """The Debian cloud kernel's configuration with :data:`DISABLED` off, and that line."""
    fixture = ROOT / "fixtures/kconfig/config-6.1.0-56-cloud-amd64.gz"
    lines = gzip.decompress(fixture.read_bytes()).decode().splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith(f"{DISABLED}="))
    lines[index] = f"# {DISABLED} is not set"
    return "\n".join(lines) + "\n", index + 1


def debian_root(config: str) -> dict[str, Item]:
    """A small merged-/usr Debian root with a kernel, its modules and a separate /boot."""
    modules = f"usr/lib/modules/{RELEASE}"
    dep = "".join(f"{m}:\n" for m in MODULES)
    return make_tree(
        {
            "bin": Symlink("usr/bin"),
            "sbin": Symlink("usr/sbin"),
            "lib": Symlink("usr/lib"),
            "lib64": Symlink("usr/lib64"),
            "etc/os-release": Symlink("../usr/lib/os-release"),
            "usr/lib/os-release": (
                'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\n'
                'VERSION_ID="12"\nVERSION_CODENAME=bookworm\nID=debian\n'
            ),
            "etc/fstab": (
                "# /etc/fstab: static file system information.\n"
                f"UUID={ROOT_UUID} / ext4 errors=remount-ro 0 1\n"
                f"UUID={BOOT_UUID} /boot ext4 defaults 0 2\n"
            ),
            "etc/hosts": "127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n",
            "etc/hostname": "debian\n",
            "etc/nsswitch.conf": "passwd: files\nhosts: files dns\n",
            "etc/machine-id": "4b1e3c6f0d2a4e8f9a7b6c5d4e3f2a1b\n",
            "etc/ssh/ssh_host_ed25519_key": File(
                "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n",
                mode=0o600,
            ),
            "etc/ssh/ssh_host_ed25519_key.pub": "ssh-ed25519 AAAAC3Nza root@build\n",
            "etc/alternatives/iptables": Symlink("/usr/sbin/iptables-nft"),
            "usr/sbin/iptables": Symlink("/etc/alternatives/iptables"),
            "usr/sbin/iptables-nft": Symlink("xtables-nft-multi"),
            "usr/sbin/xtables-nft-multi": File(ELF, mode=0o755),
            "usr/sbin/modprobe": File(ELF, mode=0o755),
            "usr/bin/mount": File(ELF, mode=0o4755),
            "usr/bin/umount": File(ELF, mode=0o4755),
            "usr/bin/env": File(ELF, mode=0o755),
            "usr/lib/x86_64-linux-gnu/libc.so.6": File(LIBC, mode=0o755),
            "usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2": File(LOADER, mode=0o755),
            "usr/lib64/ld-linux-x86-64.so.2": Symlink("/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"),
            f"{modules}/modules.dep": dep,
            f"{modules}/modules.builtin": "kernel/fs/ext4/ext4.ko\n",
            **{f"{modules}/{m}": lzma.compress(b"\x7fELF module " + m.encode()) for m in MODULES},
            "tmp": Dir(0o1777),
            "boot": Dir(),
            f"boot/config-{RELEASE}": config,
            f"boot/vmlinuz-{RELEASE}": b"MZ" + bytes(4094),
            "boot/grub/grub.cfg": (
                "set default=0\nmenuentry 'Debian GNU/Linux' {\n"
                f"\tlinux /vmlinuz-{RELEASE} root=UUID={ROOT_UUID} ro quiet\n}}\n"
            ),
        }
    )


def split(tree: Mapping[str, Item]) -> tuple[dict[str, Item], dict[str, Item]]:
    """The root partition's tree and the ``/boot`` partition's tree.

    The root's own ``/boot`` holds a stale configuration with :data:`DISABLED` on: the mounted
    ``/boot`` partition must hide it, as it does on the booted system.
    """
    root = {k: v for k, v in tree.items() if not k.startswith("boot/")}
    root[f"boot/config-{RELEASE}"] = File(f"{DISABLED}=y\n")
    boot = {k.removeprefix("boot/"): v for k, v in tree.items() if k.startswith("boot/")}
    return root, boot


def comparable(result: RunResult) -> list[tuple[Any, ...]]:
    """Evaluations as sortable tuples: rule, outcome, level, message, path and line."""
    return sorted(
        (
            e.rule_id,
            e.outcome.value,
            e.level.value,
            e.message,
            e.location.path,
            e.location.line or 0,
            e.discriminator,
        )
        for e in result.evaluations
    )


def scan(target: Path) -> RunResult:
    """The library scan under the test's profiles, bounded in time."""
    with time_limit(120):
        return analyze(Config(str(target), profiles=PROFILES))


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The tarball, the ext4 raw disk and the XFS and LVM disks of one Debian-like root."""
    tmp = tmp_path_factory.mktemp("debian")
    config, line = kernel_config()
    tree = debian_root(config)
    root, boot = split(tree)
    root_dir, boot_dir = to_dir(root, tmp / "root"), to_dir(boot, tmp / "boot")
    disks = {}
    for name, root_fs, lvm_root in (
        ("ext4", "ext4", False),
        ("xfs", "xfs", False),
        ("lvm", "ext4", True),
    ):
        (tmp / name).mkdir()
        disks[name] = root_and_boot_disk(
            tmp / name, root_dir, boot_dir, ROOT_UUID, root_fs=root_fs, lvm_root=lvm_root
        )
    tarball = to_tar(tree, tmp / "debian.tar.gz", "gzip")
    return {"tmp": tmp, "line": line, "disks": disks, "tar": scan(tarball)}


def as_format(inputs: dict[str, Any], case: str) -> Path:
    """The ext4 disk written in the format ``case`` names."""
    raw: Path = inputs["disks"]["ext4"]
    tmp: Path = inputs["tmp"]
    options = DISK_FORMATS[case]
    if not options:
        return raw
    return convert(raw, tmp / f"debian-{case}.img", *options)


def test_tarball_has_a_kernel_config_finding_at_its_line(inputs: dict[str, Any]) -> None:
    """The reference scan is not trivial: it finds the switched-off symbol in /boot."""
    result: RunResult = inputs["tar"]
    findings = [e for e in result.evaluations if e.rule_id == f"k0s.kconfig.{DISABLED}"]
    assert [(e.outcome, e.location.path, e.location.line) for e in findings] == [
        (Outcome.FAIL, f"/boot/config-{RELEASE}", inputs["line"])
    ]
    assert DISABLED in findings[0].message
    assert result.complete


@pytest.mark.parametrize(
    "case", ["raw", "qcow2", "qcow2-zlib", "qcow2-zstd", "vmdk", "vmdk-stream", "vhdx"]
)
def test_disk_format_gives_the_tarball_findings(inputs: dict[str, Any], case: str) -> None:
    image = as_format(inputs, case)
    result = scan(image)
    assert comparable(result) == comparable(inputs["tar"])
    assert [n for n in result.notifications if n.level is not Level.NOTE] == []
    layers = {str(layer.mountpoint): layer.description for layer in result.target.layers}
    assert sorted(layers) == ["/", "/boot"]
    assert f"UUID={BOOT_UUID}" in layers["/boot"]


@pytest.mark.parametrize("root", ["xfs", "lvm"])
def test_xfs_and_lvm_roots_give_the_tarball_findings(inputs: dict[str, Any], root: str) -> None:
    result = scan(inputs["disks"][root])
    assert comparable(result) == comparable(inputs["tar"])
    descriptions = [layer.description for layer in result.target.layers]
    expected = "xfs" if root == "xfs" else "lv:vg0/root (ext4"
    assert expected in descriptions[0]


def test_boot_partition_content_is_seen_at_boot(inputs: dict[str, Any]) -> None:
    """The finding comes from the /boot partition, not the stale file under it on the root."""
    result = scan(inputs["disks"]["ext4"])
    findings = [e for e in result.evaluations if e.rule_id == f"k0s.kconfig.{DISABLED}"]
    assert [(e.outcome, e.location.path, e.location.line) for e in findings] == [
        (Outcome.FAIL, f"/boot/config-{RELEASE}", inputs["line"])
    ]
    assert "CONFIG_NETFILTER_XT_MATCH_COMMENT is not set" in findings[0].message
    assert findings[0].location.layer == "disk.raw:part1"
    layers = [(layer.id, layer.mountpoint) for layer in result.target.layers]
    assert layers == [("disk.raw:part2", "/"), ("disk.raw:part1", "/boot")]
    (kernel,) = result.facts.get(KERNELS).get()
    assert kernel.config_file == Location(f"/boot/config-{RELEASE}", layer="disk.raw:part1")
    assert kernel.modules is not None
    assert kernel.modules.location == Location(
        f"/usr/lib/modules/{RELEASE}", None, f"/lib/modules/{RELEASE}", "disk.raw:part2"
    )
    document = load_report(json_report.render(result))
    (reported,) = [e for e in document["evaluations"] if e["rule_id"] == f"k0s.kconfig.{DISABLED}"]
    assert (reported["location"]["line"], reported["location"]["layer"]) == (
        inputs["line"],
        "disk.raw:part1",
    )
    results = json.loads(sarif.render(result))["runs"][0]["results"]
    (logged,) = [r for r in results if r["ruleId"] == f"k0s.kconfig.{DISABLED}"]
    assert logged["properties"]["layer"]["id"] == "disk.raw:part1"
    systems = {f["volume"]: f for f in arr(result.facts.get(DISK).get()["filesystems"])}
    assert (systems["part1"]["uuid"], systems["part1"]["mountpoint"]) == (BOOT_UUID, "/boot")
    assert (systems["part2"]["uuid"], systems["part2"]["mountpoint"]) == (ROOT_UUID, "/")


def test_a_different_tree_gives_different_findings(inputs: dict[str, Any]) -> None:
    """The comparison can fail: a root without its /boot partition is reported differently."""
    tmp: Path = inputs["tmp"] / "no-boot"
    tmp.mkdir()
    config, _ = kernel_config()
    root, _ = split(debian_root(config))
    disk = root_and_boot_disk(tmp, to_dir(root, tmp / "root"), to_dir({}, tmp / "boot"), ROOT_UUID)
    result = scan(disk)
    assert comparable(result) != comparable(inputs["tar"])
    outcomes = {e.outcome for e in result.evaluations if e.rule_id == f"k0s.kconfig.{DISABLED}"}
    assert Outcome.FAIL not in outcomes


def test_qcow2_sarif_is_valid(inputs: dict[str, Any]) -> None:
    image = as_format(inputs, "qcow2-zlib")
    done = run_cli("scan", str(image), "--format", "sarif", "--profile", "k0s", timeout=180)
    assert done.returncode == 1, done.stderr.decode()
    doc = json.loads(done.stdout)
    validate_sarif(doc)
    lines = {
        (
            loc["physicalLocation"]["artifactLocation"]["uri"],
            loc["physicalLocation"]["region"]["startLine"],
        )
        for result in doc["runs"][0]["results"]
        if result["ruleId"] == f"k0s.kconfig.{DISABLED}"
        for loc in result["locations"]
    }
    assert lines == {(f"image/boot/config-{RELEASE}", inputs["line"])}


def test_corrupt_qcow2_is_one_error_line_and_exit_2(inputs: dict[str, Any]) -> None:
    image = as_format(inputs, "qcow2")
    broken = inputs["tmp"] / "broken.qcow2"
    data = bytearray(image.read_bytes()[:4096])
    data[40:48] = (1 << 40).to_bytes(8, "big")  # the L1 table offset, far beyond the end
    broken.write_bytes(bytes(data))
    done = run_cli("scan", str(broken), "--profile", "k0s")
    line = one_line_error(done)
    assert line == "imgaudit: broken.qcow2: corrupt qcow2: L1 table offset beyond end of file"
