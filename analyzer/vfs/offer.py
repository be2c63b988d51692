"""Offering one regular file to the per-file analyzers, reading only as far as they need.

The protocol is in :mod:`analyzer.stream.sink`. A file of a seekable source starts from a
:data:`~analyzer.stream.sink.HEAD_BYTES` head plus ``read_at``, a streamed one from its
first block. Blocks are pulled only while some sink is not complete, and the stream is closed
as soon as none needs more. An analyzer that crashes becomes an ``analyzer.failed``
notification and the others go on; source errors and ``MemoryError`` propagate.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from functools import partial
from typing import TypeGuard, TypeVar

from analyzer.errors import SourceError
from analyzer.model import Level
from analyzer.stream.entry import Blocks, RandomAccess
from analyzer.stream.sink import HEAD_BYTES, FileAnalyzer, Sink
from analyzer.vfs.node import Node

T = TypeVar("T")

#: Records a notification as ``note(level, code, message, path)`` (``PassReport.note``).
Note = Callable[[Level, str, str, str | None], None]


def offer(
    path: str, node: Node, blocks: Blocks, analyzers: Sequence[FileAnalyzer], note: Note
) -> None:
    """Offer the file to ``analyzers`` and keep their records in ``node.records``."""
    read_at = blocks.read_at if _seekable(blocks) else None
    stream: Iterator[bytes] | None = None
    if read_at is not None:
        head = read_at(0, min(node.size, HEAD_BYTES))
    else:
        stream = blocks()
        head = next(stream, b"")
    sinks: list[tuple[str, Sink]] = []
    for analyzer in analyzers:
        opened = partial(analyzer.open, path, node.size, head, read_at)
        sink = _guard(analyzer.name, path, opened, note)
        if sink is not None:
            sinks.append((analyzer.name, sink))
    try:
        pending = [item for item in sinks if not item[1].complete]
        if pending and stream is None and len(head) < node.size:
            stream = _after(blocks(), len(head))
        while pending and stream is not None:
            block = next(stream, None)
            if block is None:
                break
            for item in pending:
                try:
                    item[1].feed(block)
                except Exception as exc:  # noqa: BLE001 - isolate analyzers
                    _failed(item[0], path, exc, note)
                    sinks.remove(item)
            pending = [item for item in pending if item in sinks and not item[1].complete]
        for name, sink in sinks:
            record = _guard(name, path, sink.close, note)
            if record is not None:
                node.keep(name, record)
    finally:
        close = getattr(stream, "close", None)
        if close is not None:
            close()


def _guard(name: str, path: str, call: Callable[[], T], note: Note) -> T | None:
    """Run an analyzer step; a crash becomes a notification, not a failed scan."""
    try:
        return call()
    except Exception as exc:  # noqa: BLE001 - analyzers are isolated from each other
        _failed(name, path, exc, note)
        return None


def _failed(name: str, path: str, exc: Exception, note: Note) -> None:
    """Report an analyzer's crash; a source error or ``MemoryError`` is re-raised instead."""
    if isinstance(exc, SourceError | MemoryError):
        raise exc
    note(Level.ERROR, "analyzer.failed", f"{name} analyzer failed on {path}: {exc!r}", path)


#: Whether a reader class is :class:`RandomAccess` (a protocol check is slow, classes are few).
_SEEKABLE: dict[type, bool] = {}


def _seekable(blocks: Blocks) -> TypeGuard[RandomAccess]:
    """True when ``blocks`` can also read at any offset."""
    kind = type(blocks)
    found = _SEEKABLE.get(kind)
    if found is None:
        found = _SEEKABLE[kind] = isinstance(blocks, RandomAccess)
    return found


def _after(stream: Iterator[bytes], skip: int) -> Iterator[bytes]:
    """The blocks of ``stream`` after its first ``skip`` bytes (the head already given out)."""
    try:
        for block in stream:
            if skip >= len(block):
                skip -= len(block)
                continue
            yield block[skip:] if skip else block
            skip = 0
    finally:
        close = getattr(stream, "close", None)
        if close is not None:
            close()
