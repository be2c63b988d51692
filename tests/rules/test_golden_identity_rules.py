"""golden-image identity rules: machine-id files, /etc/hostname, build host in /etc/hosts."""

from __future__ import annotations

from pathlib import Path

import pytest
from builders import Item, Symlink
from scenarios import evaluations, findings, only, scan

from analyzer.model import Level, Outcome

ID = "0123456789abcdef0123456789abcdef"
OTHER = "fedcba9876543210fedcba9876543210"
GOLDEN = ("golden-image",)
POPULATED = "golden-image.machine-id.populated"
INVALID = "golden-image.machine-id.invalid"


@pytest.mark.parametrize(
    "content", ["", "\n", "uninitialized\n"], ids=["empty", "newline", "uninitialized"]
)
def test_unset_machine_id_with_dbus_link_passes(tmp_path: Path, content: str) -> None:
    spec: dict[str, Item] = {
        "etc/machine-id": content,
        "var/lib/dbus/machine-id": Symlink("/etc/machine-id"),
    }
    result = scan(tmp_path, spec, GOLDEN)
    assert findings(result, POPULATED) == []
    assert findings(result, INVALID) == []
    assert [e.location.path for e in evaluations(result, POPULATED)] == [
        "/etc/machine-id",
        "/var/lib/dbus/machine-id",
    ]


def test_populated_machine_id_in_both_places_is_two_warnings(tmp_path: Path) -> None:
    spec: dict[str, Item] = {"etc/machine-id": ID + "\n", "var/lib/dbus/machine-id": ID + "\n"}
    found = findings(scan(tmp_path, spec, GOLDEN), POPULATED)
    assert [(e.location.path, e.location.line, e.level) for e in found] == [
        ("/etc/machine-id", 1, Level.WARNING),
        ("/var/lib/dbus/machine-id", 1, Level.WARNING),
    ]
    assert found[0].message == (
        f"/etc/machine-id holds the machine ID {ID}; every clone will share this machine ID"
    )
    assert found[1].message == (
        f"/var/lib/dbus/machine-id holds the machine ID {ID} (the same as /etc/machine-id);"
        " every clone will share this machine ID"
    )


def test_dbus_copy_that_differs_is_named_as_such(tmp_path: Path) -> None:
    spec: dict[str, Item] = {"etc/machine-id": "", "var/lib/dbus/machine-id": OTHER + "\n"}
    (finding,) = findings(scan(tmp_path, spec, GOLDEN), POPULATED)
    assert finding.location.path == "/var/lib/dbus/machine-id"
    assert "(unlike /etc/machine-id)" in finding.message


def test_populated_dbus_link_is_reported_once_at_its_target(tmp_path: Path) -> None:
    spec: dict[str, Item] = {
        "etc/machine-id": ID + "\n",
        "var/lib/dbus/machine-id": Symlink("../../../etc/machine-id"),
    }
    result = scan(tmp_path, spec, GOLDEN)
    assert [e.location.path for e in findings(result, POPULATED)] == ["/etc/machine-id"]


def test_invalid_machine_id_is_an_error(tmp_path: Path) -> None:
    result = scan(tmp_path, {"etc/machine-id": "not-an-id\n"}, GOLDEN)
    (finding,) = findings(result, INVALID)
    assert finding.level is Level.ERROR
    assert (finding.location.path, finding.location.line) == ("/etc/machine-id", 1)
    assert finding.message == (
        "/etc/machine-id holds 'not-an-id', which is neither empty, 'uninitialized' nor a"
        " 32-digit hexadecimal ID"
    )
    assert findings(result, POPULATED) == []


def test_all_zero_machine_id_is_invalid(tmp_path: Path) -> None:
    result = scan(tmp_path, {"etc/machine-id": "0" * 32 + "\n"}, GOLDEN)
    assert [e.location.path for e in findings(result, INVALID)] == ["/etc/machine-id"]


def test_machine_id_rules_apply_to_container_images(tmp_path: Path) -> None:
    from analyzer.model import TargetKind
    from analyzer.pipeline import load_all_rules
    from analyzer.policy.rule import ALL_TARGETS

    rules = {r.id: r for r in load_all_rules()}
    assert rules[POPULATED].targets == ALL_TARGETS
    assert TargetKind.CONTAINER in rules[INVALID].targets


def test_build_hostname_is_a_note_at_its_line(tmp_path: Path) -> None:
    spec: dict[str, Item] = {
        "etc/hostname": "# set by packer\npacker-6551f0a2\n",
        "etc/hosts": "127.0.0.1 localhost\n127.0.1.1 packer-6551f0a2.example packer-6551f0a2\n",
    }
    result = scan(tmp_path, spec, GOLDEN)
    hostname = only(result, "golden-image.hostname")
    assert hostname.outcome is Outcome.FAIL
    assert hostname.level is Level.NOTE
    assert (hostname.location.path, hostname.location.line) == ("/etc/hostname", 2)
    assert hostname.message == (
        "/etc/hostname names the host 'packer-6551f0a2'; every clone starts with this host name"
    )
    hosts = only(result, "golden-image.hosts.build-host")
    assert hosts.outcome is Outcome.FAIL
    assert (hosts.location.path, hosts.location.line) == ("/etc/hosts", 2)
    assert hosts.message == (
        "/etc/hosts line 2 maps packer-6551f0a2.example, packer-6551f0a2 to 127.0.1.1"
    )


def test_packer_name_in_hosts_without_hostname_file(tmp_path: Path) -> None:
    spec: dict[str, Item] = {"etc/hosts": "127.0.0.1 localhost\n10.0.2.15 packer-debian\n"}
    result = scan(tmp_path, spec, GOLDEN)
    assert only(result, "golden-image.hostname").outcome is Outcome.PASS
    (finding,) = findings(result, "golden-image.hosts.build-host")
    assert finding.location.line == 2


@pytest.mark.parametrize("name", ["", "localhost\n", "localhost.localdomain\n"])
def test_neutral_hostname_stays_quiet(tmp_path: Path, name: str) -> None:
    spec: dict[str, Item] = {
        "etc/hostname": name,
        "etc/hosts": "127.0.0.1 localhost localhost.localdomain\n",
    }
    result = scan(tmp_path, spec, GOLDEN)
    assert findings(result, "golden-image.hostname") == []
    assert findings(result, "golden-image.hosts.build-host") == []
