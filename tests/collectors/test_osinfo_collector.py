"""The ``os`` fact: os-release with its fallback, architecture and init system."""

from __future__ import annotations

import platform
from pathlib import Path

import pytest
from builders import File, Item, Symlink
from scenarios import build, collect

from analyzer.collectors.architecture import ArchitectureCollector, arch_name, goarch_machine
from analyzer.collectors.initsystem import detect_init
from analyzer.collectors.osinfo import OsCollector, parse_os_release
from analyzer.facts import IMAGE_ARCH, IMAGE_CONFIG, OS
from analyzer.facts.image import ImageConfig
from analyzer.facts.os import InitKind, OsIdentity
from analyzer.model import Fact, FactStore

EXE = File(b"#!/bin/sh\n", mode=0o755)
BUSYBOX = Path("/bin/busybox")


def identity(spec: dict[str, Item], facts: FactStore | None = None) -> OsIdentity:
    """The ``os`` fact, after the architecture collector it reads."""
    tree = build(spec)
    known = facts or FactStore()
    arch, _ = collect(ArchitectureCollector(), tree, known)
    known.update(arch)
    result, _ = collect(OsCollector(), tree, known)
    return result.get(OS).get()


def test_etc_os_release_wins_over_the_fallback() -> None:
    value = identity(
        {"etc/os-release": "ID=alpine\nVERSION_ID=3.21.0\n", "usr/lib/os-release": "ID=debian\n"}
    )
    assert (value.id, value.version_id) == ("alpine", "3.21.0")
    assert value.source is not None and value.source.path == "/etc/os-release"


def test_usr_lib_os_release_is_the_fallback() -> None:
    value = identity({"usr/lib/os-release": 'ID=fedora\nPRETTY_NAME="Fedora Linux 41"\n'})
    assert (value.id, value.pretty_name) == ("fedora", "Fedora Linux 41")
    assert value.source is not None and value.source.path == "/usr/lib/os-release"


def test_debian_link_is_followed_and_located() -> None:
    value = identity(
        {"etc/os-release": Symlink("../usr/lib/os-release"), "usr/lib/os-release": "ID=debian\n"}
    )
    assert value.id == "debian"
    assert value.source is not None
    assert (value.source.path, value.source.access_path) == (
        "/usr/lib/os-release",
        "/etc/os-release",
    )


def test_quoting_comments_and_junk() -> None:
    fields = parse_os_release(
        [
            "# comment",
            "NAME='Arch Linux'",
            'BUG="a \\"b\\""',
            "junk line",
            "9X=1",
            'UNTERMINATED="x',
        ]
    )
    assert fields == {"NAME": "Arch Linux", "BUG": 'a "b"', "UNTERMINATED": "x"}


def test_no_os_release() -> None:
    value = identity({"bin/sh": EXE})
    assert (value.id, value.source) == (None, None)


@pytest.mark.parametrize(
    ("spec", "init", "evidence"),
    [
        (
            {"sbin/init": Symlink("/lib/systemd/systemd"), "lib/systemd/systemd": EXE},
            "systemd",
            "/sbin/init -> /lib/systemd/systemd",
        ),
        ({"usr/lib/systemd/systemd": EXE}, "systemd", "/usr/lib/systemd/systemd"),
        ({"sbin/openrc": EXE, "sbin/init": EXE}, "openrc", "/sbin/openrc"),
        ({"usr/sbin/openrc-run": EXE, "sbin/init": EXE}, "openrc", "/usr/sbin/openrc-run"),
        ({"bin/busybox": EXE, "sbin/init": Symlink("../bin/busybox")}, "other",
         "/sbin/init -> /bin/busybox"),
        ({"bin/sh": EXE}, "none", "no /sbin/init, systemd or OpenRC"),
    ],
    ids=["systemd-link", "systemd-binary", "openrc", "openrc-run", "busybox-init", "none"],
)  # fmt: skip
def test_init_system(spec: dict[str, Item], init: str, evidence: str) -> None:
    value = identity(spec)
    assert (value.init, value.init_evidence) == (init, evidence)


def test_the_cgroup_details_come_from_the_same_detection() -> None:
    found = detect_init(
        build({"usr/sbin/openrc-run": EXE, "etc/rc.conf": 'rc_cgroup_mode="hybrid"\n'})
    )
    assert (found.kind, found.details.openrc) == (InitKind.OPENRC, True)
    assert found.details.rc_cgroup_mode is not None
    assert (found.details.rc_cgroup_mode.value, found.details.rc_cgroup_mode.line) == ("hybrid", 1)


def test_architecture_from_the_image_config() -> None:
    config = ImageConfig(os="linux", architecture="arm64")
    value = identity({"bin/sh": EXE}, FactStore.one(IMAGE_CONFIG, Fact.present(config)))
    assert (value.architecture, value.architecture_source) == ("arm64", "image config")


@pytest.mark.skipif(not BUSYBOX.is_file(), reason="busybox-static is not installed")
def test_architecture_from_an_elf_file() -> None:
    value = identity(
        {"bin/busybox": File(BUSYBOX.read_bytes(), mode=0o755), "bin/sh": Symlink("busybox")}
    )
    machine = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine())
    assert value.architecture == machine
    assert value.architecture_source == "ELF /bin/busybox"


def test_no_elf_no_architecture() -> None:
    value = identity({"bin/sh": EXE})
    assert value.architecture is None
    assert value.architecture_source == (
        "no image config and no ELF executable with a known machine"
    )


def test_an_architecture_no_table_knows_is_kept_as_declared() -> None:
    config = ImageConfig(os="linux", architecture="wasm")
    facts = FactStore.one(IMAGE_CONFIG, Fact.present(config))
    arch, _ = collect(ArchitectureCollector(), build({"bin/sh": EXE}), facts)
    found = arch.get(IMAGE_ARCH).get()
    assert (found.goarch, found.machine, found.source) == ("wasm", None, "image config")


def test_goarch_names_and_elf_machines_come_from_one_table() -> None:
    assert goarch_machine("arm64") == 183
    assert goarch_machine("mips64le") == 8
    assert arch_name(8, 2, True) == "mips64le"
    assert arch_name(3, 1, True) == "386"


def test_arch_names() -> None:
    assert arch_name(62, 2, True) == "amd64"
    assert arch_name(243, 2, True) == "riscv64"
    assert arch_name(21, 2, True) == "ppc64le"
    assert arch_name(21, 2, False) == "ppc64"
    assert arch_name(9999, 2, True) == "EM_9999"
