"""The executables collector: exec.LookPath over the image's PATH, links resolved in the image."""

from __future__ import annotations

from pathlib import Path

import pytest
from builders import Dir, File, Hardlink, Item, Symlink
from scenarios import build, collect

from analyzer.collectors.executables import ExecutablesCollector
from analyzer.facts import EXECUTABLES, IMAGE_CONFIG
from analyzer.facts.executables import (
    Applet,
    CandidateStatus,
    Executables,
)
from analyzer.facts.image import ImageConfig
from analyzer.model import Fact, FactStore
from analyzer.sources.container.config import image_config

EXE = File(b"#!/bin/sh\n", mode=0o755)
BUSYBOX = Path("/bin/busybox")
needs_busybox = pytest.mark.skipif(not BUSYBOX.is_file(), reason="busybox-static is not installed")


def real_busybox() -> File:
    """The host's busybox-static binary (a real applet table)."""
    return File(BUSYBOX.read_bytes(), mode=0o755)


def lookup(spec: dict[str, Item], facts: FactStore | None = None) -> Executables:
    result, notes = collect(ExecutablesCollector(), build(spec), facts)
    assert notes == []
    value: Executables = result.get(EXECUTABLES).get()
    return value


def test_plain_executable_is_found_in_the_first_path_directory() -> None:
    value = lookup({"usr/sbin/modprobe": EXE, "sbin/modprobe": EXE})
    found = value.lookup("modprobe").found
    assert found is not None
    assert found.path == "/usr/sbin/modprobe"
    assert found.chain == ""
    assert value.path_source == "default"


def test_merged_usr_link_leads_to_the_same_file() -> None:
    value = lookup({"usr/bin/umount": EXE, "bin": Symlink("usr/bin")})
    found = value.lookup("umount").found
    assert found is not None and found.path == "/usr/bin/umount"


@needs_busybox
def test_busybox_applet_link_counts_with_its_chain() -> None:
    value = lookup({"bin/busybox": real_busybox(), "bin/mount": Symlink("busybox")})
    found = value.lookup("mount").found
    assert found is not None
    assert found.applet is Applet.LISTED and found.works is True
    assert found.describe() == "/bin/mount -> /bin/busybox (busybox applet)"


@needs_busybox
def test_busybox_link_without_that_applet_is_found_but_does_not_work() -> None:
    value = lookup({"bin/busybox": real_busybox(), "usr/sbin/adduser": Symlink("/bin/busybox")})
    found = value.lookup("adduser").found
    assert found is not None
    assert found.applet is Applet.MISSING and found.works is False
    assert (
        found.describe() == "/usr/sbin/adduser -> /bin/busybox: /bin/busybox has no adduser applet"
    )


@needs_busybox
def test_hard_link_to_busybox_is_an_applet_too() -> None:
    spec: dict[str, Item] = {"bin/busybox": real_busybox(), "bin/umount": Hardlink("bin/busybox")}
    value = lookup(spec)
    found = value.lookup("umount").found
    assert found is not None and found.applet is Applet.LISTED
    assert value.lookup("busybox").found is not None
    assert value.lookup("busybox").found.applet is None  # type: ignore[union-attr]


def test_busybox_without_an_applet_table_is_unknown_not_a_pass() -> None:
    value = lookup({"bin/busybox": EXE, "bin/mount": Symlink("busybox")})
    found = value.lookup("mount").found
    assert found is not None
    assert found.applet is Applet.UNKNOWN and found.works is None
    assert found.describe() == (
        "/bin/mount -> /bin/busybox: busybox applets unknown "
        "(/bin/busybox: no applet table ('[', '[[', ...) found in the binary)"
    )


def test_absolute_link_resolves_inside_the_image() -> None:
    value = lookup({"bin/busybox": EXE, "sbin/modprobe": Symlink("/bin/busybox")})
    found = value.lookup("modprobe").found
    assert found is not None and found.chain == "/sbin/modprobe -> /bin/busybox"


