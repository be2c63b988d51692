"""Alpine's ``/lib/apk/db/installed``: one record per package, blank-line separated.

Each line is ``X:value`` with a one-letter key: ``P`` name, ``V`` version, ``A`` arch, ``F`` a
directory (relative to ``/``) and ``R`` a file in the last ``F`` directory.
"""

from __future__ import annotations

from analyzer.packages.model import DbFormat, Package, PackageDb, programs


def _package(record: dict[str, str], files: list[str]) -> Package | None:
    name = record.get("P")
    if not name:
        return None
    return Package(name, record.get("V", ""), record.get("A", ""), programs(files))


def parse_installed(data: bytes) -> PackageDb:
    """Every package of the database, with the programs it lists."""
    found: list[Package] = []
    record: dict[str, str] = {}
    files: list[str] = []
    directory = ""
    malformed = 0
    for line in [*data.decode("utf-8", "replace").splitlines(), ""]:
        if not line.strip():
            package = _package(record, files)
            if package is not None:
                found.append(package)
            record, files, directory = {}, [], ""
            continue
        if len(line) < 2 or line[1] != ":":
            malformed += 1
            continue
        key, value = line[0], line[2:]
        if key == "F":
            directory = value.strip("/")
        elif key == "R":
            files.append(f"/{directory}/{value}" if directory else f"/{value}")
        elif key not in record:
            record[key] = value
    if not found and malformed:
        return PackageDb(DbFormat.APK, (), f"no package record ({malformed} malformed lines)")
    return PackageDb(DbFormat.APK, tuple(found))
