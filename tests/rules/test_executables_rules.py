"""k0s executable rules end to end: findings, their location and message; quiet when present."""

from __future__ import annotations

import platform
from pathlib import Path

import pytest
from builders import File, Item, Symlink
from scenarios import build, collect, findings, only, scan

from analyzer.collectors.executables import ExecutablesCollector
from analyzer.facts import APPARMOR, OS
from analyzer.kernel.cgroups import AppArmorState
from analyzer.model import Evaluation, Fact, Level, Location, Outcome, TargetKind
from analyzer.pipeline import load_all_rules
from analyzer.policy.engine import evaluate

EXE = File(b"#!/bin/sh\n", mode=0o755)
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
BUSYBOX = Path("/bin/busybox")
ALL_TOOLS: dict[str, Item] = {
    name: EXE
    for name in (
        "bin/mount", "bin/umount", "sbin/modprobe", "usr/sbin/iptables", "usr/sbin/useradd",
        "usr/sbin/userdel", "usr/bin/id",
    )
}  # fmt: skip
EXECUTABLE_RULES = (
    "k0s.executables.mount", "k0s.executables.umount", "k0s.executables.modprobe",
    "k0s.executables.iptables", "k0s.executables.useradd", "k0s.executables.userdel",
    "k0s.executables.id",
)  # fmt: skip


def test_all_tools_present_stays_quiet(tmp_path: Path) -> None:
    result = scan(tmp_path, {"etc/hosts": "127.0.0.1 localhost\n", **ALL_TOOLS})
    for rule_id in EXECUTABLE_RULES:
        assert only(result, rule_id).outcome is Outcome.PASS, rule_id


def test_missing_mount_is_an_error_at_the_root(tmp_path: Path) -> None:
    spec: dict[str, Item] = {k: v for k, v in ALL_TOOLS.items() if k != "bin/mount"}
    evaluation = only(scan(tmp_path, spec, role="worker"), "k0s.executables.mount")
    assert evaluation.outcome is Outcome.FAIL
    assert evaluation.level is Level.ERROR
    assert evaluation.location.path == "/"
    assert evaluation.message == (
        f"kubelet cannot mount volumes: mount is not in PATH {DEFAULT_PATH}"
    )


def test_mount_rules_apply_to_workers_only(tmp_path: Path) -> None:
    result = scan(tmp_path, {}, role="controller")
    assert findings(result, "k0s.executables.mount") == []
    assert findings(result, "k0s.executables.umount") == []
    assert findings(result, "k0s.executables.modprobe") == []
    assert findings(result, "k0s.executables.useradd") != []


def test_dangling_modprobe_is_its_own_finding_at_the_link(tmp_path: Path) -> None:
    spec: dict[str, Item] = {**ALL_TOOLS, "sbin/modprobe": Symlink("/bin/kmod")}
    evaluation = only(scan(tmp_path, spec, role="worker"), "k0s.executables.modprobe")
    assert evaluation.outcome is Outcome.FAIL
    assert evaluation.level is Level.WARNING
    assert evaluation.location.path == "/sbin/modprobe"
    assert evaluation.message == (
        "the worker cannot load kernel modules: modprobe is not usable:"
        " /sbin/modprobe -> /bin/kmod: dangling link"
    )


def test_umount_without_execute_bit_is_reported(tmp_path: Path) -> None:
    spec: dict[str, Item] = {**ALL_TOOLS, "bin/umount": File(b"x", mode=0o644)}
    evaluation = only(scan(tmp_path, spec, role="worker"), "k0s.executables.umount")
    assert evaluation.outcome is Outcome.FAIL
    assert evaluation.location.path == "/bin/umount"
    assert evaluation.message.endswith("umount is not usable: /bin/umount: not executable")


def test_adduser_is_an_accepted_fallback_for_useradd(tmp_path: Path) -> None:
    spec: dict[str, Item] = {k: v for k, v in ALL_TOOLS.items() if k != "usr/sbin/useradd"}
    spec["usr/sbin/adduser"] = EXE
    evaluation = only(scan(tmp_path, spec), "k0s.executables.useradd")
    assert evaluation.outcome is Outcome.PASS
    assert evaluation.location.path == "/usr/sbin/adduser"


def test_neither_userdel_nor_deluser_is_a_note(tmp_path: Path) -> None:
    spec: dict[str, Item] = {k: v for k, v in ALL_TOOLS.items() if k != "usr/sbin/userdel"}
    evaluation = only(scan(tmp_path, spec), "k0s.executables.userdel")
    assert evaluation.outcome is Outcome.FAIL
    assert evaluation.level is Level.NOTE
    assert evaluation.message == (
        "k0s reset cannot remove system users: neither userdel nor deluser is in PATH"
        f" {DEFAULT_PATH}"
    )


