"""Tar (plain, gzip, xz, zstd, bzip2, lz4, ...) and cpio archives, streamed through libarchive.

One pass, nothing extracted: entries are described from their headers and regular files'
bytes are streamed block by block to the per-file analyzers. Compression and format are
detected by libarchive from the content, not from the file name. Decompression is bounded: an
archive whose expanded size outruns :attr:`ArchiveLimits.max_ratio` times its compressed size
(or :attr:`ArchiveLimits.max_bytes` when that is unknown, as on stdin) stops with a
notification.
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

from libarchive import ffi
from libarchive.entry import ArchiveEntry
from libarchive.exception import ArchiveError

from analyzer.errors import LimitExceeded, SourceError
from analyzer.sources.entry import BLOCK_SIZE, Blocks, Entry, Kind, LayerInfo, LayerStream

_XATTRS_KEPT = ("security.capability",)
_lib = ffi.libarchive
_xattr_reset = _lib.archive_entry_xattr_reset
_xattr_reset.argtypes = [ctypes.c_void_p]
_xattr_reset.restype = ctypes.c_int
_xattr_next = _lib.archive_entry_xattr_next
_xattr_next.argtypes = [
    ctypes.c_void_p,
    ctypes.POINTER(ctypes.c_char_p),
    ctypes.POINTER(ctypes.c_void_p),
    ctypes.POINTER(ctypes.c_size_t),
]
_xattr_next.restype = ctypes.c_int


@dataclass(frozen=True, slots=True)
class ArchiveLimits:
    """Decompression caps."""

    max_ratio: int = 200
    max_bytes: int = 256 << 30
    min_ratio_floor: int = 1 << 30


def _kind(entry: ArchiveEntry) -> Kind:
    if entry.islnk:
        return Kind.HARDLINK
    if entry.isdir:
        return Kind.DIR
    if entry.issym:
        return Kind.SYMLINK
    if entry.ischr:
        return Kind.CHAR
    if entry.isblk:
        return Kind.BLOCK
    if entry.isfifo:
        return Kind.FIFO
    if entry.issock:
        return Kind.SOCKET
    return Kind.FILE


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value or ""


def _xattrs(entry_p: int) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    if _xattr_reset(entry_p) == 0:
        return found
    name = ctypes.c_char_p()
    value = ctypes.c_void_p()
    size = ctypes.c_size_t()
    while _xattr_next(entry_p, ctypes.byref(name), ctypes.byref(value), ctypes.byref(size)) == 0:
        key = (name.value or b"").decode("utf-8", "replace")
        if key in _XATTRS_KEPT and value.value:
            found[key] = ctypes.string_at(value.value, size.value)
    return found


class ArchiveReader:
    """Reads one archive stream from a file descriptor (a file, or stdin)."""

    def __init__(self, fd: int, name: str, limits: ArchiveLimits | None = None) -> None:
        self._fd = fd
        self._name = name
        self._limits = limits or ArchiveLimits()
        try:
            stat = os.fstat(fd)
            self._compressed_size = stat.st_size if stat.st_size > 0 else None
        except OSError:
            self._compressed_size = None

    def _budget(self) -> int:
        if self._compressed_size is None:
            return self._limits.max_bytes
        scaled = self._compressed_size * self._limits.max_ratio
        return min(max(scaled, self._limits.min_ratio_floor), self._limits.max_bytes)

    def entries(self) -> Iterator[tuple[Entry, Blocks]]:
        """Every entry with its data reader; raises :class:`SourceError` on a corrupt stream."""
        with ExitStack() as stack:
            archive_p = stack.enter_context(_open(self._fd, self._name))
            budget = self._budget()
            expanded = 0
            while True:
                raw = ArchiveEntry(archive_p, "utf-8")
                try:
                    status = ffi.read_next_header2(archive_p, raw._entry_p)
                except ArchiveError as exc:
                    raise SourceError(f"{self._name}: corrupt archive: {_reason(exc)}") from exc
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
                    rdev=(raw.rdevmajor, raw.rdevminor)
                    if kind in (Kind.CHAR, Kind.BLOCK)
                    else None,
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
                    raise SourceError(f"{self._name}: corrupt archive: {_reason(exc)}") from exc
                if status == ffi.ARCHIVE_EOF:
                    break
                if offset.value > position:
                    yield from _zeros(offset.value - position)
                    position = offset.value
                if length.value and buf.value:
                    address, total = buf.value, length.value
                    for start in range(0, total, BLOCK_SIZE):
                        yield ctypes.string_at(address + start, min(BLOCK_SIZE, total - start))
                    position += total
            if position < size:
                yield from _zeros(size - position)

        return read


def _zeros(count: int) -> Iterator[bytes]:
    while count > 0:
        step = min(count, BLOCK_SIZE)
        yield bytes(step)
        count -= step


def _reason(exc: ArchiveError) -> str:
    return str(getattr(exc, "msg", None) or exc).strip().splitlines()[0]


class _open:
    """A libarchive read handle for tar and cpio with every compression filter."""

    def __init__(self, fd: int, name: str) -> None:
        self._fd = fd
        self._name = name
        self._p: int | None = None

    def __enter__(self) -> int:
        archive_p: int = ffi.read_new()
        self._p = archive_p
        try:
            ffi.get_read_filter_function("all")(archive_p)
            ffi.get_read_format_function("tar")(archive_p)
            ffi.get_read_format_function("cpio")(archive_p)
            ffi.read_open_fd(archive_p, self._fd, 1 << 20)
        except ArchiveError as exc:
            ffi.read_free(archive_p)
            self._p = None
            raise SourceError(f"{self._name}: not a readable archive: {_reason(exc)}") from exc
        return archive_p

    def __exit__(self, *exc: object) -> None:
        if self._p is not None:
            ffi.read_free(self._p)


def archive_layer(fd: int, name: str, layer_id: str = "rootfs") -> LayerStream:
    """A single layer streamed from an archive on ``fd``."""
    reader = ArchiveReader(fd, name)
    return LayerStream(LayerInfo(layer_id, f"archive {name}"), reader.entries())
