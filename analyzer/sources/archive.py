"""Tar (plain, gzip, xz, zstd, bzip2, lz4, ...) and cpio archives, streamed through libarchive.

One pass, nothing extracted: entries are described from their headers and regular files'
bytes are streamed block by block to the per-file analyzers. Compression and format are
detected by libarchive from the content, not from the file name. Decompression is bounded: an
archive whose expanded size outruns :attr:`ArchiveLimits.max_ratio` times its compressed size
(or :attr:`ArchiveLimits.max_bytes` when that is unknown, as on stdin) stops with a
notification.

The bytes come from a file descriptor or from a Python read function (a layer read in place
inside an image, a spooled blob, stdin, the chunks of ``docker save``). A compressed input is
decompressed on a worker thread (:mod:`analyzer.sources.inflate`) while this thread parses the
archive and runs the analyzers; errors reach the caller exactly as they would without it.
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Callable, Generator
from contextlib import ExitStack
from dataclasses import dataclass

from libarchive import ffi
from libarchive.exception import ArchiveError

from analyzer.errors import ImgauditError, LimitExceeded, SourceError
from analyzer.model import Level, Notification
from analyzer.sources.archive_ffi import (
    BlockReader,
    Feed,
    Read,
    declared_size,
    describe,
    new_reader,
    next_header,
    open_input,
    reason,
    warning,
    zeros,
)
from analyzer.sources.inflate import Inflater, compressed
from analyzer.stream.entry import BLOCK_SIZE, Blocks, Entry, Gate
from analyzer.stream.paths import normalize

FORMATS = ("tar", "cpio")
#: libarchive's message when a skip over unread data meets the end of the (plain) stream; a
#: single handle reports it too when decompression fails there, so it is kept as is.
SKIP_TRUNCATED = "Truncated input file"
#: Bytes looked at to decide whether a file is compressed.
MAGIC_BYTES = 8
#: Distinct libarchive warnings reported per archive; later ones are counted in one more note.
MAX_WARNINGS = 20
#: Why an entry's data reader refuses once the stream has gone on to the next entry.
MOVED_ON = "the archive moved on to the next entry"


@dataclass(frozen=True, slots=True)
class ArchiveLimits:
    """Decompression caps."""

    max_ratio: int = 200
    max_bytes: int = 256 << 30
    min_ratio_floor: int = 1 << 30


def _fd_size(fd: int) -> int | None:
    try:
        stat = os.fstat(fd)
    except OSError:
        return None
    return stat.st_size if stat.st_size > 0 else None


#: libarchive's message for bytes that start no format it knows.
_UNRECOGNISED_FORMAT = "Unrecognized archive format"


class ArchiveReader:
    """Reads one archive stream from a file descriptor or a read function ``read(count)``.

    ``size`` is the compressed size when known (a file descriptor's is taken from the file);
    it scales the decompression cap. ``reopen`` gives a fresh read function over the same
    bytes; with it (or a seekable compressed file) decompression runs on a worker thread.
    ``threads=False`` keeps every call on the caller's thread (for tiny probes).

    libarchive's warnings (``Skipped 12 bytes before finding valid header`` on a damaged cpio)
    are never logged: each distinct one becomes a notification in ``notes`` (the reader's own
    :attr:`notifications` when none is given), with the archive's name.

    Some writers end a layer right after the last file's data, without the tar padding and
    end-of-archive blocks. For a read function, when the input ends cleanly there and every
    byte of the entries read so far was delivered, the archive is taken as complete and
    :attr:`unterminated` is set (container layers are still checked against their digest).
    """

    def __init__(
        self,
        source: int | Read,
        name: str,
        limits: ArchiveLimits | None = None,
        *,
        size: int | None = None,
        reopen: Callable[[], Read] | None = None,
        threads: bool = True,
        notes: list[Notification] | None = None,
    ) -> None:
        self.notifications: list[Notification] = notes if notes is not None else []
        self._warned: set[str] = set()
        self._source = source
        self._name = name
        self._limits = limits or ArchiveLimits()
        self._size = _fd_size(source) if isinstance(source, int) else size
        self._threads = threads
        self._reopen = reopen
        self._lenient = not isinstance(source, int)
        self._inflater: Inflater | None = None
        #: The data reader of the current entry reads only while this gate is open.
        self._gate = Gate(name)
        self.unterminated = False

    def _budget(self) -> int:
        if self._size is None:
            return self._limits.max_bytes
        scaled = self._size * self._limits.max_ratio
        return min(max(scaled, self._limits.min_ratio_floor), self._limits.max_bytes)

    def _worker_helps(self) -> bool:
        """Whether to decompress on a worker (see :mod:`analyzer.sources.inflate`).

        It pays off for compressed files, and for layers inside an image file, whose reads and
        digest hashing it also takes over; it needs an input it can read again after an error.
        """
        if not self._threads:
            return False
        if not isinstance(self._source, int):
            return self._reopen is not None
        try:
            head = os.pread(self._source, MAGIC_BYTES, os.lseek(self._source, 0, os.SEEK_CUR))
        except OSError:
            return False
        return compressed(head)

    def _warn(self, archive_p: int) -> None:
        text = warning(archive_p)
        if text in self._warned:
            return
        self._warned.add(text)
        if len(self._warned) > MAX_WARNINGS:
            if len(self._warned) == MAX_WARNINGS + 1:
                text = f"more than {MAX_WARNINGS} different warnings; the others are not listed"
            else:
                return
        self.notifications.append(
            Notification(Level.ERROR, "source.archive-warning", f"{self._name}: {text}")
        )

    def _clean_end(self, feed: Feed | None) -> bool:
        inflater = self._inflater
        return feed is not None and feed.clean_end and (inflater is None or not inflater.failure)

    def _fail(self, exc: ArchiveError, feed: Feed | None, opening: bool = False) -> ImgauditError:
        error = feed.error if feed is not None else None
        if isinstance(error, ImgauditError):
            return error
        if error is not None:
            return SourceError(f"{self._name}: cannot read: {error}")
        text = reason(exc)
        failure = self._inflater.failure if self._inflater is not None else None
        if failure is not None and not text.startswith(SKIP_TRUNCATED):
            text = failure.message
        problem = "not a readable archive" if opening and not self._lenient else "corrupt archive"
        if opening and not self._lenient and text.startswith(_UNRECOGNISED_FORMAT):
            return SourceError(f"{self._name}: no image, archive or file system recognised")
        return SourceError(f"{self._name}: {problem}: {text}")

    def entries(self) -> Generator[tuple[Entry, Blocks], None, None]:
        """Every entry with its data reader; raises :class:`SourceError` on a corrupt stream."""
        with ExitStack() as stack:
            inflated = self._worker_helps()
            feed: Feed | None = None
            source: int | Feed
            if inflated:
                inflater = Inflater(self._source, self._name, self._reopen)
                self._inflater = stack.enter_context(inflater)
                source = feed = Feed(inflater.read)
            elif isinstance(self._source, int):
                source = self._source
            else:
                source = feed = Feed(self._source)
            try:
                archive_p = new_reader(FORMATS, filters=not inflated)
            except ArchiveError as exc:
                raise self._fail(exc, None, opening=True) from exc
            stack.callback(ffi.read_free, archive_p)
            stack.callback(lambda: self._gate.close())  # noqa: PLW0108 - the current gate
            try:
                open_input(archive_p, source)
            except ArchiveError as exc:
                raise self._fail(exc, feed, opening=True) from exc
            entry_p = ffi.entry_new()
            stack.callback(ffi.entry_free, entry_p)
            yield from self._loop(archive_p, entry_p, feed)

    def _loop(
        self, archive_p: int, entry_p: int, feed: Feed | None
    ) -> Generator[tuple[Entry, Blocks], None, None]:
        budget = self._budget()
        expanded = 0
        block = BlockReader(archive_p)
        while True:
            self._gate.close(MOVED_ON)
            if not self._step(lambda: next_header(archive_p, entry_p), archive_p, feed, True):
                return
            size = declared_size(entry_p)
            expanded += size
            if expanded > budget:
                raise LimitExceeded(
                    f"{self._name}: expands to more than {budget} bytes"
                    " (decompression cap); stopped reading"
                )
            self._gate = Gate(self._name)
            yield describe(entry_p, size), self._blocks(block, size, feed)

    def _step(
        self, call: Callable[[], int], archive_p: int, feed: Feed | None, may_end: bool
    ) -> bool:
        """Run one libarchive read (a header, a data block); false at the end of the archive.

        A warning is reported and reading goes on. An error is raised, except in lenient mode
        where the input ended cleanly at a point the archive may end (``may_end``): the
        archive is then unterminated, and that is its end.
        """
        try:
            status = call()
        except ArchiveError as exc:
            if self._lenient and may_end and self._clean_end(feed):
                self.unterminated = True
                return False
            raise self._fail(exc, feed) from exc
        if status == ffi.ARCHIVE_EOF:
            return False
        if status == ffi.ARCHIVE_WARN:
            self._warn(archive_p)
        return True

    def _blocks(self, block: BlockReader, size: int, feed: Feed | None) -> Blocks:
        gate = self._gate

        def read() -> Generator[bytes, None, None]:
            position = 0
            while True:
                gate.check()
                if not self._step(block.next, block.archive_p, feed, position >= size):
                    break
                if block.offset > position:
                    yield from zeros(block.offset - position)
                    position = block.offset
                address, total = block.address, block.length
                if total and address:
                    for start in range(0, total, BLOCK_SIZE):
                        yield ctypes.string_at(address + start, min(BLOCK_SIZE, total - start))
                    position += total
            if position < size:
                yield from zeros(size - position)

        return read


def first_entry_name(head: bytes) -> str | None:
    """Name of the first entry past ``./`` of an archive whose first bytes are ``head``."""
    data = [head]

    def read(count: int) -> bytes:
        del count
        return data.pop() if data else b""

    try:
        for entry, _ in ArchiveReader(read, "<head>", threads=False).entries():
            if normalize(entry.name) != "/":
                return entry.name
    except ImgauditError:
        return None
    return None
