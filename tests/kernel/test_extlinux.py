"""Alpine's boot configuration: ``extlinux.conf`` and ``update-extlinux.conf`` command lines."""

from __future__ import annotations

from pathlib import Path

from scenarios import only, scan
from test_kernel_rules import R, rootfs

from analyzer.kernel.cmdline import parse_extlinux
from analyzer.model import Level, Location, Outcome

#: ``extlinux.conf`` as Alpine's ``update-extlinux`` writes it, with two labels.
EXTLINUX = f"""\
DEFAULT menu.c32
PROMPT 0
MENU TITLE Alpine/Linux Boot Menu
MENU HIDDEN
TIMEOUT 10
LABEL lts
  MENU DEFAULT
  MENU LABEL Linux lts
  LINUX vmlinuz-{R}
  INITRD initramfs-lts
  APPEND root=UUID=3f1c modules=sd-mod,usb-storage,ext4 quiet rootfstype=ext4 cgroup_disable=memory

LABEL rescue
  MENU LABEL Rescue shell
  LINUX vmlinuz-{R}
  APPEND root=UUID=3f1c single

MENU SEPARATOR
"""


def test_extlinux_append_disabling_memory_fails_the_controller_rule(tmp_path: Path) -> None:
    result = scan(tmp_path, rootfs(extra={"boot/extlinux.conf": EXTLINUX}), role="worker")
    evaluation = only(result, "k0s.cgroups.controller.memory")
    assert (evaluation.outcome, evaluation.level) == (Outcome.FAIL, Level.ERROR)
    assert (evaluation.location.path, evaluation.location.line) == ("/boot/extlinux.conf", 11)
    assert "cgroup_disable=memory" in evaluation.message
    assert only(result, "k0s.cgroups.controller.cpu").outcome is Outcome.PASS


def test_update_extlinux_default_kernel_opts_are_read_at_their_line(tmp_path: Path) -> None:
    update = (
        "# Alpine's update-extlinux configuration\n"
        "overwrite=1\n"
        'default_kernel_opts="quiet rootfstype=ext4 cgroup_disable=memory"\n'
        "modules=sd-mod,usb-storage,ext4\n"
    )
    spec = rootfs(extra={"etc/update-extlinux.conf": update})
    evaluation = only(scan(tmp_path, spec, role="worker"), "k0s.cgroups.controller.memory")
    assert evaluation.outcome is Outcome.FAIL
    assert (evaluation.location.path, evaluation.location.line) == ("/etc/update-extlinux.conf", 3)


def test_the_default_label_wins_over_another_label_of_the_same_kernel(tmp_path: Path) -> None:
    swapped = EXTLINUX.replace("  MENU DEFAULT\n", "").replace(
        "  MENU LABEL Rescue shell\n", "  MENU DEFAULT\n  MENU LABEL Rescue shell\n"
    )
    result = scan(tmp_path, rootfs(extra={"boot/extlinux.conf": swapped}), role="worker")
    assert only(result, "k0s.cgroups.controller.memory").outcome is Outcome.PASS


def test_clean_extlinux_passes(tmp_path: Path) -> None:
    clean = EXTLINUX.replace(" cgroup_disable=memory", "")
    result = scan(tmp_path, rootfs(extra={"boot/extlinux.conf": clean}), role="worker")
    assert only(result, "k0s.cgroups.controller.memory").outcome is Outcome.PASS


def test_default_label_is_named_then_marked_then_first() -> None:
    lines = EXTLINUX.splitlines()
    conf = Location("/boot/extlinux.conf", layer="sha256:aa")
    entries, default = parse_extlinux(conf, lines)
    assert [e.label for e in entries] == ["lts", "rescue"]
    assert default == 0
    named = ["DEFAULT rescue", *lines[1:]]
    assert parse_extlinux(conf, named)[1] == 1
    unmarked = [line for line in lines if line.strip() != "MENU DEFAULT"]
    assert parse_extlinux(conf, unmarked)[1] == 0
    assert parse_extlinux(Location("/x"), ["TIMEOUT 1"]) == ([], None)
    params = entries[1].params
    assert [(p.text(), p.location, p.source) for p in params] == [
        ("root=UUID=3f1c", conf.at_line(16), "extlinux"),
        ("single", conf.at_line(16), "extlinux"),
    ]
