"""The ``packages`` fact: databases found in the tree, merged, and the unread ones named."""

from __future__ import annotations

from builders import File, Item, Symlink
from scenarios import build, collect

from analyzer.collectors.osinfo import OsCollector
from analyzer.collectors.packages import PackagesCollector
from analyzer.facts import PACKAGES
from analyzer.packages.installed import InstalledPackages


def packages(spec: dict[str, Item]) -> tuple[InstalledPackages, list[str]]:
    tree = build(spec)
    facts, _ = collect(OsCollector(), tree)
    result, notes = collect(PackagesCollector(), tree, facts)
    value = result.get(PACKAGES).get()
    return value, [f"{n.level.value} {n.code} {n.message}" for n in notes]


def test_dpkg_status_and_file_lists(dpkgdb: tuple[dict[str, bytes], str]) -> None:
    value, notes = packages({**dpkgdb[0]})
    assert notes == []
    assert value.manager == "dpkg"
    assert value.manager_source == "dpkg database /var/lib/dpkg/status"
    assert value.installed("openssh-server") is True
    assert value.installed("util-linux") is False
    assert value.packages["mount"].programs == ("/bin/mount", "/bin/umount")
    assert value.owner("/usr/sbin/sshd") == value.packages["openssh-server"]
    location = value.location("mount")
    assert location is not None and location.path == "/var/lib/dpkg/status"


def test_rpm_database_behind_a_link_is_read_once(rpmdb: tuple[dict[str, bytes], str]) -> None:
    spec: dict[str, Item] = {
        path.replace("var/lib/rpm", "usr/lib/sysimage/rpm"): data for path, data in rpmdb[0].items()
    }
    spec["var/lib/rpm"] = Symlink("../../usr/lib/sysimage/rpm")
    value, notes = packages(spec)
    assert notes == []
    assert value.manager == "rpm"
    assert [d.describe() for d in value.databases] == [
        "/var/lib/rpm/rpmdb.sqlite -> /usr/lib/sysimage/rpm/rpmdb.sqlite (rpm sqlite, 2 packages)"
    ]
    assert value.packages["util-linux"].version == "2:2.40-1.fc40"


def test_ndb_database_is_named_and_nothing_is_said_not_installed() -> None:
    value, notes = packages({"usr/lib/sysimage/rpm/Packages.db": b"RpmP" + bytes(60)})
    assert notes == [
        "warning packages.unread package database not read: /usr/lib/sysimage/rpm/Packages.db "
        "(rpm ndb): the rpm ndb database format is not read"
    ]
    assert value.manager == "rpm"
    assert value.installed("openssh-server") is None


def test_sqlite_changes_left_in_the_wal_are_named(rpmdb: tuple[dict[str, bytes], str]) -> None:
    spec: dict[str, Item] = {**rpmdb[0], "var/lib/rpm/rpmdb.sqlite-wal": File(b"\x37" * 4120)}
    value, notes = packages(spec)
    assert value.databases[0].problem == (
        "4120 bytes of changes in /var/lib/rpm/rpmdb.sqlite-wal are not read"
    )
    assert value.installed("openssh-server") is True
    assert value.installed("kernel") is None
    assert notes[0].startswith("warning packages.unread")


def test_distroless_status_d_entries() -> None:
    value, notes = packages(
        {
            "var/lib/dpkg/status.d/base-files": "Package: base-files\nVersion: 12.4\n",
            "var/lib/dpkg/status.d/base-files.md5sums": "0123  etc/debian_version\n",
            "var/lib/dpkg/status.d/tzdata": "Package: tzdata\nVersion: 2024a-0\n",
        }
    )
    assert notes == []
    assert sorted(value.packages) == ["base-files", "tzdata"]
    assert len(value.databases) == 2


def test_no_database_guesses_the_manager_from_os_release() -> None:
    value, notes = packages({"etc/os-release": 'ID=alpine\nVERSION_ID="3.20.0"\n'})
    assert notes == []
    assert (value.manager, value.manager_source) == (
        "apk",
        "os-release ID 'alpine' (no package database found)",
    )
    assert value.installed("musl") is None