def test_dangling_link_is_rejected_with_its_target() -> None:
    value = lookup({"sbin/modprobe": Symlink("/bin/kmod")})
    result = value.lookup("modprobe")
    assert result.found is None
    (rejected,) = result.rejected
    assert rejected.status is CandidateStatus.DANGLING
    assert rejected.describe() == "/sbin/modprobe -> /bin/kmod: dangling link"
    assert rejected.location.path == "/sbin/modprobe"


def test_file_without_execute_bit_is_rejected() -> None:
    value = lookup({"usr/sbin/iptables": File(b"x", mode=0o644)})
    (rejected,) = value.lookup("iptables").rejected
    assert rejected.status is CandidateStatus.NOT_EXECUTABLE
    assert value.lookup("iptables").found is None


def test_link_to_a_directory_is_rejected() -> None:
    value = lookup({"usr/lib/id": Dir(), "usr/bin/id": Symlink("../lib/id")})
    (rejected,) = value.lookup("id").rejected
    assert rejected.status is CandidateStatus.DIRECTORY
    assert rejected.chain == "/usr/bin/id -> /usr/lib/id"


def test_link_loop_is_rejected() -> None:
    value = lookup({"bin/mount": Symlink("mount2"), "bin/mount2": Symlink("mount")})
    (rejected,) = value.lookup("mount").rejected
    assert rejected.status is CandidateStatus.LOOP


def test_broken_entry_earlier_in_path_is_skipped_like_lookpath() -> None:
    value = lookup({"usr/local/bin/mount": Symlink("/opt/missing"), "bin/mount": EXE})
    result = value.lookup("mount")
    assert result.found is not None and result.found.path == "/bin/mount"
    assert [c.path for c in result.rejected] == ["/usr/local/bin/mount"]


def test_iptables_nft_mode_from_the_alternatives_chain() -> None:
    value = lookup(
        {
            "usr/sbin/xtables-nft-multi": EXE,
            "usr/sbin/iptables-nft": Symlink("xtables-nft-multi"),
            "etc/alternatives/iptables": Symlink("/usr/sbin/iptables-nft"),
            "usr/sbin/iptables": Symlink("/etc/alternatives/iptables"),
        }
    )
    found = value.lookup("iptables").found
    assert found is not None
    assert found.variant == "nft"
    assert found.chain == (
        "/usr/sbin/iptables -> /etc/alternatives/iptables -> /usr/sbin/iptables-nft"
        " -> /usr/sbin/xtables-nft-multi"
    )


def test_iptables_legacy_mode() -> None:
    value = lookup(
        {"sbin/xtables-legacy-multi": EXE, "sbin/iptables": Symlink("xtables-legacy-multi")}
    )
    found = value.lookup("iptables").found
    assert found is not None and found.variant == "legacy"


def test_plain_iptables_binary_has_no_mode() -> None:
    value = lookup({"sbin/iptables": EXE})
    found = value.lookup("iptables").found
    assert found is not None and found.variant is None


def config_facts(fact: Fact[ImageConfig]) -> FactStore:
    return FactStore.one(IMAGE_CONFIG, fact)


def test_image_config_path_replaces_the_default() -> None:
    config = image_config({"config": {"Env": ["HOME=/root", "PATH=/opt/tools:relative"]}})
    value = lookup({"opt/tools/mount": EXE, "bin/umount": EXE}, config_facts(Fact.present(config)))
    assert value.search_path == ("/opt/tools",)
    assert value.path_source == "image config Env"
    assert value.lookup("mount").found is not None
    assert value.lookup("umount").found is None


def test_unknown_image_config_falls_back_to_the_default_path() -> None:
    value = lookup({"bin/mount": EXE}, config_facts(Fact.unknown("no config")))
    assert value.path_source == "default"
    assert value.lookup("mount").found is not None
