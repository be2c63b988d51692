"""Kernel history: symbols a kernel version cannot have and cgroup-v1-only controllers are notes."""

from __future__ import annotations

from pathlib import Path

from builders import Item
from scenarios import only, scan
from test_kernel_rules import CONFIG_PATH, SYSTEMD, R, rootfs
from test_modules_shipped import kconfig_leaves
from test_peer_packs import FORCE_V1, turn_off

from analyzer.kernel.cgroups import CONTROLLERS
from analyzer.kernel.history import CGROUP_V1_ONLY, HISTORY
from analyzer.kernel.symbols import parse_version
from analyzer.model import Level, Outcome
from analyzer.policy.leaves.kernel import KernelVersion
from analyzer.policy.loader import load_rules
from analyzer.policy.packs import bundled_packs
from analyzer.policy.rule import LeafCheck, When

CGROUP_DEVICE_LINE = 214
SYSTEMD_V2 = "systemd 252 defaults to the unified hierarchy"


def test_ext3_xattr_on_a_kernel_after_its_removal_is_a_note(tmp_path: Path) -> None:
    result = scan(tmp_path, rootfs(turn_off("EXT4_USE_FOR_EXT2")), profiles=("docker",))
    evaluation = only(result, "docker.kconfig.CONFIG_EXT3_FS_XATTR")
    assert (evaluation.outcome, evaluation.level) == (Outcome.PASS, Level.NOTE)
    assert evaluation.message == (
        f"CONFIG_EXT3_FS_XATTR does not exist in {R}: removed in Linux 4.3 with the ext3 driver:"
        " ext4 mounts ext3 file systems and always supports extended attributes;"
        " CONFIG_EXT4_FS=y"
    )


def test_ext3_xattr_on_a_kernel_that_has_it_stays_a_warning(tmp_path: Path) -> None:
    release = "4.2.0-1-amd64"
    config = turn_off("EXT4_USE_FOR_EXT2")
    spec: dict[str, Item] = {f"boot/config-{release}": config, SYSTEMD: b"\x7fELF"}
    evaluation = only(
        scan(tmp_path, spec, profiles=("docker",)), "docker.kconfig.CONFIG_EXT3_FS_XATTR"
    )
    assert (evaluation.outcome, evaluation.level) == (Outcome.FAIL, Level.WARNING)
    assert evaluation.message == "CONFIG_EXT3_FS_XATTR is absent"


def test_v1_only_controller_on_a_v2_kernel_is_a_note_with_the_reason(tmp_path: Path) -> None:
    result = scan(tmp_path, rootfs(turn_off("CGROUP_DEVICE")), profiles=("docker",))
    evaluation = only(result, "docker.kconfig.CONFIG_CGROUP_DEVICE")
    assert (evaluation.outcome, evaluation.level) == (Outcome.PASS, Level.NOTE)
    assert evaluation.message == (
        "# CONFIG_CGROUP_DEVICE is not set: devices is a cgroup v1 controller and this kernel"
        f" boots with cgroup v2 only ({SYSTEMD_V2}); cgroup v2 provides it (BPF device filters"
        " in v2: CONFIG_CGROUP_BPF=y)"
    )
    assert (evaluation.location.path, evaluation.location.line) == (CONFIG_PATH, CGROUP_DEVICE_LINE)
    assert f"cgroup hierarchy: {SYSTEMD_V2}" in evaluation.evidence


def test_v1_only_controller_without_its_v2_counterpart_stays_an_error(tmp_path: Path) -> None:
    config = turn_off("CGROUP_DEVICE").replace("CONFIG_CGROUP_BPF=y\n", "")
    result = scan(tmp_path, rootfs(config), profiles=("docker",))
    evaluation = only(result, "docker.kconfig.CONFIG_CGROUP_DEVICE")
    assert (evaluation.outcome, evaluation.level) == (Outcome.FAIL, Level.ERROR)
    assert evaluation.message.endswith(
        ", but its cgroup v2 counterpart (BPF device filters in v2) needs CONFIG_CGROUP_BPF"
    )


