"""The runs of one file, collected from its mapping tree with memory bounded by the file.

A file system maps a file's logical blocks through a tree (ext4 extent tree, XFS bmbt) or
a block map (ext2/3 indirect blocks). A hostile image can shape that tree so that a naive
walk expands it without end: every index entry pointing at the same child (a DAG) makes a
16 MiB image map billions of runs. :class:`RunCollector` makes every walk bounded by the file
instead of by generous caps:

- a tree block visited twice is corruption (:meth:`RunCollector.visit`);
- runs must come in increasing logical order without overlapping, as every valid tree
  yields them (a DAG, or distinct blocks holding the same entries, breaks that at once);
- runs are clipped at the end of the file (``size``), so their number never exceeds the
  file's size in blocks, nor :data:`MAX_RUNS`, which keeps one file's map within the
  memory budget (``docs/safety.md``);
- runs are stored packed (:class:`Runs`, three 64-bit integers each) and merged when
  contiguous.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator

from analyzer.sources.disk.device import check

Run = tuple[int, int, int]

#: Most runs one file may map: 24 bytes each, 48 MiB at most.
MAX_RUNS = 2 << 20
#: Most tree blocks one file's map may use.
MAX_NODES = 1 << 16


class Runs:
    """Packed ``(logical, physical, length)`` byte runs, sorted by ``logical``.

    ``physical`` of ``-1`` is an unwritten run (zeros).
    """

    __slots__ = ("_data",)

    def __init__(self, data: array[int] | None = None) -> None:
        self._data = data if data is not None else array("q")

    def __len__(self) -> int:
        return len(self._data) // 3

    def __iter__(self) -> Iterator[Run]:
        data = self._data
        for at in range(0, len(data), 3):
            yield data[at], data[at + 1], data[at + 2]

    def __repr__(self) -> str:
        return f"Runs({list(self)!r})"


class RunCollector:
    """Collects one file's runs while its tree is walked; see the module docstring.

    ``block`` is the block size in bytes, ``size`` the file size in bytes (runs past it are
    not kept), ``what`` prefixes errors (``"corrupt ext"``).
    """

    def __init__(self, name: str, what: str, block: int, size: int) -> None:
        self._name = name
        self._what = what
        self._block = block
        self._last_block = -(-size // block)
        self._visited: set[int] = set()
        self._end = 0
        self._data: array[int] = array("q")

    def visit(self, block: int) -> None:
        """Record that tree block ``block`` is read; twice in one tree is corruption."""
        check(
            block not in self._visited,
            self._name,
            f"{self._what}: block {block} appears twice in one file's map",
        )
        self._visited.add(block)
        check(len(self._visited) <= MAX_NODES, self._name, f"{self._what}: file map too large")

    def add(self, logical: int, physical: int, length: int) -> None:
        """Add ``length`` blocks at logical block ``logical``, stored at byte ``physical``.

        ``physical`` is ``-1`` for an unwritten run. Runs must come in increasing logical
        order, without overlap.
        """
        check(
            logical >= self._end,
            self._name,
            f"{self._what}: file map out of order or overlapping at block {logical}",
        )
        self._end = logical + length
        length = min(length, self._last_block - logical)
        if length <= 0:
            return
        block, data = self._block, self._data
        start, at, count = logical * block, physical, length * block
        if (
            data
            and at >= 0
            and data[-2] >= 0
            and data[-3] + data[-1] == start
            and data[-2] + data[-1] == at
        ):
            data[-1] += count
            return
        check(len(data) < 3 * MAX_RUNS, self._name, f"{self._what}: more than {MAX_RUNS} runs")
        data.extend((start, at, count))

    def runs(self) -> Runs:
        """The runs collected, packed."""
        return Runs(self._data)
