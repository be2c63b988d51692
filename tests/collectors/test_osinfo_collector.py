"""The ``os`` fact: os-release with its fallback, architecture and init system."""

from __future__ import annotations

import platform
from pathlib import Path

import pytest
from builders import File, Item, Symlink
from scenarios import build, collect

from analyzer.collectors.osinfo import OsCollector, arch_name, parse_os_release
from analyzer.facts import IMAGE_CONFIG, OS
from analyzer.facts.image import ImageConfig
from analyzer.facts.os import OsIdentity
from analyzer.model import Fact, FactStore

EXE = File(b"#!/bin/sh\n", mode=0o755)
BUSYBOX = Path("/bin/busybox")


def identity(spec: dict[str, Item], facts: FactStore | None = None) -> OsIdentity:
    result, _ = collect(OsCollector(), build(spec), facts)
    value: OsIdentity = result.get(OS).get()
    return value


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
        ({"bin/busybox": EXE, "sbin/init": Symlink("../bin/busybox")}, "other",
         "/sbin/init -> /bin/busybox"),
        ({"bin/sh": EXE}, "none", "no /sbin/init, systemd or OpenRC"),
    ],
    ids=["systemd-link", "systemd-binary", "openrc", "busybox-init", "none"],
)  # fmt: skip
def test_init_system(spec: dict[str, Item], init: str, evidence: str) -> None:
    value = identity(spec)
    assert (value.init, value.init_evidence) == (init, evidence)


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


def test_arch_names() -> None:
    assert arch_name(62, 2, True) == "amd64"
    assert arch_name(243, 2, True) == "riscv64"
    assert arch_name(21, 2, True) == "ppc64le"
    assert arch_name(21, 2, False) == "ppc64"
    assert arch_name(9999, 2, True) == "EM_9999"