def test_v1_only_controller_on_a_v1_boot_is_an_error(tmp_path: Path) -> None:
    spec = rootfs(turn_off("CGROUP_FREEZER"), extra={"boot/grub/grub.cfg": FORCE_V1})
    evaluation = only(
        scan(tmp_path, spec, profiles=("docker",)), "docker.kconfig.CONFIG_CGROUP_FREEZER"
    )
    assert (evaluation.outcome, evaluation.level) == (Outcome.FAIL, Level.ERROR)
    assert evaluation.message == "# CONFIG_CGROUP_FREEZER is not set"


def test_v1_only_controller_with_no_v2_counterpart_is_a_note(tmp_path: Path) -> None:
    config = turn_off("NET_CLS_CGROUP", "m")
    spec = rootfs(config, extra={"etc/kernel/cmdline": "root=/dev/vda1 cgroup_no_v1=all\n"})
    evaluation = only(
        scan(tmp_path, spec, profiles=("docker",)), "docker.kconfig.CONFIG_NET_CLS_CGROUP"
    )
    assert (evaluation.outcome, evaluation.level) == (Outcome.PASS, Level.NOTE)
    assert evaluation.message == (
        "# CONFIG_NET_CLS_CGROUP is not set: net_cls is a cgroup v1 controller and this kernel"
        " boots with cgroup v2 only (cgroup_no_v1=all leaves only cgroup v2); container engines"
        " do not use it on cgroup v2"
    )


def _gated_symbols() -> dict[str, list[KernelVersion]]:
    """Symbols a bundled pack checks only on some kernel versions, with their gates."""
    gated: dict[str, list[KernelVersion]] = {}
    for rule in load_rules(bundled_packs()):
        check = rule.check
        if not isinstance(check, When) or not isinstance(check.condition, LeafCheck):
            continue
        gate = check.condition.spec
        if isinstance(gate, KernelVersion):
            for leaf in kconfig_leaves(check.then):
                gated.setdefault(leaf.symbol, []).append(gate)
    return gated


def test_history_agrees_with_the_version_gates_of_the_packs() -> None:
    gated = _gated_symbols()
    assert gated, "no version-gated rule found"
    for symbol, gates in gated.items():
        history = HISTORY.get(symbol)
        assert history is not None, f"{symbol} is version-gated in a pack but has no history"
        for gate in gates:
            if gate.minimum is not None:
                assert history.since is not None, f"{symbol}: gated as added, no 'since'"
                assert gate.minimum[:2] >= history.since, f"{symbol} asked for before it exists"
            if gate.maximum is not None or gate.below is not None:
                assert history.until is not None, f"{symbol}: gated as removed, no 'until'"


def test_every_history_and_v1_entry_is_named_by_a_pack() -> None:
    named = {
        symbol
        for rule in load_rules(bundled_packs())
        for leaf in kconfig_leaves(rule.check)
        for symbol in (leaf.symbol, *leaf.alternatives)
    }
    assert set(HISTORY) <= named
    assert set(CGROUP_V1_ONLY) <= named
    assert {"CGROUP_CPUACCT", "CGROUP_DEVICE", "CGROUP_FREEZER"} <= set(CGROUP_V1_ONLY)
    for controller in CGROUP_V1_ONLY.values():
        counterpart = CONTROLLERS.get(controller)
        assert counterpart is None or counterpart.note, controller


def test_history_versions_parse_like_releases() -> None:
    ext3 = HISTORY["EXT3_FS_XATTR"]
    for release, gone in (("4.2.8", False), ("4.3.0-1-amd64", True), ("6.1.0-13-amd64", True)):
        version = parse_version(release)
        assert version is not None and ext3.missing_by_design(version) is gone
