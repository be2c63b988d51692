"""The issue's acceptance scenarios: a Debian golden image gone wrong, the same image clean."""

from __future__ import annotations

from pathlib import Path

import pytest
from builders import File, Item, Symlink
from scenarios import findings, scan

from analyzer.facts import OS
from analyzer.model import Level, RunResult

ID = "5d1b2f1e9c7a4b8e8f3a2c6d7e9f0a1b"
EXE = File(b"#!/bin/sh\n", mode=0o755)
PROFILES = ("k0s", "golden-image")
#: Rules the scenarios are about, and where each finding must be.
EXPECTED = {
    ("golden-image.machine-id.populated", "/etc/machine-id", 1, Level.WARNING),
    ("golden-image.machine-id.populated", "/var/lib/dbus/machine-id", 1, Level.WARNING),
    ("golden-image.ssh.host-key", "/etc/ssh/ssh_host_ecdsa_key", None, Level.ERROR),
    ("golden-image.ssh.host-key", "/etc/ssh/ssh_host_ed25519_key", None, Level.ERROR),
    ("golden-image.ssh.host-key", "/etc/ssh/ssh_host_rsa_key", None, Level.ERROR),
    ("k0s.name-resolution.localhost", "/etc/hosts", None, Level.ERROR),
    ("k0s.executables.modprobe", "/", None, Level.WARNING),
    ("k0s.executables.iptables", "/", None, Level.NOTE),
}
RULES = {rule for rule, _, _, _ in EXPECTED}


def debian(broken: bool) -> dict[str, Item]:
    """A merged-/usr Debian 12 root file system with systemd, broken or clean."""
    spec: dict[str, Item] = {
        "bin": Symlink("usr/bin"),
        "sbin": Symlink("usr/sbin"),
        "lib": Symlink("usr/lib"),
        "usr/lib/os-release": 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\n'
        'VERSION_ID="12"\n',
        "etc/os-release": Symlink("../usr/lib/os-release"),
        "usr/lib/systemd/systemd": EXE,
        "usr/sbin/init": Symlink("../lib/systemd/systemd"),
        "usr/bin/mount": EXE,
        "usr/bin/umount": EXE,
        "usr/bin/id": EXE,
        "usr/sbin/useradd": EXE,
        "usr/sbin/userdel": EXE,
        "etc/nsswitch.conf": "passwd: files systemd\nhosts: files myhostname dns\n",
        "etc/ssh/sshd_config": "Include /etc/ssh/sshd_config.d/*.conf\n",
        "etc/hostname": "localhost\n",
    }
    if broken:
        spec |= {
            "etc/machine-id": ID + "\n",
            "var/lib/dbus/machine-id": ID + "\n",
            "etc/hosts": "127.0.1.1 debian\n",
            **{
                f"etc/ssh/ssh_host_{kind}_key": File(f"{kind} private key\n", mode=0o600)
                for kind in ("ecdsa", "ed25519", "rsa")
            },
        }
    else:
        spec |= {
            "etc/machine-id": "",
            "var/lib/dbus/machine-id": Symlink("/etc/machine-id"),
            "etc/hosts": "127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n",
            "usr/bin/kmod": EXE,
            "usr/sbin/modprobe": Symlink("../bin/kmod"),
            "usr/sbin/xtables-nft-multi": EXE,
            "usr/sbin/iptables-nft": Symlink("xtables-nft-multi"),
            "etc/alternatives/iptables": Symlink("/usr/sbin/iptables-nft"),
            "usr/sbin/iptables": Symlink("/etc/alternatives/iptables"),
        }
    return spec


def located(result: RunResult) -> set[tuple[str, str, int | None, Level]]:
    return {
        (e.rule_id, e.location.path, e.location.line, e.level)
        for rule in RULES
        for e in findings(result, rule)
    }


@pytest.mark.parametrize("form", ["dir", "tar"])
def test_golden_image_gone_wrong_reports_each_problem_at_its_file(
    tmp_path: Path, form: str
) -> None:
    result = scan(tmp_path, debian(broken=True), PROFILES, form=form)
    assert located(result) == EXPECTED
    (localhost,) = findings(result, "k0s.name-resolution.localhost")
    assert "nsswitch.conf relies on myhostname" in localhost.message
    os_fact = result.facts.get(OS).get()
    assert (os_fact.id, os_fact.version_id, os_fact.init) == ("debian", "12", "systemd")


@pytest.mark.parametrize("form", ["dir", "tar"])
def test_clean_debian_image_reports_none_of_them(tmp_path: Path, form: str) -> None:
    result = scan(tmp_path, debian(broken=False), PROFILES, form=form)
    assert located(result) == set()
    golden = [e for e in result.findings if e.rule_id.startswith("golden-image.")]
    assert golden == []
    executables = [e for e in result.findings if e.rule_id.startswith("k0s.executables.")]
    assert executables == []
