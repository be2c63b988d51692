"""The per-file analyzer protocol.

During the single pass over a source, every regular file is offered to every analyzer with its
in-image path, its size and its first block. An analyzer that wants the file returns a
:class:`Sink`; the pass then feeds it the remaining blocks in order and stores what
:meth:`Sink.close` returns in ``node.records[analyzer.name]``. An analyzer keeps only what it
needs and must bound its own memory.
"""

from __future__ import annotations

from typing import Protocol


class Sink(Protocol):
    """Receives the rest of one file's bytes."""

    def feed(self, block: bytes) -> None:
        """Take the next block (the first block was given to ``open``)."""

    def close(self) -> object:
        """End of file: return the record to keep (``None`` keeps nothing)."""


class FileAnalyzer(Protocol):
    """Decides, per file, whether to look at its bytes."""

    @property
    def name(self) -> str:
        """Key of this analyzer's records on a node."""

    def wants(self, path: str, size: int) -> bool:
        """Cheap test before any byte is read; ``False`` means ``open`` is not called."""

    def open(self, path: str, size: int, head: bytes) -> Sink | None:
        """Start on a file given its first block; ``None`` skips it."""
