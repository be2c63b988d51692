"""What the records analyzers keep on nodes cost in memory, so the tree budget can count them.

An ELF record, a captured text, a kernel image's facts: each stays on its node until the
analysis ends, so they are part of the tree's memory as much as the nodes are.
:class:`RecordMeter` adds up what each new record costs (``sys.getsizeof`` of the record and
of everything it holds: tuples, strings, bytes, nested records), counting a string shared by
many records once: analyzers intern the names they keep (library names, fortified function
names), so what a thousand ELF files linking ``libc.so.6`` share costs one string.
"""

from __future__ import annotations

import dataclasses
import enum
import sys
from collections.abc import Mapping

#: A string counted once also costs its slot in the meter's set of seen strings.
_SEEN_SLOT = 16
#: Deepest nesting measured (records are shallow; anything deeper is counted flat).
_MAX_DEPTH = 8


class RecordMeter:
    """Adds up the memory of the records kept on nodes (see the module docstring)."""

    def __init__(self) -> None:
        self.total = 0
        self._strings: set[str] = set()

    def add(self, value: object) -> int:
        """Count ``value`` (a record, or a node's mapping of records); return its cost."""
        cost = self._size(value, 0)
        self.total += cost
        return cost

    def _size(self, value: object, depth: int) -> int:
        if value is None or isinstance(value, bool | enum.Enum):
            return 0
        if isinstance(value, str):
            if value in self._strings:
                return 0
            self._strings.add(value)
            return sys.getsizeof(value) + _SEEN_SLOT
        size = sys.getsizeof(value)
        if isinstance(value, bytes | bytearray | int | float) or depth >= _MAX_DEPTH:
            return size
        if isinstance(value, tuple | list | set | frozenset):
            return size + sum(self._size(item, depth + 1) for item in value)
        if isinstance(value, Mapping):
            return size + sum(
                self._size(key, depth + 1) + self._size(item, depth + 1)
                for key, item in value.items()
            )
        if dataclasses.is_dataclass(value):
            fields = dataclasses.fields(value)
            return size + sum(self._size(getattr(value, f.name), depth + 1) for f in fields)
        attributes = getattr(value, "__dict__", None)
        if isinstance(attributes, dict):
            return size + self._size(attributes, depth + 1)
        return size
