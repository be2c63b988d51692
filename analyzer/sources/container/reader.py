"""Archives read through a Python read callback: layer blobs inside an image, and streams.

:class:`CallbackArchive` is the counterpart of :class:`~analyzer.sources.archive.ArchiveReader`
for bytes that do not come from a whole file descriptor: a ``pread`` window over a member of an
outer tar (a layer read in place), a spooled blob, stdin or the chunks of ``docker save``. The
read function is called from libarchive; an exception it raises is kept and re-raised here once
libarchive has given up, so errors are never swallowed by the C layer.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable, Iterator
from typing import Any

from libarchive import ffi
from libarchive.entry import ArchiveEntry
from libarchive.exception import ArchiveError

from analyzer.errors import ImgauditError, LimitExceeded, SourceError
from analyzer.sources.archive import ArchiveLimits, _kind, _reason, _text, _xattrs, _zeros
from analyzer.sources.entry import BLOCK_SIZE, Blocks, Entry, Kind

#: Bytes asked from the read function per libarchive callback.
READ_SIZE = 1 << 20

Read = Callable[[int], bytes]


class _Feed:
    """The state shared with the C read callback: the last buffer and the first error."""

    def __init__(self, read: Read) -> None:
        self.read = read
        self.buffer = b""
        self.error: BaseException | None = None
        self.exhausted = False

    def callback(self, archive_p: int, context: int, out: Any) -> int:
        del archive_p, context
        try:
            self.buffer = self.read(READ_SIZE)
        except BaseException as exc:  # noqa: BLE001 - re-raised by the caller, never lost
            self.error = exc
            return int(ffi.ARCHIVE_FATAL)
        self.exhausted = not self.buffer
        out[0] = ctypes.cast(ctypes.c_char_p(self.buffer), ctypes.c_void_p)
        return len(self.buffer)

    @property
    def clean_end(self) -> bool:
        """True when the input ended without a read error (libarchive may still want more)."""
        return self.exhausted and self.error is None


class CallbackArchive:
    """A tar/cpio archive (any compression) whose bytes come from ``read(count)``.

    ``size`` is the compressed size when known; it scales the decompression cap.

    Some writers end a layer right after the last file's data, without the tar padding and
    end-of-archive blocks. When the input ends cleanly there and every byte of the entries
    read so far was delivered, the archive is taken as complete and :attr:`unterminated` is
    set (container layers are still checked against their digest).
    """

    def __init__(
        self,
        read: Read,
        name: str,
        size: int | None = None,
        limits: ArchiveLimits | None = None,
    ) -> None:
        self._feed = _Feed(read)
        self._name = name
        self._size = size
        self._limits = limits or ArchiveLimits()
        self.unterminated = False

    def _budget(self) -> int:
        if self._size is None:
            return self._limits.max_bytes
        scaled = self._size * self._limits.max_ratio
        return min(max(scaled, self._limits.min_ratio_floor), self._limits.max_bytes)

    def _fail(self, exc: ArchiveError) -> ImgauditError:
        error = self._feed.error
        if isinstance(error, ImgauditError):
            return error
        if error is not None:
            return SourceError(f"{self._name}: cannot read: {error}")
        return SourceError(f"{self._name}: corrupt archive: {_reason(exc)}")

    def entries(self) -> Iterator[tuple[Entry, Blocks]]:
        """Every entry with its data reader; raises :class:`SourceError` on a corrupt stream."""
        callback = ffi.READ_CALLBACK(self._feed.callback)
        archive_p = ffi.read_new()
        try:
            try:
                ffi.get_read_filter_function("all")(archive_p)
                ffi.get_read_format_function("tar")(archive_p)
                ffi.get_read_format_function("cpio")(archive_p)
                ffi.read_open(archive_p, None, ffi.NO_OPEN_CB, callback, ffi.NO_CLOSE_CB)
            except ArchiveError as exc:
                raise self._fail(exc) from exc
            yield from self._loop(archive_p)
        finally:
            ffi.read_free(archive_p)

    def _loop(self, archive_p: int) -> Iterator[tuple[Entry, Blocks]]:
        budget = self._budget()
        expanded = 0
        while True:
            raw = ArchiveEntry(archive_p, "utf-8")
            try:
                status = ffi.read_next_header2(archive_p, raw._entry_p)
            except ArchiveError as exc:
                if self._feed.clean_end:
                    self.unterminated = True
                    return
                raise self._fail(exc) from exc
            if status == ffi.ARCHIVE_EOF:
                return
            size = raw.size or 0
            expanded += size
            if expanded > budget:
                raise LimitExceeded(
                    f"{self._name}: expands to more than {budget} bytes"
                    " (decompression cap); stopped reading"
                )
            kind = _kind(raw)
            entry = Entry(
                name=_text(raw.pathname),
                kind=kind,
                mode=raw.mode & 0o7777,
                uid=raw.uid,
                gid=raw.gid,
                size=size if kind is Kind.FILE else 0,
                link=_text(raw.linkpath) if kind in (Kind.SYMLINK, Kind.HARDLINK) else None,
                rdev=(raw.rdevmajor, raw.rdevminor) if kind in (Kind.CHAR, Kind.BLOCK) else None,
                xattrs=_xattrs(raw._entry_p),
            )
            yield entry, self._blocks(archive_p, size)

    def _blocks(self, archive_p: int, size: int) -> Blocks:
        def read() -> Iterator[bytes]:
            buf = ctypes.c_void_p()
            length = ctypes.c_size_t()
            offset = ctypes.c_longlong()
            position = 0
            while True:
                try:
                    status = ffi.read_data_block(
                        archive_p, ctypes.byref(buf), ctypes.byref(length), ctypes.byref(offset)
                    )
                except ArchiveError as exc:
                    if position >= size and self._feed.clean_end:
                        self.unterminated = True
                        break
                    raise self._fail(exc) from exc
                if status == ffi.ARCHIVE_EOF:
                    break
                if offset.value > position:
                    yield from _zeros(offset.value - position)
                    position = offset.value
                if length.value and buf.value:
                    data = ctypes.string_at(buf.value, length.value)
                    for start in range(0, len(data), BLOCK_SIZE):
                        yield data[start : start + BLOCK_SIZE]
                    position += length.value
            if position < size:
                yield from _zeros(size - position)

        return read


def first_entry_name(head: bytes) -> str | None:
    """Name of the first entry of an archive whose first bytes are ``head`` (any compression)."""
    data = [head]

    def read(count: int) -> bytes:
        del count
        return data.pop() if data else b""

    try:
        for entry, _ in CallbackArchive(read, "<head>").entries():
            return entry.name
    except ImgauditError:
        return None
    return None
