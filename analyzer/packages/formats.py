"""Where package databases live, and which parser reads each one.

rpm keeps its database in ``/var/lib/rpm`` or, since rpm 4.16 on Fedora and openSUSE,
``/usr/lib/sysimage/rpm`` (``/var/lib/rpm`` then often links there); of its three back-ends
``rpmdb.sqlite`` (Fedora 33+, RHEL 9) and ``Packages`` (Berkeley DB: RHEL 7 and 8, Amazon
Linux 2) are read, ``Packages.db`` (ndb: openSUSE, SLES) is named but not parsed.
"""

from __future__ import annotations

from analyzer.packages.model import DbFormat, Package, PackageDb

RPM_DIRS = ("/var/lib/rpm", "/usr/lib/sysimage/rpm")
DPKG_INFO = "/var/lib/dpkg/info/"
DPKG_STATUS_D = "/var/lib/dpkg/status.d/"

#: Database files by in-image path, in the order they are looked for.
DATABASES: tuple[tuple[str, DbFormat], ...] = (
    ("/var/lib/dpkg/status", DbFormat.DPKG),
    *((f"{d}/rpmdb.sqlite", DbFormat.RPM_SQLITE) for d in RPM_DIRS),
    *((f"{d}/Packages.db", DbFormat.RPM_NDB) for d in RPM_DIRS),
    *((f"{d}/Packages", DbFormat.RPM_BDB) for d in RPM_DIRS),
    ("/lib/apk/db/installed", DbFormat.APK),
    ("/usr/lib/apk/db/installed", DbFormat.APK),
)
_BY_PATH = dict(DATABASES)
#: Formats recognised by path whose content is not parsed.
UNREAD = frozenset({DbFormat.RPM_NDB})
#: Largest database read (a full Fedora workstation's rpmdb.sqlite is under 100 MiB).
MAX_DB_BYTES = 128 << 20
#: Largest ``info/*.list`` read.
MAX_LIST_BYTES = 4 << 20


def format_of(path: str) -> DbFormat | None:
    """The database format stored at ``path`` (``None`` for any other file)."""
    found = _BY_PATH.get(path)
    if found is not None:
        return found
    if path.startswith(DPKG_STATUS_D) and "/" not in path[len(DPKG_STATUS_D) :]:
        return None if path.endswith(".md5sums") else DbFormat.DPKG_DISTROLESS
    if path.startswith(DPKG_INFO) and path.endswith(".list") and path.count("/") == 5:
        return DbFormat.DPKG_FILES
    return None


def limit(fmt: DbFormat) -> int:
    """The most bytes read of a database of format ``fmt``."""
    return MAX_LIST_BYTES if fmt is DbFormat.DPKG_FILES else MAX_DB_BYTES


def parse(fmt: DbFormat, path: str, data: bytes) -> PackageDb:
    """Read one database file; an unread format gives a record that says so.

    Each format's parser is imported when a database of that format is found.
    """
    if fmt is DbFormat.DPKG or fmt is DbFormat.DPKG_DISTROLESS:
        from analyzer.packages.dpkg import parse_status

        return parse_status(data, fmt)
    if fmt is DbFormat.DPKG_FILES:
        from analyzer.packages.dpkg import list_package, parse_list

        return PackageDb(fmt, (Package(list_package(path), "", "", parse_list(data)),))
    if fmt is DbFormat.RPM_SQLITE or fmt is DbFormat.RPM_BDB:
        from analyzer.packages.rpmdb import parse_bdb, parse_sqlite

        return parse_sqlite(data) if fmt is DbFormat.RPM_SQLITE else parse_bdb(data)
    if fmt is DbFormat.APK:
        from analyzer.packages.apk import parse_installed

        return parse_installed(data)
    return unread(fmt)


def unread(fmt: DbFormat) -> PackageDb:
    """The record of a database this reader does not parse."""
    return PackageDb(fmt, (), f"the {fmt.value} database format is not read")
