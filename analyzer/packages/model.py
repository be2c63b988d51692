"""What a package database says: installed packages, each with the programs it ships."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from analyzer.stream.records import RecordKey

#: Directories whose files a package record keeps (programs a search of ``PATH`` can find).
PROGRAM_DIRS = ("/bin/", "/sbin/", "/usr/bin/", "/usr/sbin/", "/usr/local/bin/", "/usr/local/sbin/")


class DbFormat(enum.StrEnum):
    """The database formats known by path; the ``*_unread`` ones are named but not parsed."""

    DPKG = "dpkg"
    DPKG_DISTROLESS = "dpkg status.d"
    DPKG_FILES = "dpkg file list"
    RPM_SQLITE = "rpm sqlite"
    RPM_NDB = "rpm ndb"
    RPM_BDB = "rpm bdb"
    APK = "apk"


class Manager(enum.StrEnum):
    """A package manager."""

    DPKG = "dpkg"
    RPM = "rpm"
    APK = "apk"


#: The package manager each format belongs to.
MANAGERS = {
    DbFormat.DPKG: Manager.DPKG,
    DbFormat.DPKG_DISTROLESS: Manager.DPKG,
    DbFormat.DPKG_FILES: Manager.DPKG,
    DbFormat.RPM_SQLITE: Manager.RPM,
    DbFormat.RPM_NDB: Manager.RPM,
    DbFormat.RPM_BDB: Manager.RPM,
    DbFormat.APK: Manager.APK,
}


@dataclass(frozen=True, slots=True)
class Package:
    """One installed package: name, full version (``epoch:version-release`` for rpm), arch.

    ``programs`` lists the files the package ships in :data:`PROGRAM_DIRS` (``None`` when the
    database gives no file list).
    """

    name: str
    version: str
    arch: str = ""
    programs: tuple[str, ...] | None = None

    def describe(self) -> str:
        """``openssh-server 1:9.2p1-2 (amd64)``."""
        arch = f" ({self.arch})" if self.arch else ""
        return f"{self.name} {self.version}{arch}"


@dataclass(frozen=True, slots=True)
class PackageDb:
    """One database file read (``packages``), or why it could not be (``problem``)."""

    format: DbFormat
    packages: tuple[Package, ...] = ()
    problem: str = ""

    @property
    def readable(self) -> bool:
        """True when the database was parsed."""
        return not self.problem


def programs(paths: list[str]) -> tuple[str, ...]:
    """The paths of ``paths`` in :data:`PROGRAM_DIRS` (direct children only), sorted, once."""
    keep = {
        p
        for p in paths
        if p.startswith(PROGRAM_DIRS) and "/" not in p[p.index("bin/") + len("bin/") :]
    }
    return tuple(sorted(keep))


#: The package-database analyzer's record of a database file.
PACKAGE_DB: RecordKey[PackageDb] = RecordKey("packagedb", PackageDb)
