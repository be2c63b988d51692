"""Decompression on a second core: a worker thread turns a compressed file into plain bytes.

The archive pass is Python work between foreign calls; decompression (zstd, gzip, xz, ...) is C
work that needs no interpreter. :class:`Inflater` runs libarchive's filters with the ``raw``
format in a worker thread and hands the plain stream, :data:`CHUNK` bytes at a time, through a
bounded queue to :meth:`Inflater.read`: the read function of a second, filter-less libarchive
handle that parses the archive on the consumer's thread. Each chunk is one foreign call, during
which ctypes releases the GIL, so the worker rarely waits for the interpreter. At most
:data:`QUEUE_BLOCKS` chunks wait in the queue, so memory stays bounded whatever the input.

Errors keep their meaning. A failing ``archive_read_data`` call loses what it had decompressed,
so after an error the worker reads the file again block by block and hands over every byte
decompressed before the error, exactly as a single handle would have seen them; the plain
stream then ends and the error is kept in :attr:`Inflater.failure` for the consumer to report.
Only inputs that can be read again are read this way: seekable files, and read functions with
a ``reopen`` (a layer inside an image file); pipes and streams are read on the consumer's
thread.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import queue
import threading
from collections.abc import Callable

from libarchive import ffi
from libarchive.exception import ArchiveError

from analyzer.codecs.magic import sniff
from analyzer.errors import ImgauditError
from analyzer.sources.archive_ffi import BlockReader, Feed, Read, new_reader, open_input, reason

#: Decompressed bytes handed over at a time (libarchive's filter blocks, joined).
CHUNK = 1 << 20
#: Chunks that may wait unread.
QUEUE_BLOCKS = 4
#: How long ``close`` waits for the worker (a safety net: file reads do not block for long).
JOIN_TIMEOUT = 5.0
_POLL = 0.05


def compressed(head: bytes) -> bool:
    """True when ``head`` starts like a compressed stream (a worker pays off for it)."""
    return sniff(head) is not None


class InflateError(ImgauditError):
    """A decompression error, with libarchive's message (converted by the archive reader)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


_END = b""


class Inflater:
    """Decompresses an input that can be read again from its start, on a worker thread.

    The input is a seekable file descriptor (duplicated, so the worker owns what it reads and
    may close it late) or a read function with ``reopen``, which gives a fresh read function
    over the same bytes (needed only after an error). The read functions are called from the
    worker only. Use as a context manager around the consumer's reads.
    """

    def __init__(
        self, source: int | Read, name: str, reopen: Callable[[], Read] | None = None
    ) -> None:
        self._fd: int | None = os.dup(source) if isinstance(source, int) else None
        #: Where a descriptor's input starts (the worker reads it again after an error).
        self._start = os.lseek(source, 0, os.SEEK_CUR) if isinstance(source, int) else 0
        self._feed = None if isinstance(source, int) else Feed(source)
        self._reopen = reopen
        self._queue: queue.Queue[bytes | BaseException] = queue.Queue(QUEUE_BLOCKS)
        self._stop = threading.Event()
        self._failed: BaseException | None = None
        self.failure: InflateError | None = None
        self._ended = False
        self._thread = threading.Thread(target=self._run, name=f"inflate {name}", daemon=True)

    def __enter__(self) -> Inflater:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def read(self, count: int) -> bytes:
        """The next decompressed block (any size; ``b""`` at the end); re-raises errors."""
        del count
        if self._failed is not None:
            raise self._failed
        if self._ended:
            return _END
        item = self._next()
        if isinstance(item, InflateError):
            self.failure, self._ended = item, True
            return _END
        if isinstance(item, BaseException):
            self._failed = item
            raise item
        self._ended = not item
        return item

    def _next(self) -> bytes | BaseException:
        """The next item from the worker; a worker gone without a last word is an error."""
        while True:
            try:
                return self._queue.get(timeout=_POLL)
            except queue.Empty:
                if not self._thread.is_alive() and self._queue.empty():
                    return InflateError("decompression stopped unexpectedly")

    def close(self) -> None:
        """Stop the worker and wait for it (it frees its own handle and descriptor)."""
        self._stop.set()
        if self._thread.ident is None:
            self._close_source()
            return
        waited = 0.0
        while self._thread.is_alive() and waited < JOIN_TIMEOUT:
            with contextlib.suppress(queue.Empty):
                while True:
                    self._queue.get_nowait()
            self._thread.join(_POLL)
            waited += _POLL

    def _put(self, item: bytes | BaseException) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=_POLL)
            except queue.Full:
                continue
            return True
        return False

    def _run(self) -> None:
        try:
            delivered = self._fast()
            if delivered is not None:
                self._rewind()
                self._exact(delivered)
        except ArchiveError as exc:
            error = self._feed.error if self._feed is not None else None
            self._put(error if error is not None else InflateError(reason(exc)))
        except OSError as exc:
            self._put(InflateError(exc.strerror or str(exc)))
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, never lost
            self._put(exc)
        finally:
            self._close_source()

    def _rewind(self) -> None:
        """Read the input again from its start."""
        if self._fd is not None:
            os.lseek(self._fd, self._start, os.SEEK_SET)
        elif self._reopen is not None:
            self._feed = Feed(self._reopen())

    def _open(self) -> int:
        """A ``raw`` handle on the input, positioned at the start of its data."""
        archive_p = new_reader(("raw",), filters=True)
        try:
            if self._feed is not None:
                open_input(archive_p, self._feed)
            elif self._fd is not None:
                open_input(archive_p, self._fd)
            entry_p = ffi.entry_new()
            try:
                ffi.read_next_header2(archive_p, entry_p)
            finally:
                ffi.entry_free(entry_p)
        except BaseException:
            ffi.read_free(archive_p)
            raise
        return archive_p

    def _fast(self) -> int | None:
        """Decompress :data:`CHUNK` bytes per foreign call (few GIL hand-overs).

        A failing call loses what it had decompressed, so on an error this returns how many
        bytes were handed over, for :meth:`_exact` to decompress again up to the error.
        """
        archive_p = self._open()
        delivered = 0
        try:
            buffer = ctypes.create_string_buffer(CHUNK)
            read_data = ffi.read_data
            while not self._stop.is_set():
                try:
                    count = read_data(archive_p, buffer, CHUNK)
                except ArchiveError:
                    if self._fd is None and self._reopen is None:
                        raise
                    return delivered
                if count == 0:
                    self._put(_END)
                    return None
                if not self._put(ctypes.string_at(buffer, count)):
                    return None
                delivered += count
            return None
        finally:
            ffi.read_free(archive_p)

    def _exact(self, skip: int) -> None:
        """Hand over every decompressed byte after the first ``skip``, up to an error or the end.

        Blocks are joined into chunks of about :data:`CHUNK` bytes; what was decompressed before
        an error is handed over before the error.
        """
        archive_p = self._open()
        block = BlockReader(archive_p)
        pending: list[bytes] = []
        held = 0
        try:
            while not self._stop.is_set():
                if block.next() == ffi.ARCHIVE_EOF:
                    break
                address = block.address
                size = block.length if address else 0
                if skip >= size:
                    skip -= size
                    continue
                pending.append(ctypes.string_at(address + skip, size - skip))
                held += size - skip
                skip = 0
                if held >= CHUNK:
                    if not self._put(b"".join(pending)):
                        return
                    pending, held = [], 0
        finally:
            ffi.read_free(archive_p)
            if pending:
                self._put(b"".join(pending))
        self._put(_END)

    def _close_source(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)
