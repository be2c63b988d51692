"""The per-file analyzer protocol.

During the single pass over a source, every regular file is offered to every analyzer with its
in-image path and size (:meth:`FileAnalyzer.wants`); an interested analyzer then gets the
file's head (:meth:`FileAnalyzer.open`) and, when it returns a :class:`Sink`, the following
blocks in order; what :meth:`Sink.close` returns is stored in ``node.records[analyzer.name]``.
An analyzer keeps only what it needs and must bound its own memory.

The pass reads no more of a file than its sinks need: after ``open`` and after every block it
asks each sink whether it is :attr:`~Sink.complete`, and once all are, it stops pulling
blocks (closing the source's stream, so disk and directory readers stop reading and archive
readers skip the rest) and closes the sinks.

The head is the first block of a streamed archive member. Sources that can seek (directories,
disk file systems) pass ``read_at`` as well, and the head is then only the first
:data:`HEAD_BYTES` bytes (the whole file when smaller): enough for a magic check. An analyzer
given ``read_at`` may read exactly the ranges it needs and return a sink that is already
complete; the blocks it is fed otherwise follow the head whatever its length.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from analyzer.stream.entry import ReadAt

#: Bytes of head given to analyzers when the source can read at any offset.
HEAD_BYTES = 64


class Sink(Protocol):
    """Receives the rest of one file's bytes."""

    @property
    def complete(self) -> bool:
        """True once the sink needs no more bytes: the pass then stops feeding it."""

    def feed(self, block: bytes) -> None:
        """Take the next block (the head was given to ``open``)."""

    def close(self) -> object:
        """End of the file, or of what the sink needed: return the record (``None``: nothing)."""


class FileAnalyzer(Protocol):
    """Decides, per file, whether to look at its bytes."""

    @property
    def name(self) -> str:
        """Key of this analyzer's records on a node."""

    def wants(self, path: str, size: int) -> bool:
        """Cheap test before any byte is read; ``False`` means ``open`` is not called."""

    def open(self, path: str, size: int, head: bytes, read_at: ReadAt | None = None) -> Sink | None:
        """Start on a file given its head (and ``read_at`` when seekable); ``None`` skips it."""


class Ready:
    """A sink that needs no byte: its record is known from the path and size alone."""

    complete = True

    def __init__(self, record: object) -> None:
        self._record = record

    def feed(self, block: bytes) -> None:
        """Ignored: the record is already known."""
        del block

    def close(self) -> object:
        """The record given at creation."""
        return self._record


class Buffered:
    """A sink that keeps the whole file, then makes the record of its bytes with ``make``.

    The analyzer that returns it bounds the file's size before (a larger file gets a
    :class:`Ready` record saying so).
    """

    complete = False

    def __init__(self, head: bytes, make: Callable[[bytes], object]) -> None:
        self._blocks = [head]
        self._make = make

    def feed(self, block: bytes) -> None:
        """Keep the block."""
        self._blocks.append(block)

    def close(self) -> object:
        """The record made of the file's bytes (which the sink then lets go)."""
        data = b"".join(self._blocks)
        self._blocks = []
        return self._make(data)
