"""The k0s kernel pack end to end: findings at the symbol's or parameter's line; quiet if clean."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

from builders import Item
from scenarios import evaluations, only, scan

from analyzer.model import Level, Outcome, RunResult

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures/kconfig/config-6.1.0-56-cloud-amd64.gz"
R = "6.1.0-56-cloud-amd64"
CONFIG_PATH = f"/boot/config-{R}"
SYSTEMD = "usr/lib/x86_64-linux-gnu/systemd/libsystemd-shared-252.so"
#: Lines of the fixture, 1-based, that the scenarios edit.
NF_CONNTRACK_LINE = 1214
MEMCG_LINE = 200


def debian_config() -> str:
    return gzip.decompress(FIXTURE.read_bytes()).decode()


def rootfs(config: str | None = None, extra: dict[str, Item] | None = None) -> dict[str, Item]:
    spec: dict[str, Item] = {
        f"boot/config-{R}": config if config is not None else debian_config(),
        SYSTEMD: b"\x7fELF",
        "etc/hosts": "127.0.0.1 localhost\n",
    }
    spec.update(extra or {})
    return spec


def kernel_evaluations(result: RunResult) -> list[Any]:
    return [e for e in result.evaluations if e.rule_id.split(".")[1] in
            ("kconfig", "kernel", "cgroups", "apparmor")]  # fmt: skip


def loud(result: RunResult) -> list[Any]:
    return [
        e for e in kernel_evaluations(result)
        if e.outcome in (Outcome.FAIL, Outcome.UNKNOWN) and e.level is not Level.NOTE
    ]  # fmt: skip


def test_debian_cloud_config_gives_no_error_or_warning(tmp_path: Path) -> None:
    result = scan(tmp_path, rootfs(), role="controller+worker")
    assert len(kernel_evaluations(result)) == 77
    assert loud(result) == []
    note = only(result, "k0s.kconfig.CONFIG_NF_CONNTRACK_IPV4")
    assert note.level is Level.NOTE
    assert "merged into CONFIG_NF_CONNTRACK in Linux 4.19" in note.message


def test_required_symbol_turned_off_is_an_error_at_its_line(tmp_path: Path) -> None:
    config = debian_config().replace(
        "CONFIG_NF_CONNTRACK=m\n", "# CONFIG_NF_CONNTRACK is not set\n"
    )
    evaluation = only(
        scan(tmp_path, rootfs(config), role="worker"), "k0s.kconfig.CONFIG_NF_CONNTRACK"
    )
    assert (evaluation.outcome, evaluation.level) == (Outcome.FAIL, Level.ERROR)
    assert (evaluation.location.path, evaluation.location.line) == (CONFIG_PATH, NF_CONNTRACK_LINE)
    assert evaluation.message == "# CONFIG_NF_CONNTRACK is not set"
    assert f"configuration from {CONFIG_PATH}" in evaluation.evidence


def test_module_missing_from_modules_tree_is_a_finding(tmp_path: Path) -> None:
    spec = rootfs(extra={f"lib/modules/{R}/kernel/net/netfilter/x_tables.ko": b"\x7fELF"})
    evaluation = only(scan(tmp_path, spec, role="worker"), "k0s.kconfig.CONFIG_NF_CONNTRACK")
    assert (evaluation.outcome, evaluation.level) == (Outcome.FAIL, Level.ERROR)
    assert evaluation.location.line == NF_CONNTRACK_LINE
    assert evaluation.message == (
        f"CONFIG_NF_CONNTRACK=m, but module nf_conntrack is not in /lib/modules/{R}"
    )


def test_module_shipped_compressed_passes(tmp_path: Path) -> None:
    spec = rootfs(extra={f"lib/modules/{R}/kernel/net/netfilter/nf_conntrack.ko.xz": b"x"})
    evaluation = only(scan(tmp_path, spec, role="worker"), "k0s.kconfig.CONFIG_NF_CONNTRACK")
    assert evaluation.outcome is Outcome.PASS


def test_no_modules_tree_makes_module_availability_a_note(tmp_path: Path) -> None:
    evaluation = only(scan(tmp_path, rootfs(), role="worker"), "k0s.kconfig.CONFIG_NF_CONNTRACK")
    assert (evaluation.outcome, evaluation.level) == (Outcome.UNKNOWN, Level.NOTE)
    assert "there is no modules tree" in evaluation.message


def test_grub_default_disabling_memory_controller(tmp_path: Path) -> None:
    grub = (
        "GRUB_DEFAULT=0\n"
        'GRUB_CMDLINE_LINUX_DEFAULT="quiet"\n'
        'GRUB_CMDLINE_LINUX="cgroup_disable=memory"\n'
    )
    result = scan(tmp_path, rootfs(extra={"etc/default/grub": grub}), role="worker")
    evaluation = only(result, "k0s.cgroups.controller.memory")
    assert (evaluation.outcome, evaluation.level) == (Outcome.FAIL, Level.ERROR)
    assert (evaluation.location.path, evaluation.location.line) == ("/etc/default/grub", 3)
    assert "cgroup_disable=memory" in evaluation.message
    assert only(result, "k0s.cgroups.controller.cpu").outcome is Outcome.PASS


def test_grub_dropin_appending_keeps_each_parameter_at_its_line(tmp_path: Path) -> None:
    spec = rootfs(extra={
        "etc/default/grub": 'GRUB_CMDLINE_LINUX="quiet"\n',
        "etc/default/grub.d/50-k0s.cfg": 'GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX apparmor=0"\n',
    })  # fmt: skip
    evaluation = only(scan(tmp_path, spec), "k0s.apparmor.state")
    assert (evaluation.outcome, evaluation.level) == (Outcome.FAIL, Level.NOTE)
    assert (evaluation.location.path, evaluation.location.line) == (
        "/etc/default/grub.d/50-k0s.cfg",
        1,
    )
    assert evaluation.message == "AppArmor disabled: apparmor=0 on the kernel command line"


def test_grub_cfg_forcing_cgroup_v1(tmp_path: Path) -> None:
    cfg = (
        'set default="0"\n'
        f"menuentry 'Debian GNU/Linux' $menuentry_id_option 'gnulinux-simple' {{\n"
        f"\tlinux /boot/vmlinuz-{R} root=/dev/vda1 ro systemd.unified_cgroup_hierarchy=0\n"
        "}\n"
    )
    evaluation = only(
        scan(tmp_path, rootfs(extra={"boot/grub/grub.cfg": cfg}), role="worker"), "k0s.cgroups.v2"
    )
    assert (evaluation.outcome, evaluation.level) == (Outcome.FAIL, Level.ERROR)
    assert (evaluation.location.path, evaluation.location.line) == ("/boot/grub/grub.cfg", 3)
    assert evaluation.message == (
        "cgroup v2 is required: cgroup hybrid: systemd.unified_cgroup_hierarchy=0 forces the"
        " hybrid hierarchy"
    )


def test_bls_entry_disabling_apparmor(tmp_path: Path) -> None:
    entry = f"title Debian\nversion {R}\nlinux /vmlinuz-{R}\noptions root=/dev/vda1 apparmor=0\n"
    spec = rootfs(extra={"boot/loader/entries/debian.conf": entry})
    evaluation = only(scan(tmp_path, spec), "k0s.apparmor.state")
    assert evaluation.outcome is Outcome.FAIL
    assert (evaluation.location.path, evaluation.location.line) == (
        "/boot/loader/entries/debian.conf",
        4,
    )


def test_etc_kernel_cmdline_legacy_controller(tmp_path: Path) -> None:
    spec = rootfs(
        extra={"etc/kernel/cmdline": "root=/dev/vda1 systemd.legacy_systemd_cgroup_controller\n"}
    )
    evaluation = only(scan(tmp_path, spec, role="worker"), "k0s.cgroups.v2")
    assert evaluation.outcome is Outcome.FAIL
    assert (evaluation.location.path, evaluation.location.line) == ("/etc/kernel/cmdline", 1)


def test_clean_cmdline_stays_quiet(tmp_path: Path) -> None:
    spec = rootfs(extra={"etc/default/grub": 'GRUB_CMDLINE_LINUX_DEFAULT="quiet"\n'})
    result = scan(tmp_path, spec, role="worker")
    assert only(result, "k0s.cgroups.v2").outcome is Outcome.PASS
    assert only(result, "k0s.apparmor.state").outcome is Outcome.PASS
    assert loud(result) == []


def test_rootfs_without_kernel_gives_one_unknown_per_rule(tmp_path: Path) -> None:
    result = scan(tmp_path, {"etc/hosts": "127.0.0.1 localhost\n"}, role="worker")
    [evaluation] = evaluations(result, "k0s.kconfig.CONFIG_CGROUPS")
    assert evaluation.outcome is Outcome.UNKNOWN
    assert evaluation.message == (
        "no kernel in this artefact: kernel requirements cannot be determined from it"
    )
