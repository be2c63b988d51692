"""The ``packages`` fact's value: every database found, and the packages they list together."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from analyzer.model import Location
from analyzer.packages.model import DbFormat, Manager, Package


@dataclass(frozen=True, slots=True)
class Database:
    """One database file of the image: where, which format, how many packages, what failed."""

    location: Location
    format: DbFormat
    count: int
    problem: str = ""

    def describe(self) -> str:
        """``/var/lib/dpkg/status (dpkg, 94 packages)`` or the problem."""
        if self.problem:
            return f"{self.location.describe()} ({self.format.value}): {self.problem}"
        noun = "package" if self.count == 1 else "packages"
        return f"{self.location.describe()} ({self.format.value}, {self.count} {noun})"


@dataclass(frozen=True, slots=True)
class InstalledPackages:
    """What the image's package databases say is installed.

    ``manager`` is the one of the first database found, or what os-release suggests when
    there is none (``manager_source`` says which). ``_where`` names the database that lists
    each package (kept out of reports: one location per package is bulk). When a database was
    found but not (wholly) read, a package missing from ``packages`` may still be installed
    (:meth:`installed` is then ``None``).
    """

    manager: Manager | None
    manager_source: str
    databases: tuple[Database, ...]
    packages: Mapping[str, Package] = field(default_factory=dict)
    _where: Mapping[str, Location] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        """True when every database found was read without a problem."""
        return bool(self.databases) and not any(d.problem for d in self.databases)

    def installed(self, name: str) -> bool | None:
        """True when ``name`` is listed; False when the databases were read and it is not."""
        if name in self.packages:
            return True
        return False if self.complete else None

    def owner(self, path: str) -> Package | None:
        """The package whose file list names ``path`` (only programs are listed)."""
        for package in self.packages.values():
            if package.programs and path in package.programs:
                return package
        return None

    def describe_databases(self) -> str:
        """Every database found, for evidence."""
        return "; ".join(d.describe() for d in self.databases) or "no package database"

    def location(self, name: str) -> Location | None:
        """The database that lists ``name``."""
        return self._where.get(name)
