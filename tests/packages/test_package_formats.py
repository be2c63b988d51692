"""dpkg, rpm (sqlite) and apk databases parsed as the tools themselves list them."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from pkgbuild import listed, rpm_bdb

from analyzer.packages.apk import parse_installed
from analyzer.packages.dpkg import parse_status
from analyzer.packages.formats import format_of
from analyzer.packages.model import DbFormat
from analyzer.packages.rpmdb import parse_bdb, parse_sqlite


def test_rpm_sqlite_database_lists_what_rpm_lists(rpmdb: tuple[dict[str, bytes], str]) -> None:
    files, listing = rpmdb
    db = parse_sqlite(files["var/lib/rpm/rpmdb.sqlite"])
    assert db.problem == ""
    assert {(p.name, p.version) for p in db.packages} == listed(listing)
    by_name = {p.name: p for p in db.packages}
    assert by_name["util-linux"].version == "2:2.40-1.fc40"
    assert by_name["util-linux"].arch == "noarch"
    assert by_name["util-linux"].programs == ("/usr/bin/mount", "/usr/bin/umount")
    assert by_name["openssh-server"].programs == ("/usr/sbin/sshd",)


def test_rpm_header_out_of_bounds_is_named_not_guessed(
    rpmdb: tuple[dict[str, bytes], str], tmp_path: Path
) -> None:
    copy = tmp_path / "rpmdb.sqlite"
    copy.write_bytes(rpmdb[0]["var/lib/rpm/rpmdb.sqlite"])
    with sqlite3.connect(copy) as connection:
        # keep il and dl, cut the data: every offset now points past the blob's end
        connection.execute("UPDATE Packages SET blob = substr(blob, 1, 200) WHERE hnum = 1")
    connection.close()
    db = parse_sqlite(copy.read_bytes())
    assert len(db.packages) == 1
    assert db.problem.startswith("1 unreadable: header 1: header of ")
    assert "in a blob of 200" in db.problem


@pytest.mark.parametrize("page_size", [512, 4096, 65536])
def test_rpm_berkeley_db_lists_what_rpm_lists(
    rpmdb: tuple[dict[str, bytes], str], tmp_path: Path, page_size: int
) -> None:
    """512-byte pages put each header in an overflow chain, 64 KiB pages keep it on the page."""
    files, listing = rpmdb
    data = rpm_bdb(tmp_path, files["var/lib/rpm/rpmdb.sqlite"], page_size)
    db = parse_bdb(data)
    assert db.problem == ""
    assert {(p.name, p.version) for p in db.packages} == listed(listing)
    assert {p.name: p.programs for p in db.packages}["openssh-server"] == ("/usr/sbin/sshd",)


def test_berkeley_db_out_of_range_is_a_problem(
    rpmdb: tuple[dict[str, bytes], str], tmp_path: Path
) -> None:
    data = rpm_bdb(tmp_path, rpmdb[0]["var/lib/rpm/rpmdb.sqlite"], 512)
    pages = len(data) // 512
    assert (
        parse_bdb(data[:-100]).problem
        == f"page size 512 does not fit a file of {len(data) - 100} bytes"
    )
    assert parse_bdb(bytes(4096)).problem == "not a Berkeley DB hash database"
    overflow = next(n for n in range(pages) if data[n * 512 + 25] == 7)  # P_OVERFLOW
    cut = bytearray(data)
    cut[overflow * 512 + 16 : overflow * 512 + 20] = (99).to_bytes(4, "little")  # next page
    assert parse_bdb(bytes(cut)).problem == f"overflow chain reaches page 99 of {pages}"


def test_not_an_sqlite_file_is_a_problem() -> None:
    db = parse_sqlite(b"\x00" * 4096)
    assert (db.packages, db.problem) == ((), "not an SQLite database")


def test_dpkg_status_lists_what_dpkg_query_lists(dpkgdb: tuple[dict[str, bytes], str]) -> None:
    files, listing = dpkgdb
    db = parse_status(files["var/lib/dpkg/status"])
    assert {(p.name, p.version) for p in db.packages} == listed(listing)
    assert {p.arch for p in db.packages} == {"all"}


def test_dpkg_status_counts_only_installed_packages() -> None:
    status = (
        b"Package: gone\nStatus: deinstall ok config-files\nVersion: 1\n\n"
        b"Package: half\nStatus: install reinstreq half-installed\nVersion: 2\n\n"
        b"Package: vim\nStatus: install ok installed\nVersion: 2:9.0-1\n"
        b"Description: editor\n long text\n .\n more\n"
    )
    db = parse_status(status)
    assert [(p.name, p.version) for p in db.packages] == [("vim", "2:9.0-1")]


def test_distroless_status_d_file_needs_no_status_field() -> None:
    entry = b"Package: base-files\nVersion: 12.4+deb12u5\nArchitecture: amd64\n"
    db = parse_status(entry, DbFormat.DPKG_DISTROLESS)
    assert [p.describe() for p in db.packages] == ["base-files 12.4+deb12u5 (amd64)"]
    assert format_of("/var/lib/dpkg/status.d/base-files") is DbFormat.DPKG_DISTROLESS
    assert format_of("/var/lib/dpkg/status.d/base-files.md5sums") is None


def test_text_without_a_package_stanza_is_a_problem() -> None:
    assert parse_status(b"hello\nworld\n").problem == "no stanza with a Package field"


APK = b"""C:Q1abc=
P:busybox
V:1.36.1-r29
A:x86_64
F:bin
R:busybox
F:etc
R:securetty

C:Q1def=
P:openssh-server
V:9.7_p1-r4
A:x86_64
F:usr/sbin
R:sshd
"""


def test_apk_installed_names_versions_and_programs() -> None:
    db = parse_installed(APK)
    assert [(p.name, p.version, p.arch, p.programs) for p in db.packages] == [
        ("busybox", "1.36.1-r29", "x86_64", ("/bin/busybox",)),
        ("openssh-server", "9.7_p1-r4", "x86_64", ("/usr/sbin/sshd",)),
    ]


def test_apk_garbage_is_a_problem() -> None:
    assert parse_installed(b"\x00\x01garbage\n").problem == "no package record (1 malformed lines)"


def test_database_paths() -> None:
    assert format_of("/usr/lib/sysimage/rpm/rpmdb.sqlite") is DbFormat.RPM_SQLITE
    assert format_of("/var/lib/rpm/Packages.db") is DbFormat.RPM_NDB
    assert format_of("/var/lib/rpm/Packages") is DbFormat.RPM_BDB
    assert parse_bdb(b"").problem == "0 bytes: shorter than a metadata page"
    assert format_of("/var/lib/dpkg/info/mount:amd64.list") is DbFormat.DPKG_FILES
    assert format_of("/var/lib/dpkg/info/sub/x.list") is None
    assert format_of("/etc/passwd") is None
