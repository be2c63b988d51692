"""machine-id classification and the relation of the D-Bus copy to /etc/machine-id."""

from __future__ import annotations

import pytest
from builders import Item, Symlink
from scenarios import build, collect

from analyzer.collectors.identity import IdentityCollector, classify
from analyzer.facts import MACHINE_ID
from analyzer.facts.identity import MachineIds

ID = "0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize(
    ("content", "state"),
    [
        ("", "empty"), ("\n", "empty"), ("uninitialized\n", "uninitialized"), (ID + "\n", "valid"),
        (ID.upper(), "valid"), ("0" * 32, "invalid"), (ID[:-1], "invalid"), (ID + "0", "invalid"),
        ("b08dfa60-83b7-4d37-8b89-0a5c3b3b9e3c", "invalid"),
    ],
)  # fmt: skip
def test_classify(content: str, state: str) -> None:
    assert classify(content) == state


def ids(spec: dict[str, Item]) -> MachineIds:
    result, _ = collect(IdentityCollector(), build(spec))
    value: MachineIds = result.get(MACHINE_ID).get()
    return value


def test_missing_files() -> None:
    files = ids({"etc/hosts": ""}).files
    assert files["/etc/machine-id"].state == "missing"
    assert files["/var/lib/dbus/machine-id"].state == "missing"
    assert files["/var/lib/dbus/machine-id"].relation == ""


def test_dbus_link_to_etc_is_a_link_and_a_dangling_one_is_missing() -> None:
    files = ids({"etc/machine-id": "", "var/lib/dbus/machine-id": Symlink("/etc/machine-id")}).files
    assert (
        files["/var/lib/dbus/machine-id"].state,
        files["/var/lib/dbus/machine-id"].relation,
    ) == (
        "link",
        "link",
    )
    dangling = ids({"var/lib/dbus/machine-id": Symlink("/run/machine-id")}).files
    assert dangling["/var/lib/dbus/machine-id"].state == "missing"


def test_equal_and_different_copies() -> None:
    same = ids({"etc/machine-id": ID, "var/lib/dbus/machine-id": ID + "\n"}).files
    assert same["/var/lib/dbus/machine-id"].relation == "equal"
    other = ids({"etc/machine-id": ID, "var/lib/dbus/machine-id": "uninitialized"}).files
    assert other["/var/lib/dbus/machine-id"].relation == "different"


def test_machine_id_directory_is_unreadable_with_a_notification() -> None:
    result, notes = collect(IdentityCollector(), build({"etc/machine-id/x": "y"}))
    value: MachineIds = result.get(MACHINE_ID).get()
    assert value.files["/etc/machine-id"].state == "unreadable"
    assert [(n.code, n.message) for n in notes] == [
        ("identity.unreadable", "/etc/machine-id: content not read")
    ]


def test_binary_garbage_is_invalid_not_a_crash() -> None:
    files = ids({"etc/machine-id": b"\xff\xfe\x00garbage"}).files
    assert files["/etc/machine-id"].state == "invalid"
