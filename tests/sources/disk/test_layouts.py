"""Distribution layouts end to end: each disk gives the findings of the tarball of its tree.

The layouts (:mod:`layout_builders`) are built once per module as raw disks; each is also
scanned in one other disk format, so every format meets a non-Debian layout. Beyond equal
findings, each test checks what the layout is there for: where the root was found, what is
mounted where, and a finding that only the layout's own boot configuration can produce.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from builders import to_tar
from disk_builders import convert, have
from elfcorpus import Corpus, corpus
from jsonview import obj
from layout_builders import ROOT_UUID, Layout, build

__all__ = ["corpus"]
from test_disk_end_to_end import RELEASE, comparable, scan

from analyzer.facts import KERNELS, OS
from analyzer.model import Evaluation, Level, Location, Outcome, RunResult

pytestmark = pytest.mark.skipif(
    not all(
        have(t) for t in ("mkfs.ext4", "mkfs.xfs", "mkfs.vfat", "sfdisk", "qemu-img", "mkswap")
    ),
    reason="needs e2fsprogs, xfsprogs, dosfstools, fdisk, util-linux and qemu-utils",
)

#: The second disk format each layout is scanned in (``qemu-img convert -O`` arguments).
FORMATS = {
    "rocky": ("qcow2",),
    "alpine": ("vmdk", "-o", "subformat=streamOptimized"),
    "ubuntu": ("vhdx",),
    "amazon": ("vpc",),
    "arm64": ("qcow2", "-c", "-o", "compression_type=zstd"),
}


@dataclass(frozen=True)
class Scans:
    """One layout: its tarball's scan, its raw disk's scan and the other format's scan."""

    layout: Layout
    tarball: RunResult
    raw: RunResult
    converted: RunResult


@pytest.fixture(scope="module")
def scans(tmp_path_factory: pytest.TempPathFactory, corpus: Corpus) -> dict[str, Scans]:
    out = {}
    for name, options in FORMATS.items():
        tmp = tmp_path_factory.mktemp(name)
        layout = build(name, tmp / "build", corpus / "hello-arm64")
        tarball = scan(to_tar(layout.tree, tmp / f"{name}.tar.gz", "gzip"))
        converted = convert(layout.disk, tmp / f"{name}.{options[0]}", *options)
        out[name] = Scans(layout, tarball, scan(layout.disk), scan(converted))
    return out


def failed(result: RunResult, rule_id: str) -> Evaluation:
    """The one failed evaluation of ``rule_id``."""
    found = [e for e in result.evaluations if e.rule_id == rule_id and e.outcome is Outcome.FAIL]
    assert len(found) == 1, [
        (e.rule_id, e.outcome) for e in result.evaluations if e.rule_id == rule_id
    ]
    return found[0]


def mounts(result: RunResult) -> dict[str, str]:
    """Mount point -> volume id of a disk scan."""
    return {str(layer.mountpoint): layer.id for layer in result.target.layers}


@pytest.mark.parametrize("name", list(FORMATS))
def test_layout_disk_gives_the_tarball_findings(scans: dict[str, Scans], name: str) -> None:
    case = scans[name]
    assert comparable(case.raw) == comparable(case.tarball)
    assert comparable(case.converted) == comparable(case.tarball)
    for result in (case.raw, case.converted):
        assert [n.message for n in result.notifications if n.level is not Level.NOTE] == []
        assert result.complete
        assert obj(result.target.properties["root"])["heuristic"] is False


def test_rocky_root_is_the_lvm_volume_the_bls_entry_names(scans: dict[str, Scans]) -> None:
    result = scans["rocky"].raw
    assert mounts(result) == {
        "/": "rocky.raw:lv:rl/root",
        "/boot": "rocky.raw:part2",
        "/boot/efi": "rocky.raw:part1",
    }
    entry = f"/loader/entries/4b1e3c6f0d2a4e8f9a7b6c5d4e3f2a1b-{RELEASE}.conf"
    assert (
        obj(result.target.properties["root"])["how"] == f"root=/dev/mapper/rl-root in part2:{entry}"
    )


def test_rocky_kernelopts_come_from_grubenv(scans: dict[str, Scans]) -> None:
    """The BLS entry's ``$kernelopts`` is expanded from ``grubenv``, on the /boot partition."""
    finding = failed(scans["rocky"].raw, "k0s.cgroups.v2")
    assert (finding.location.path, finding.location.line) == ("/boot/grub2/grubenv", 3)
    assert finding.location.layer == "rocky.raw:part2"
    assert "systemd.unified_cgroup_hierarchy=0 forces the hybrid hierarchy" in finding.message


