"""Thin, fast access to libarchive read handles: opening, entry headers, the read callback.

Every call here is one foreign call with no Python wrapper in between, because the pass makes
several of them per entry. Entry fields are read the way ``libarchive.entry.ArchiveEntry``
reads them (wide-character names first, then the raw bytes decoded as UTF-8).
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable, Iterator
from typing import Protocol

from libarchive import ffi
from libarchive.exception import ArchiveError

from analyzer.stream.entry import BLOCK_SIZE, Entry, Kind, kind_of

#: Bytes asked from a Python read function per libarchive callback.
READ_SIZE = 1 << 20
#: Block size libarchive reads from a file descriptor.
FD_BLOCK = 1 << 20

#: Reads up to ``count`` bytes; ``b""`` at the end of the input.
Read = Callable[[int], bytes]

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

_next_header = _lib["archive_read_next_header2"]
_next_header.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
_next_header.restype = ctypes.c_int
_data_block = _lib["archive_read_data_block"]
_data_block.argtypes = [
    ctypes.c_void_p,
    ctypes.POINTER(ctypes.c_void_p),
    ctypes.POINTER(ctypes.c_size_t),
    ctypes.POINTER(ctypes.c_longlong),
]
_data_block.restype = ctypes.c_int
_filetype = ffi.entry_filetype
_pathname_w = ffi.entry_pathname_w
_pathname = ffi.entry_pathname
_hardlink_w = ffi.entry_hardlink_w
_hardlink = ffi.entry_hardlink
_symlink_w = ffi.entry_symlink_w
_symlink = ffi.entry_symlink
_mode = ffi.entry_mode
_uid = ffi.entry_uid
_gid = ffi.entry_gid
_size = ffi.entry_size


def _text(value: str | bytes | None) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value or ""


def xattrs(entry_p: int) -> dict[str, bytes]:
    """The kept extended attributes of the current entry."""
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


def describe(entry_p: int, size: int) -> Entry:
    """The :class:`Entry` for the header just read into ``entry_p`` (``size`` as declared)."""
    hardlink = _hardlink_w(entry_p) or _hardlink(entry_p)
    if hardlink:
        kind = Kind.HARDLINK
        link: str | None = _text(hardlink)
    else:
        kind = kind_of(_filetype(entry_p)) or Kind.FILE
        link = _text(_symlink_w(entry_p) or _symlink(entry_p)) if kind is Kind.SYMLINK else None
    rdev = None
    if kind is Kind.CHAR or kind is Kind.BLOCK:
        rdev = (ffi.entry_rdevmajor(entry_p), ffi.entry_rdevminor(entry_p))
    return Entry(
        name=_text(_pathname_w(entry_p) or _pathname(entry_p)),
        kind=kind,
        mode=_mode(entry_p) & 0o7777,
        uid=_uid(entry_p),
        gid=_gid(entry_p),
        size=size if kind is Kind.FILE else 0,
        link=link,
        rdev=rdev,
        xattrs=xattrs(entry_p),
    )


def next_header(archive_p: int, entry_p: int) -> int:
    """``archive_read_next_header2``: an error raises :class:`ArchiveError`.

    ``ARCHIVE_WARN`` is returned as it is (its text is :func:`warning`), never logged; a good
    status costs no Python call beyond this one.
    """
    status: int = _next_header(archive_p, entry_p)
    if status < 0 and status != ffi.ARCHIVE_WARN:
        ffi.check_int(status, _next_header, (archive_p, entry_p))
    return status


def warning(archive_p: int) -> str:
    """The text of the warning the last call on ``archive_p`` returned, on one line."""
    text = ffi.error_string(archive_p)
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return " ".join((text or "unspecified warning").split())


class BlockReader:
    """``archive_read_data_block`` with its three out-parameters allocated once per archive.

    After :meth:`next` returns ``ARCHIVE_OK``, :attr:`address`, :attr:`length` and
    :attr:`offset` describe the block (valid until the next call on the archive).
    """

    def __init__(self, archive_p: int) -> None:
        self.archive_p = archive_p
        self._buf = ctypes.c_void_p()
        self._length = ctypes.c_size_t()
        self._offset = ctypes.c_longlong()
        self._refs = (
            ctypes.byref(self._buf),
            ctypes.byref(self._length),
            ctypes.byref(self._offset),
        )

    def next(self) -> int:
        """Read the next block; errors raised.

        The status is ``ARCHIVE_EOF`` at the end, ``ARCHIVE_WARN`` as :func:`next_header`
        returns it.
        """
        status: int = _data_block(self.archive_p, *self._refs)
        if status < 0 and status != ffi.ARCHIVE_WARN:
            ffi.check_int(status, _data_block, (self.archive_p,))
        return status

    @property
    def address(self) -> int:
        """Where the block's bytes are (0 when none)."""
        return self._buf.value or 0

    @property
    def length(self) -> int:
        """How many bytes the block holds."""
        return self._length.value

    @property
    def offset(self) -> int:
        """Where the block belongs in the entry's data (after a hole, beyond the bytes so far)."""
        return self._offset.value


def declared_size(entry_p: int) -> int:
    """The size the header declares (0 when it declares none)."""
    return int(_size(entry_p)) if ffi.entry_size_is_set(entry_p) else 0


def zeros(count: int) -> Iterator[bytes]:
    """``count`` zero bytes in blocks (holes of sparse files, data missing at the end)."""
    while count > 0:
        step = min(count, BLOCK_SIZE)
        yield bytes(step)
        count -= step


def reason(exc: ArchiveError) -> str:
    """The first line of libarchive's message (libarchive gives none for some bad headers)."""
    message = getattr(exc, "msg", None)
    if message is None:
        return "unreadable entry header"
    return str(message).strip().splitlines()[0] or "unreadable entry header"


class _BufferOut(Protocol):
    """The ``const void **`` through which the read callback hands libarchive its buffer."""

    def __setitem__(self, index: int, value: ctypes.c_void_p) -> None: ...


class Feed:
    """The state shared with the C read callback: the last buffer and the first error.

    An exception raised by ``read`` is kept and the callback reports a fatal error, so the
    caller can re-raise the original once libarchive has given up.
    """

    def __init__(self, read: Read) -> None:
        self.read = read
        self.buffer = b""
        self.error: BaseException | None = None
        self.exhausted = False
        self.callback = ffi.READ_CALLBACK(self._callback)

    def _callback(self, archive_p: int, context: int, out: _BufferOut) -> int:
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


def new_reader(formats: tuple[str, ...], filters: bool) -> int:
    """A read handle for ``formats``, with every decompression filter when ``filters``."""
    archive_p: int = ffi.read_new()
    try:
        if filters:
            ffi.get_read_filter_function("all")(archive_p)
        for name in formats:
            ffi.get_read_format_function(name)(archive_p)
    except ArchiveError:
        ffi.read_free(archive_p)
        raise
    return archive_p


def open_input(archive_p: int, source: int | Feed) -> None:
    """Open ``archive_p`` on a file descriptor or a :class:`Feed`; raises :class:`ArchiveError`."""
    if isinstance(source, Feed):
        ffi.read_open(archive_p, None, ffi.NO_OPEN_CB, source.callback, ffi.NO_CLOSE_CB)
    else:
        ffi.read_open_fd(archive_p, source, FD_BLOCK)
