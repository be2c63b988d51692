"""package_installed, service_enabled, file_mode and file_owner on facts from small trees."""

from __future__ import annotations

from typing import Any

import pytest
from builders import File, Item, Symlink
from scenarios import build, collect

from analyzer.collectors import COLLECTORS
from analyzer.facts import FILES
from analyzer.model import FactStore, Location, Outcome
from analyzer.policy.leaf import Leaf, LeafResult, Subject, SubjectKind
from analyzer.policy.leaves.filemeta import FileMode, FileOwner
from analyzer.policy.leaves.packages import PackageInstalled, ServiceEnabled

IMAGE = Subject(SubjectKind.IMAGE, "", Location("/"))
OPENRC: dict[str, Item] = {
    "sbin/openrc": File(b"\x7fELF", mode=0o755),
    "etc/init.d/sshd": File(b"#!/sbin/openrc-run\n", mode=0o755),
    "etc/runlevels/default/sshd": Symlink("/etc/init.d/sshd"),
}


def facts(spec: dict[str, Item]) -> FactStore:
    tree = build(spec)
    found = FactStore()
    for collector in COLLECTORS:
        found.update(collect(collector, tree, found)[0])
    return found


def on_image(leaf: Leaf, spec: dict[str, Item]) -> LeafResult:
    return leaf.evaluate(facts(spec), IMAGE)


def on_file(leaf: Leaf, spec: dict[str, Item], path: str) -> LeafResult:
    known = facts(spec)
    index = known.get(FILES).get()
    (info,) = index.match([path])
    return leaf.evaluate(known, Subject(SubjectKind.FILE, path, info.location, info))


def test_package_unknown_without_a_database() -> None:
    result = on_image(PackageInstalled(("openssh",)), {"etc/os-release": "ID=alpine\n"})
    assert (result.outcome, result.detail) == (
        Outcome.UNKNOWN,
        "no package database found (os-release ID 'alpine' (no package database found))",
    )


def test_package_unknown_when_the_database_is_not_read() -> None:
    result = on_image(PackageInstalled(("openssh-server",)), {"var/lib/rpm/Packages.db": b"RpmP"})
    assert result.outcome is Outcome.UNKNOWN
    assert result.detail == (
        "openssh-server is not listed, but /var/lib/rpm/Packages.db (rpm ndb): "
        "the rpm ndb database format is not read"
    )


def test_apk_package_installed() -> None:
    spec: dict[str, Item] = {"lib/apk/db/installed": "P:openssh-server\nV:9.7_p1-r4\nA:x86_64\n"}
    result = on_image(PackageInstalled(("openssh-server",)), spec)
    assert (result.outcome, result.detail) == (
        Outcome.PASS,
        "openssh-server 9.7_p1-r4 (x86_64) is installed",
    )
    assert result.location is not None and result.location.path == "/lib/apk/db/installed"


def test_openrc_runlevel_enables_a_service() -> None:
    result = on_image(ServiceEnabled(("ssh", "sshd")), OPENRC)
    assert (result.outcome, result.detail) == (Outcome.PASS, "sshd starts in runlevel default")
    assert result.location is not None and result.location.path == "/etc/runlevels/default/sshd"
    spec = {k: v for k, v in OPENRC.items() if "runlevels" not in k}
    result = on_image(ServiceEnabled(("sshd",)), spec)
    assert (result.outcome, result.detail) == (
        Outcome.FAIL,
        "sshd is not in any runlevel (/etc/runlevels/*/)",
    )


def test_systemd_unit_installed_but_not_enabled() -> None:
    spec: dict[str, Item] = {
        "usr/lib/systemd/systemd": File(b"\x7fELF", mode=0o755),
        "usr/lib/systemd/system/sshd.service": "[Unit]\n",
    }
    result = on_image(ServiceEnabled(("sshd",)), spec)
    assert result.outcome is Outcome.FAIL
    assert result.detail == (
        "sshd.service is not enabled: no *.wants or *.requires link (installed but not enabled)"
    )
    assert result.location is not None
    assert result.location.path == "/usr/lib/systemd/system/sshd.service"


def test_service_unknown_without_an_init_system() -> None:
    result = on_image(ServiceEnabled(("sshd",)), {"etc/hosts": ""})
    assert (result.outcome, result.detail) == (
        Outcome.UNKNOWN,
        "init system none (no /sbin/init, systemd or OpenRC): services not read",
    )


def test_owner_by_number_and_unknown_without_group_file() -> None:
    spec: dict[str, Item] = {"etc/shadow": File("x", mode=0o600, gid=42)}
    result = on_file(FileOwner((), ("42",)), spec, "/etc/shadow")
    assert (result.outcome, result.detail) == (Outcome.PASS, "/etc/shadow is owned by 0:42")
    result = on_file(FileOwner((), ("shadow",)), spec, "/etc/shadow")
    assert (result.outcome, result.detail) == (
        Outcome.UNKNOWN,
        "/etc/shadow is owned by 0:42; /etc/group: missing",
    )


def test_owner_group_the_image_lacks_is_named() -> None:
    spec: dict[str, Item] = {"etc/shadow": File("x"), "etc/group": "root:x:0:\n"}
    result = on_file(FileOwner((), ("shadow",)), spec, "/etc/shadow")
    assert (result.outcome, result.detail) == (
        Outcome.FAIL,
        "/etc/shadow is owned by 0:root: group is not shadow (/etc/group has no shadow)",
    )


def test_mode_of_a_link_is_its_target_mode() -> None:
    spec: dict[str, Item] = {"etc/real": File("x", mode=0o600), "etc/link": Symlink("real")}
    result = on_file(FileMode(equals=0o600), spec, "/etc/link")
    assert (result.outcome, result.detail) == (
        Outcome.PASS,
        "/etc/link has mode 0600 (expected 0600)",
    )


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"max": 416}, "'max' is a quoted octal mode like \"0640\", not 416"),
        ({"max": "0640", "equals": "0600"}, "give exactly one of 'max', 'equals'"),
        ({"max": "rw-r-----"}, "'max' is a quoted octal mode like \"0640\", not 'rw-r-----'"),
    ],
)
def test_bad_mode_parameters(params: dict[str, Any], error: str) -> None:
    with pytest.raises(ValueError) as caught:
        FileMode.spec.values(params)
    assert str(caught.value) == error
