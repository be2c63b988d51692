"""The package-database analyzer: parses dpkg, rpm and apk databases as they stream past.

Each database file (see :mod:`analyzer.packages.formats`) is kept only until its end, then
parsed; ``records["packagedb"]`` holds the small :class:`~analyzer.packages.model.PackageDb`
(names, versions, architectures and the programs each package ships), never the file. A file
over its limit, or in a format that is recognised but not parsed, gives a record whose
``problem`` says so.
"""

from __future__ import annotations

from analyzer.packages.formats import UNREAD, format_of, limit, parse, unread
from analyzer.packages.model import PACKAGE_DB, PackageDb
from analyzer.stream.entry import ReadAt
from analyzer.stream.sink import Buffered, Ready, Sink


class PackageDbAnalyzer:
    """Per-file analyzer producing ``records["packagedb"]``."""

    name = PACKAGE_DB.name

    def wants(self, path: str, size: int) -> bool:
        """Package database paths only."""
        del size
        return format_of(path) is not None

    def open(self, path: str, size: int, head: bytes, read_at: ReadAt | None = None) -> Sink | None:
        """Buffer the database (or record why it is not read)."""
        del read_at
        fmt = format_of(path)
        if fmt is None:
            return None
        if fmt in UNREAD:
            return Ready(unread(fmt))
        if size > limit(fmt):
            problem = f"{size} bytes is over the {limit(fmt)}-byte limit; not read"
            return Ready(PackageDb(fmt, (), problem))
        return Buffered(head, lambda data: parse(fmt, path, data))
