"""What every source yields: one :class:`Entry` per file-system object, with a lazy data reader.

A source never builds host paths from entry names and never extracts anything: it describes
entries and, for regular files, offers their bytes as a stream of blocks. Sources that can
seek (directories, disk file systems) hand out a :class:`RandomAccess` reader instead: still
callable for the stream, and also able to read any byte range with ``read_at``.
"""

from __future__ import annotations

import enum
import stat
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from analyzer.errors import ClosedSourceError
from analyzer.model import LayerInfo

#: Block size used by every reader when it streams file data.
BLOCK_SIZE = 64 * 1024


class Kind(enum.StrEnum):
    """Kind of a file-system object."""

    FILE = "file"
    DIR = "dir"
    SYMLINK = "symlink"
    HARDLINK = "hardlink"
    CHAR = "char"
    BLOCK = "block"
    FIFO = "fifo"
    SOCKET = "socket"


_MODE_KINDS = {
    stat.S_IFREG: Kind.FILE,
    stat.S_IFDIR: Kind.DIR,
    stat.S_IFLNK: Kind.SYMLINK,
    stat.S_IFCHR: Kind.CHAR,
    stat.S_IFBLK: Kind.BLOCK,
    stat.S_IFIFO: Kind.FIFO,
    stat.S_IFSOCK: Kind.SOCKET,
}


def kind_of(mode: int) -> Kind | None:
    """The kind of object a POSIX ``st_mode`` encodes (``None`` for an unknown file type)."""
    return _MODE_KINDS.get(stat.S_IFMT(mode))


@dataclass(frozen=True, slots=True)
class Entry:
    """One object as the input describes it, before normalisation.

    ``name`` is the raw name (``./etc/hosts``, ``etc/``, ``/abs/x``, ``../../x``); the tree
    normalises it. ``link`` is the symlink target (``SYMLINK``) or the name of the earlier
    entry a hard link points to (``HARDLINK``). ``mode`` holds the permission bits including
    set-uid, set-gid and sticky (``0o7777``). ``xattrs`` keeps only attributes that matter to
    the checks (``security.capability``).
    """

    name: str
    kind: Kind
    mode: int = 0o644
    uid: int = 0
    gid: int = 0
    size: int = 0
    link: str | None = None
    rdev: tuple[int, int] | None = None
    xattrs: Mapping[str, bytes] = field(default_factory=dict)


class Gate:
    """Whether the readers a source handed out may still read; they check it before each read.

    A source makes a gate, gives it to its readers and closes it in ``close()``. A read after
    that raises :class:`~analyzer.errors.ClosedSourceError` naming the source and why, never
    touches a released file descriptor, and never answers from a cache.
    """

    __slots__ = ("_name", "_reason")

    def __init__(self, name: str) -> None:
        self._name = name
        self._reason: str | None = None

    def check(self) -> None:
        """Raise :class:`~analyzer.errors.ClosedSourceError` once the gate is closed."""
        if self._reason is not None:
            raise ClosedSourceError(f"{self._name}: read after {self._reason}")

    def close(self, reason: str = "the source was closed") -> None:
        """Refuse every later read, saying ``reason``; closing twice keeps the first reason."""
        if self._reason is None:
            self._reason = reason


#: Streams a regular file's bytes, ``BLOCK_SIZE`` at a time. Valid only until the source
#: moves on to the next entry (archives are read in one pass).
Blocks = Callable[[], Iterator[bytes]]


def no_data() -> Iterator[bytes]:
    """Blocks of an entry that has no data."""
    return iter(())


@runtime_checkable
class RandomAccess(Protocol):
    """A ``Blocks`` reader that can also read any range of the file, at any time.

    ``read_at(offset, size)`` returns at most ``size`` bytes starting at ``offset`` (fewer only
    at the end of the file); failures raise :class:`~analyzer.errors.SourceError`.
    """

    def __call__(self) -> Iterator[bytes]:
        """Stream the file's bytes, ``BLOCK_SIZE`` at a time."""
        ...

    def read_at(self, offset: int, size: int) -> bytes:
        """``size`` bytes at ``offset`` (fewer at the end of the file)."""
        ...


#: Reads ``size`` bytes at ``offset`` of one file (a :class:`RandomAccess`'s ``read_at``).
ReadAt = Callable[[int, int], bytes]


class BytesData:
    """:class:`RandomAccess` over bytes already in memory (inline data, small files)."""

    __slots__ = ("_data",)

    def __init__(self, data: bytes) -> None:
        self._data = data

    def __call__(self) -> Iterator[bytes]:
        """The bytes in ``BLOCK_SIZE`` blocks."""
        data = self._data
        return (data[at : at + BLOCK_SIZE] for at in range(0, len(data), BLOCK_SIZE))

    def read_at(self, offset: int, size: int) -> bytes:
        """A slice of the bytes."""
        return self._data[max(offset, 0) : max(offset, 0) + max(size, 0)]


@dataclass(frozen=True, slots=True)
class LayerStream:
    """Entries of one layer, in input order, each paired with its data reader.

    ``whiteouts`` is true for container layers, whose ``.wh.`` names delete lower content.
    ``random_access`` is true when ``Blocks`` stays valid after iteration moves on (directory
    and disk sources), so content can also be read lazily after the pass.
    """

    info: LayerInfo
    entries: Iterator[tuple[Entry, Blocks]]
    whiteouts: bool = False
    random_access: bool = False
