"""The record the busybox analyzer leaves on a busybox binary: the applets it lists."""

from __future__ import annotations

from dataclasses import dataclass

from analyzer.stream.records import RecordKey


@dataclass(frozen=True, slots=True)
class BusyboxApplets:
    """The applets a busybox binary lists (``applets`` is empty with a ``problem``)."""

    applets: frozenset[str] = frozenset()
    problem: str = ""

    def lists(self, name: str) -> bool | None:
        """True or False when the table was read, ``None`` when it was not."""
        return None if self.problem else name in self.applets


NOT_FOUND = BusyboxApplets(problem="no applet table ('[', '[[', ...) found in the binary")


#: The busybox analyzer's record of a binary.
BUSYBOX: RecordKey[BusyboxApplets] = RecordKey("busybox", BusyboxApplets)