def test_alpine_extlinux_append_is_the_command_line(scans: dict[str, Scans]) -> None:
    result = scans["alpine"].raw
    assert mounts(result) == {"/": "alpine.raw:part3", "/boot": "alpine.raw:part1"}
    finding = failed(result, "k0s.cgroups.controller.memory")
    assert (finding.location.path, finding.location.line) == ("/boot/extlinux.conf", 10)
    assert "cgroup_disable=memory on the kernel command line" in finding.message


def test_alpine_openrc_and_busybox_commands(scans: dict[str, Scans]) -> None:
    """OpenRC's unified mode passes cgroup v2; busybox applets are the k0s commands.

    The layout's busybox is Debian's busybox-static, which has no adduser or deluser applet:
    those links do not count, and the finding names Alpine's package for useradd.
    """
    result = scans["alpine"].raw
    v2 = [e for e in result.evaluations if e.rule_id == "k0s.cgroups.v2"]
    assert [(e.outcome, e.location.path) for e in v2] == [(Outcome.PASS, "/etc/rc.conf")]
    for command in ("mount", "umount", "modprobe", "id"):
        outcomes = {
            e.outcome for e in result.evaluations if e.rule_id == f"k0s.executables.{command}"
        }
        assert outcomes == {Outcome.PASS}, command
    for command, applet in (("useradd", "adduser"), ("userdel", "deluser")):
        finding = failed(result, f"k0s.executables.{command}")
        assert finding.location.path == f"/usr/sbin/{applet}"
        assert finding.message.endswith(
            f"neither {command} nor {applet} is usable: /usr/sbin/{applet} -> /bin/busybox: "
            f"/bin/busybox has no {applet} applet; on alpine the shadow package provides {command}"
        )


def test_alpine_removable_media_fstab_lines_are_quiet(scans: dict[str, Scans]) -> None:
    """``/dev/cdrom`` and ``/dev/usbdisk`` (``noauto``) name no volume: no warning."""
    codes = [n.code for n in scans["alpine"].raw.notifications]
    assert "disk.fstab" not in codes


def test_ubuntu_root_by_label_and_grub_dropin(scans: dict[str, Scans]) -> None:
    result = scans["ubuntu"].raw
    assert mounts(result) == {"/": "ubuntu.raw:part1", "/boot/efi": "ubuntu.raw:part3"}
    assert obj(result.target.properties["root"])["how"] == (
        "root=LABEL=cloudimg-rootfs in part1:/boot/grub/grub.cfg"
    )
    finding = failed(result, "k0s.cgroups.v2")
    assert (finding.location.path, finding.location.line) == (
        "/etc/default/grub.d/50-cloudimg-settings.cfg",
        2,
    )


def test_amazon_bls_entry_on_the_xfs_root(scans: dict[str, Scans]) -> None:
    result = scans["amazon"].raw
    assert mounts(result) == {"/": "amazon.raw:part1", "/boot/efi": "amazon.raw:part3"}
    entry = f"/boot/loader/entries/ec2e3c6f0d2a4e8f9a7b6c5d4e3f2a1b-{RELEASE}.conf"
    assert obj(result.target.properties["root"])["how"] == f"root=UUID={ROOT_UUID} in part1:{entry}"
    finding = failed(result, "k0s.cgroups.controller.cpuset")
    assert (finding.location.path, finding.location.line) == (entry, 5)
    assert "cgroup_disable=cpuset" in finding.message


def test_arm64_image_architecture_and_kernel(scans: dict[str, Scans]) -> None:
    result = scans["arm64"].raw
    assert mounts(result) == {"/": "arm64.raw:part2", "/boot/efi": "arm64.raw:part1"}
    os_fact = result.facts.get(OS).get()
    assert (os_fact.id, os_fact.architecture) == ("debian", "arm64")
    linkage = [e for e in result.evaluations if e.rule_id.startswith("elf-linkage.")]
    assert [e for e in linkage if e.outcome is Outcome.FAIL] == []


def test_arm64_gzip_image_is_read_as_an_arm64_kernel(scans: dict[str, Scans]) -> None:
    (kernel,) = scans["arm64"].raw.facts.get(KERNELS).get()
    assert kernel.release == RELEASE
    assert kernel.image == Location(f"/boot/vmlinuz-{RELEASE}", layer="arm64.raw:part2")
    assert kernel.image_release == RELEASE
