"""The rpm database: header blobs in ``rpmdb.sqlite``'s ``Packages`` table or Berkeley DB.

The file's bytes are opened as an in-memory database (``sqlite3`` ``deserialize``, nothing
written anywhere); a database in WAL mode is marked as a rollback-journal one in that copy,
since an in-memory database cannot use a WAL. Only ``SELECT blob FROM Packages`` is run, with
a step limit so that a crafted file cannot make the query run for long. A header that does not
parse is counted and named, never guessed.
"""

from __future__ import annotations

import sqlite3

from analyzer.packages.bdb import BdbError, values
from analyzer.packages.model import DbFormat, Package, PackageDb
from analyzer.packages.rpmheader import HeaderError, package

SQLITE_MAGIC = b"SQLite format 3\0"
#: Header bytes 18 and 19: file format write and read versions (2 = WAL, 1 = legacy).
FORMAT_VERSIONS = slice(18, 20)
#: rpm's Berkeley DB record 0 is a 4-byte counter, not a header.
MIN_HEADER = 8
#: SQLite virtual-machine steps allowed per progress-handler call, and calls allowed.
STEPS = 10_000
MAX_CALLS = 100_000


def parse_sqlite(data: bytes) -> PackageDb:
    """Every installed package in the ``Packages`` table of ``data``."""
    if not data.startswith(SQLITE_MAGIC):
        return PackageDb(DbFormat.RPM_SQLITE, (), "not an SQLite database")
    image = bytearray(data)
    if image[FORMAT_VERSIONS] == b"\x02\x02":
        image[FORMAT_VERSIONS] = b"\x01\x01"
    calls = [0]

    def progress() -> int:
        calls[0] += 1
        return 1 if calls[0] > MAX_CALLS else 0

    connection = sqlite3.connect(":memory:")
    try:
        connection.deserialize(bytes(image))
        connection.set_progress_handler(progress, STEPS)
        rows = connection.execute("SELECT hnum, blob FROM Packages ORDER BY hnum").fetchall()
    except sqlite3.Error as exc:
        return PackageDb(DbFormat.RPM_SQLITE, (), f"cannot read the Packages table: {exc}")
    finally:
        connection.close()
    return _headers(DbFormat.RPM_SQLITE, rows)


def parse_bdb(data: bytes) -> PackageDb:
    """Every installed package in a Berkeley DB ``Packages`` file."""
    try:
        blobs = [blob for blob in values(data) if len(blob) >= MIN_HEADER]
    except BdbError as exc:
        return PackageDb(DbFormat.RPM_BDB, (), str(exc))
    return _headers(DbFormat.RPM_BDB, list(enumerate(blobs, 1)))


def _headers(fmt: DbFormat, rows: list[tuple[int, object]]) -> PackageDb:
    """The packages of numbered header blobs; unreadable ones counted and named."""
    found: list[Package] = []
    bad: list[str] = []
    for number, blob in rows:
        if not isinstance(blob, bytes):
            bad.append(f"header {number}: not a blob")
            continue
        try:
            found.append(package(blob))
        except HeaderError as exc:
            bad.append(f"header {number}: {exc}")
    if bad:
        shown = "; ".join(bad[:3]) + (f" (and {len(bad) - 3} more)" if len(bad) > 3 else "")
        return PackageDb(fmt, tuple(found), f"{len(bad)} unreadable: {shown}")
    return PackageDb(fmt, tuple(found))