def test_iptables_mode_is_reported_as_evidence(tmp_path: Path) -> None:
    spec: dict[str, Item] = {
        **{k: v for k, v in ALL_TOOLS.items() if k != "usr/sbin/iptables"},
        "usr/sbin/xtables-nft-multi": EXE,
        "usr/sbin/iptables-nft": Symlink("xtables-nft-multi"),
        "etc/alternatives/iptables": Symlink("/usr/sbin/iptables-nft"),
        "usr/sbin/iptables": Symlink("/etc/alternatives/iptables"),
    }
    evaluation = only(scan(tmp_path, spec), "k0s.executables.iptables")
    assert evaluation.outcome is Outcome.PASS
    assert evaluation.properties["mode"] == "nft"
    assert evaluation.properties["chain"] == (
        "/usr/sbin/iptables -> /etc/alternatives/iptables -> /usr/sbin/iptables-nft"
        " -> /usr/sbin/xtables-nft-multi"
    )
    assert "iptables mode nft (from the link chain)" in evaluation.evidence


def test_missing_iptables_is_a_note(tmp_path: Path) -> None:
    spec: dict[str, Item] = {k: v for k, v in ALL_TOOLS.items() if k != "usr/sbin/iptables"}
    evaluation = only(scan(tmp_path, spec), "k0s.executables.iptables")
    assert evaluation.outcome is Outcome.FAIL
    assert evaluation.level is Level.NOTE
    assert evaluation.message.startswith("k0s cannot detect existing iptables rules:")


def test_apparmor_parser_is_unknown_without_a_kernel(tmp_path: Path) -> None:
    evaluation = only(scan(tmp_path, ALL_TOOLS, role="worker"), "k0s.executables.apparmor-parser")
    assert evaluation.outcome is Outcome.UNKNOWN


@pytest.mark.skipif(not BUSYBOX.is_file(), reason="busybox-static is not installed")
@pytest.mark.parametrize("form", ["dir", "tar"])
def test_busybox_rootfs_with_applet_links_finds_mount_umount_modprobe(
    tmp_path: Path, form: str
) -> None:
    spec: dict[str, Item] = {
        "bin/busybox": File(BUSYBOX.read_bytes(), mode=0o755),
        "bin/mount": Symlink("busybox"),
        "bin/umount": Symlink("/bin/busybox"),
        "sbin/modprobe": Symlink("../bin/busybox"),
        "etc/hosts": "127.0.0.1 localhost\n",
    }
    result = scan(tmp_path, spec, role="worker", form=form)
    expected = {
        "k0s.executables.mount": "/bin/mount -> /bin/busybox (busybox applet)",
        "k0s.executables.umount": "/bin/umount -> /bin/busybox (busybox applet)",
        "k0s.executables.modprobe": "/sbin/modprobe -> /bin/busybox (busybox applet)",
    }
    for rule_id, chain in expected.items():
        evaluation = only(result, rule_id)
        assert evaluation.outcome is Outcome.PASS, evaluation
        assert evaluation.message == chain
    machine = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine())
    assert result.facts.get(OS).get().architecture == machine
    assert result.facts.get(OS).get().architecture_source == "ELF /bin/busybox"


def apparmor_rule(tmp_path: Path, enabled: bool | None, spec: dict[str, Item]) -> Evaluation:
    """Evaluate the apparmor_parser rule with the given AppArmor state."""
    (rule,) = [r for r in load_all_rules() if r.id == "k0s.executables.apparmor-parser"]
    result, _ = collect(ExecutablesCollector(), build(spec))
    if enabled is None:
        result.put(APPARMOR, Fact.unknown("no kernel configuration"))
    else:
        where = Location("/boot/config-6.1.0")
        result.put(
            APPARMOR, Fact.present(AppArmorState(enabled, "CONFIG_SECURITY_APPARMOR", where))
        )
    (evaluation,) = evaluate([rule], result, TargetKind.VM, [])
    return evaluation


def test_apparmor_enabled_without_parser_is_a_warning(tmp_path: Path) -> None:
    evaluation = apparmor_rule(tmp_path, True, ALL_TOOLS)
    assert evaluation.outcome is Outcome.FAIL
    assert evaluation.level is Level.WARNING
    assert evaluation.message == (
        "AppArmor is enabled but containerd cannot load profiles: apparmor_parser is not in"
        f" PATH {DEFAULT_PATH}"
    )


def test_apparmor_enabled_with_parser_passes(tmp_path: Path) -> None:
    evaluation = apparmor_rule(tmp_path, True, {**ALL_TOOLS, "sbin/apparmor_parser": EXE})
    assert evaluation.outcome is Outcome.PASS
    assert evaluation.location.path == "/sbin/apparmor_parser"


def test_apparmor_disabled_makes_the_parser_not_applicable(tmp_path: Path) -> None:
    evaluation = apparmor_rule(tmp_path, False, ALL_TOOLS)
    assert evaluation.outcome is Outcome.NOT_APPLICABLE
    assert evaluation.message == "AppArmor would not be enabled"


def test_apparmor_state_undetermined_is_unknown(tmp_path: Path) -> None:
    assert apparmor_rule(tmp_path, None, ALL_TOOLS).outcome is Outcome.UNKNOWN
