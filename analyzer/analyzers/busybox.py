r"""The busybox analyzer: which applets a busybox binary was built with.

busybox keeps its applet names in one array, ``applet_names``: the names sorted by byte value,
each ending in a NUL, the array ending in an empty name (two NULs in a row). Every build with
the ``test`` applet starts it with ``[`` and ``[[``, so the table is found by the bytes
``[\0[[\0`` as the file streams past; it is then read up to its end, at most
:data:`MAX_TABLE_BYTES`. A table that is missing, unterminated or not sorted gives a record
with a ``problem`` and no applets: the applets of that binary are unknown, never assumed.
"""

from __future__ import annotations

import itertools
import re

from analyzer.stream.busybox import BUSYBOX, NOT_FOUND, BusyboxApplets
from analyzer.stream.entry import ReadAt
from analyzer.stream.paths import basename
from analyzer.stream.sink import Sink

#: The start of ``applet_names`` in builds that have ``[`` and ``[[`` (the ``test`` applet).
ANCHOR = b"[\0[[\0"
#: Largest applet table read (a build with every applet has about 400 names, 3 KiB).
MAX_TABLE_BYTES = 64 * 1024
#: What an applet name may contain.
_NAME = re.compile(rb"[\[\w.+-]+\Z")


def parse_table(table: bytes) -> BusyboxApplets:
    """The applets of a table that starts at :data:`ANCHOR` (two NULs end it)."""
    end = table.find(b"\0\0")
    if end < 0:
        return BusyboxApplets(problem=f"applet table has no end within {MAX_TABLE_BYTES} bytes")
    names = table[:end].split(b"\0")
    if any(not _NAME.match(name) for name in names):
        return BusyboxApplets(problem="applet table holds a name that is not an applet name")
    if any(a >= b for a, b in itertools.pairwise(names)):
        return BusyboxApplets(problem="applet table is not sorted")
    return BusyboxApplets(frozenset(name.decode() for name in names))


def applets_in(data: bytes) -> BusyboxApplets:
    """The applet table of a whole busybox binary."""
    start = data.find(ANCHOR)
    if start < 0:
        return NOT_FOUND
    return parse_table(data[start : start + MAX_TABLE_BYTES])


class _Scan:
    """Looks for the table in the blocks as they pass; complete once the table is read."""

    def __init__(self, head: bytes) -> None:
        self._tail = b""
        self._table: bytes | None = None
        self.complete = False
        self.feed(head)

    def feed(self, block: bytes) -> None:
        if self._table is None:
            window = self._tail + block
            start = window.find(ANCHOR)
            if start < 0:
                self._tail = window[-(len(ANCHOR) - 1) :]
                return
            self._table = b""
            block = window[start:]
        self._table = (self._table + block)[:MAX_TABLE_BYTES]
        self.complete = b"\0\0" in self._table or len(self._table) >= MAX_TABLE_BYTES

    def close(self) -> object:
        return NOT_FOUND if self._table is None else parse_table(self._table)


class BusyboxAnalyzer:
    """Per-file analyzer producing ``records["busybox"]`` for files named ``busybox*``."""

    name = BUSYBOX.name

    def wants(self, path: str, size: int) -> bool:
        """Files whose name starts with ``busybox``."""
        del size
        return basename(path).startswith("busybox")

    def open(self, path: str, size: int, head: bytes, read_at: ReadAt | None = None) -> Sink | None:
        """Scan the file for its applet table."""
        del path, size, read_at
        return _Scan(head)
