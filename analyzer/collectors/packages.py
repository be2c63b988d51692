"""The ``packages`` fact: installed packages from the image's dpkg, rpm and apk databases.

The databases were parsed during the pass (:mod:`analyzer.analyzers.packagedb`); this
collector finds them in the tree (links followed, each real file once), merges what they list
and, for dpkg, adds the programs each package ships from ``/var/lib/dpkg/info/*.list``. A
database that is present but could not be read (an ndb rpm database, a file
over its limit, a corrupt one, an sqlite database with changes still in its ``-wal`` file) is
named in the fact and in a warning, and makes "not installed" unknown. Without any database
nothing is known to be installed or not, and the package manager is what os-release's
``ID``/``ID_LIKE`` suggests.
"""

from __future__ import annotations

import dataclasses

from analyzer.collectors.base import CollectContext
from analyzer.facts import OS, PACKAGES
from analyzer.model import Fact, FactId, Facts, FactStore, Level, Location, Notification
from analyzer.packages.formats import DATABASES, DPKG_INFO, DPKG_STATUS_D
from analyzer.packages.installed import Database, InstalledPackages
from analyzer.packages.model import (
    MANAGERS,
    PACKAGE_DB,
    DbFormat,
    Manager,
    Package,
    PackageDb,
)
from analyzer.stream.capture import CapturePattern
from analyzer.vfs.tree import ResolveError, Tree

#: os-release ``ID``/``ID_LIKE`` words -> the package manager of that family.
FAMILIES = {
    "debian": Manager.DPKG, "ubuntu": Manager.DPKG, "alpine": Manager.APK,
    "fedora": Manager.RPM, "rhel": Manager.RPM, "centos": Manager.RPM, "suse": Manager.RPM,
    "opensuse": Manager.RPM, "amzn": Manager.RPM, "mariner": Manager.RPM,
    "azurelinux": Manager.RPM,
}  # fmt: skip


def _database(tree: Tree, path: str, fmt: DbFormat) -> tuple[Database, PackageDb] | None:
    try:
        node = tree.stat(path)
    except ResolveError:
        return None
    if not node.is_file:
        return None
    record = node.records.get(PACKAGE_DB)
    if record is None:
        record = PackageDb(fmt, (), "content not read during the pass")
    problem = record.problem or _wal_problem(tree, path, fmt)
    database = Database(tree.location(path), fmt, len(record.packages), problem)
    return database, record


def _wal_problem(tree: Tree, path: str, fmt: DbFormat) -> str:
    """A non-empty ``-wal`` file holds committed changes the database file lacks."""
    if fmt is not DbFormat.RPM_SQLITE:
        return ""
    try:
        size = tree.stat(path + "-wal").size
    except ResolveError:
        return ""
    return f"{size} bytes of changes in {path}-wal are not read" if size else ""


def _found(tree: Tree) -> list[tuple[Database, PackageDb]]:
    candidates = [*DATABASES]
    candidates += [(p, DbFormat.DPKG_DISTROLESS) for p in tree.glob(DPKG_STATUS_D + "*")]
    seen: set[str] = set()
    found = []
    for path, fmt in candidates:
        if fmt is DbFormat.DPKG_DISTROLESS and path.endswith(".md5sums"):
            continue
        read = _database(tree, path, fmt)
        if read is not None and read[0].location.path not in seen:
            seen.add(read[0].location.path)
            found.append(read)
    return found


def _dpkg_programs(tree: Tree) -> dict[str, tuple[str, ...]]:
    programs: dict[str, tuple[str, ...]] = {}
    for path in tree.glob(DPKG_INFO + "*.list"):
        try:
            record = tree.stat(path).records.get(PACKAGE_DB)
        except ResolveError:
            continue
        if record is not None and record.packages:
            listed = record.packages[0]
            programs[listed.name] = (*programs.get(listed.name, ()), *(listed.programs or ()))
    return programs


def _guess_manager(facts: Facts) -> tuple[Manager | None, str]:
    identity = facts.value(OS)
    words: list[str] = []
    if identity is not None:
        fields = identity.fields
        words = [fields.get("ID", ""), *fields.get("ID_LIKE", "").split()]
    for word in words:
        if word in FAMILIES:
            return FAMILIES[word], f"os-release ID {word!r} (no package database found)"
    return None, "no package database found"


class PackagesCollector:
    """Produces the ``packages`` fact (always present; without a database it lists none)."""

    name = "packages"
    provides: tuple[FactId, ...] = (PACKAGES,)
    requires: tuple[FactId, ...] = (OS,)
    capture: tuple[CapturePattern, ...] = ()

    def collect(self, ctx: CollectContext, facts: Facts, notes: list[Notification]) -> FactStore:
        """Merge every database found; name each one that could not be read."""
        tree = ctx.tree
        found = _found(tree)
        if not found:
            manager, source = _guess_manager(facts)
            return FactStore.one(PACKAGES, Fact.present(InstalledPackages(manager, source, ())))
        lists = _dpkg_programs(tree)
        packages: dict[str, Package] = {}
        where: dict[str, Location] = {}
        for database, record in found:
            if database.problem:
                message = f"package database not read: {database.describe()}"
                notes.append(
                    Notification(Level.WARNING, "packages.unread", message, database.location)
                )
            for listed in record.packages:
                package = listed
                if listed.programs is None and listed.name in lists:
                    package = dataclasses.replace(listed, programs=lists[listed.name])
                packages.setdefault(package.name, package)
                where.setdefault(package.name, database.location)
        first = found[0][0]
        value = InstalledPackages(
            MANAGERS[first.format],
            f"{first.format.value} database {first.location.path}",
            tuple(database for database, _ in found),
            packages,
            where,
        )
        return FactStore.one(PACKAGES, Fact.present(value, first.location))
