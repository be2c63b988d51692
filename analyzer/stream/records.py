"""What per-file analyzers keep on a tree node, read back through typed keys.

An analyzer's sink returns one record per file; the pass keeps it under the analyzer's name
(:meth:`Records.keep`). A reader asks with a :class:`RecordKey` that names the analyzer and
the record type it expects, and gets that record or ``None``: ``records.get(ELF)`` is an
``ElfRecord | None``, checked at run time and by mypy, never an untyped value to guess at.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RecordKey(Generic[T]):
    """The record analyzer ``name`` keeps, when it is a ``kind``."""

    name: str
    kind: type[T]


class Records:
    """The records of one file (hard links share them), by analyzer name."""

    __slots__ = ("_by_name",)

    def __init__(self) -> None:
        self._by_name: dict[str, object] = {}

    def get(self, key: RecordKey[T]) -> T | None:
        """The record ``key`` names, or ``None`` when the analyzer kept none of that type."""
        value = self._by_name.get(key.name)
        return value if isinstance(value, key.kind) else None

    def keep(self, name: str, record: object) -> None:
        """Store analyzer ``name``'s record (only while the tree is being built)."""
        self._by_name[name] = record

    def names(self) -> tuple[str, ...]:
        """Names of the analyzers that kept a record."""
        return tuple(self._by_name)

    def values(self) -> tuple[object, ...]:
        """The records, in the order they were kept (what a memory meter counts)."""
        return tuple(self._by_name.values())

    def __len__(self) -> int:
        return len(self._by_name)


#: The records of every node no analyzer kept anything for (shared, never written).
NO_RECORDS = Records()
#: A captured text file's bytes (see :mod:`analyzer.analyzers.text`).
TEXT: RecordKey[bytes] = RecordKey("text", bytes)
