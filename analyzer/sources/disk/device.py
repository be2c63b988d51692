"""Random-access byte devices: the interface every disk layer offers the one above it.

A :class:`Device` has a ``size`` and ``read(offset, size)``; a read past the end returns what
exists (possibly nothing). Image formats, partitions and logical volumes are all devices, so a
file system never knows what it sits on. Helpers here validate header fields against the
file size and turn structural problems into one-line :class:`SourceError` messages.
"""

from __future__ import annotations

import os
import struct
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import partial
from typing import BinaryIO, Generic, Protocol, TypeVar

from analyzer.errors import CorruptImage, SourceError
from analyzer.stream.entry import BLOCK_SIZE, Gate

K = TypeVar("K")
V = TypeVar("V")

#: Largest single metadata table (L1, BAT, grain directory) we are willing to hold in memory.
MAX_TABLE_BYTES = 256 << 20


class Device(Protocol):
    """Random-access, read-only bytes."""

    @property
    def size(self) -> int:
        """Size in bytes."""
        ...

    def read(self, offset: int, size: int) -> bytes:
        """Up to ``size`` bytes at ``offset``; short only at the end of the device."""
        ...


class FileDevice:
    """A host file opened read-only; the bottom of every stack.

    Once closed it refuses reads (:class:`~analyzer.errors.ClosedSourceError`) instead of
    reading through a released descriptor that another open may have reused.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.name = os.path.basename(path)
        try:
            self._file: BinaryIO = open(path, "rb")  # noqa: SIM115 - closed by close()
            self._size = os.fstat(self._file.fileno()).st_size
        except OSError as exc:
            raise SourceError(f"{path}: cannot open: {exc.strerror or exc}") from exc
        self._fd = self._file.fileno()
        self._gate = Gate(self.name)

    @classmethod
    def from_fd(cls, fd: int, path: str) -> FileDevice:
        """A device over an already opened descriptor (which it then owns) of file ``path``."""
        device = cls.__new__(cls)
        device.path = path
        device.name = os.path.basename(path)
        device._file = os.fdopen(fd, "rb")
        device._size = os.fstat(fd).st_size
        device._fd = fd
        device._gate = Gate(device.name)
        return device

    @property
    def size(self) -> int:
        """Size of the file in bytes."""
        return self._size

    def read(self, offset: int, size: int) -> bytes:
        """Bytes at ``offset`` (``os.pread``: no shared file position)."""
        self._gate.check()
        if size <= 0 or offset >= self._size or offset < 0:
            return b""
        try:
            return os.pread(self._fd, min(size, self._size - offset), offset)
        except OSError as exc:
            raise SourceError(f"{self.name}: read error at {offset}: {exc.strerror}") from exc

    def close(self) -> None:
        """Close the file; later reads raise."""
        self._gate.close()
        self._file.close()


class GatedDevice:
    """The top of an image's device stack: refuses reads once the image is closed.

    The format readers below keep caches (decompressed clusters, grain tables) that would
    otherwise still answer after the files under them are closed.
    """

    def __init__(self, base: Device, name: str) -> None:
        self._base = base
        self._gate = Gate(name)

    @property
    def size(self) -> int:
        """Size of the underlying device."""
        return self._base.size

    def read(self, offset: int, size: int) -> bytes:
        """Bytes of the underlying device, while it is open."""
        self._gate.check()
        return self._base.read(offset, size)

    def close(self) -> None:
        """Refuse later reads and close the device below (when it holds files)."""
        self._gate.close()
        closer = getattr(self._base, "close", None)
        if callable(closer):
            closer()


class SliceDevice:
    """A window ``[start, start + size)`` of another device: a partition or a tar member."""

    def __init__(self, base: Device, start: int, size: int) -> None:
        self._base = base
        self._start = start
        self._size = max(0, min(size, base.size - start))

    @property
    def size(self) -> int:
        """Size of the window."""
        return self._size

    def read(self, offset: int, size: int) -> bytes:
        """Bytes of the window, clipped at its end."""
        if offset < 0 or offset >= self._size:
            return b""
        return self._base.read(self._start + offset, min(size, self._size - offset))


class ConcatDevice:
    """Pieces of other devices laid end to end (LVM segments, VMDK extents)."""

    def __init__(self, pieces: Sequence[tuple[Device, int, int]]) -> None:
        """``pieces`` are ``(device, offset_in_device, length)`` in logical order."""
        self._pieces = list(pieces)
        self._starts: list[int] = []
        total = 0
        for _, _, length in self._pieces:
            self._starts.append(total)
            total += length
        self._size = total

    @property
    def size(self) -> int:
        """Sum of the piece lengths."""
        return self._size

    def read(self, offset: int, size: int) -> bytes:
        """Bytes across piece boundaries; a piece shorter than declared reads as zeros."""
        out = bytearray()
        end = min(offset + size, self._size)
        for start, (device, base, length) in zip(self._starts, self._pieces, strict=True):
            if start + length <= offset or start >= end:
                continue
            lo = max(offset, start)
            hi = min(end, start + length)
            data = device.read(base + lo - start, hi - lo)
            out += data + bytes(hi - lo - len(data))
        return bytes(out)


class ZeroDevice:
    """A device of zeros: a missing backing file region."""

    def __init__(self, size: int) -> None:
        self._size = size

    @property
    def size(self) -> int:
        """Declared size."""
        return self._size

    def read(self, offset: int, size: int) -> bytes:
        """Zeros up to the end."""
        return bytes(max(0, min(size, self._size - offset)))


class CachedDevice:
    """Caches aligned chunks of a device for the many small metadata reads of file systems."""

    CHUNK = 64 * 1024

    def __init__(self, base: Device, chunks: int = 512) -> None:
        self._base = base
        self._cache = LRU[int, bytes](chunks)

    @property
    def size(self) -> int:
        """Size of the underlying device."""
        return self._base.size

    def read(self, offset: int, size: int) -> bytes:
        """Bytes at ``offset``, through the chunk cache."""
        if size > self.CHUNK * 4:
            return self._base.read(offset, size)
        out = bytearray()
        pos, end = offset, min(offset + size, self._base.size)
        while pos < end:
            index = pos // self.CHUNK
            chunk = self._cache.get(index)
            if chunk is None:
                chunk = self._base.read(index * self.CHUNK, self.CHUNK)
                self._cache.put(index, chunk)
            lo = pos - index * self.CHUNK
            piece = chunk[lo : lo + end - pos]
            if not piece:
                break
            out += piece
            pos += len(piece)
        return bytes(out)


class LRU(Generic[K, V]):
    """A small bounded least-recently-used map."""

    def __init__(self, capacity: int) -> None:
        self._capacity = max(1, capacity)
        self._data: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        """Return the value for ``key``, marking it recently used."""
        value = self._data.get(key)
        if value is not None:
            self._data.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        """Store ``value``, evicting the oldest entry when full."""
        self._data[key] = value
        self._data.move_to_end(key)
        if len(self._data) > self._capacity:
            self._data.popitem(last=False)


def read_exact(device: Device, offset: int, size: int, what: str, name: str) -> bytes:
    """Exactly ``size`` bytes, or a ``CorruptImage`` naming the structure that is cut short."""
    data = device.read(offset, size)
    if len(data) != size:
        raise CorruptImage(f"{name}: corrupt {what} beyond end of file (offset {offset})")
    return data


def unpack(fmt: str, data: bytes, offset: int, name: str) -> tuple[int, ...]:
    """``struct.unpack_from`` of integer fields, a structure cut short raised as ``CorruptImage``.

    The one place where the readers turn a short buffer into an error about the input. Every
    format the readers pass is made of integer codes (``B``, ``H``, ``I``, ``Q``), so every field
    is an ``int``.
    """
    try:
        return struct.unpack_from(fmt, data, offset)
    except struct.error as exc:
        raise CorruptImage(f"{name}: corrupt structure at byte {offset}: {exc}") from exc


def check(condition: bool, name: str, message: str) -> None:
    """Raise ``CorruptImage(f"{name}: {message}")`` unless ``condition`` holds."""
    if not condition:
        raise CorruptImage(f"{name}: {message}")


class Table:
    """``count`` integers of one struct ``item`` (``">Q"``) at ``offset``, read a page at a time.

    The map tables of the image formats (L1/L2, BAT, grain directory and tables) are read
    through this: an entry is looked up by index, and only the page of
    :attr:`PAGE_ENTRIES` entries that holds it is read and unpacked, into a bounded cache
    (``cache``, which tables of one device may share), so memory does not grow with the size
    a header declares. A table larger than :data:`MAX_TABLE_BYTES` is
    ``"corrupt {what} too large"``, one reaching past the end of the device
    ``"corrupt {what} beyond end of file"``, both raised before anything is read.
    """

    PAGE_ENTRIES = 512
    __slots__ = ("_cache", "_count", "_device", "_item", "_offset")

    def __init__(
        self,
        device: Device,
        offset: int,
        count: int,
        item: str,
        name: str,
        what: str,
        cache: PageCache | None = None,
    ) -> None:
        self._item = struct.Struct(item)
        length = count * self._item.size
        check(length <= MAX_TABLE_BYTES, name, f"corrupt {what} too large")
        check(
            offset >= 0 and offset + length <= device.size,
            name,
            f"corrupt {what} beyond end of file",
        )
        self._device = device
        self._offset = offset
        self._count = count
        self._cache = cache if cache is not None else page_cache()

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[int]:
        return (self[index] for index in range(self._count))

    def __getitem__(self, index: int) -> int:
        if not 0 <= index < self._count:
            raise IndexError(index)
        page, at = divmod(index, self.PAGE_ENTRIES)
        key = (self._offset, page)
        entries = self._cache.get(key)
        if entries is None:
            first = page * self.PAGE_ENTRIES
            size = self._item.size
            count = min(self.PAGE_ENTRIES, self._count - first)
            raw = self._device.read(self._offset + first * size, count * size)
            entries = tuple(value for (value,) in self._item.iter_unpack(raw))
            self._cache.put(key, entries)
        return entries[at]


#: Pages of map tables by ``(table offset, page number)``.
PageCache = LRU[tuple[int, int], tuple[int, ...]]


def page_cache(pages: int = 64) -> PageCache:
    """A cache of ``pages`` table pages (a page is :attr:`Table.PAGE_ENTRIES` entries)."""
    return LRU[tuple[int, int], tuple[int, ...]](pages)


class RunData:
    """A file's bytes mapped by ``(logical, physical, length)`` runs; gaps read as zeros.

    ``physical`` of ``-1`` is an unwritten run (zeros). Runs must be sorted by ``logical``.
    Calling it streams the file (a ``Blocks`` reader); :meth:`read_at` reads any range, so it
    is a :class:`~analyzer.stream.entry.RandomAccess`.
    """

    __slots__ = ("_device", "_runs", "_size")

    def __init__(self, device: Device, runs: Iterable[tuple[int, int, int]], size: int) -> None:
        self._device = device
        self._runs = runs
        self._size = size

    def __call__(self) -> Iterator[bytes]:
        """The file's bytes, at most ``BLOCK_SIZE`` at a time."""
        return self._pieces(0, self._size, BLOCK_SIZE)

    def read_at(self, offset: int, size: int) -> bytes:
        """``size`` bytes at ``offset`` (fewer at the end of the file)."""
        offset = max(offset, 0)
        end = min(offset + max(size, 0), self._size)
        if end <= offset:
            return b""
        return b"".join(self._pieces(offset, end, end - offset))

    def _pieces(self, pos: int, size: int, step_max: int) -> Iterator[bytes]:
        """Bytes ``[pos, size)`` in pieces of at most ``step_max`` bytes."""
        for logical, physical, length in self._runs:
            if pos >= size:
                break
            if logical > pos:
                yield from _zeros(min(logical, size) - pos, step_max)
                pos = min(logical, size)
            if logical + length <= pos:
                continue
            skip = pos - logical
            remaining = min(length - skip, size - pos)
            if remaining <= 0:
                continue
            at = physical + skip
            while remaining > 0:
                step = min(remaining, step_max)
                data = bytes(step) if physical < 0 else self._device.read(at, step)
                if len(data) < step:
                    data += bytes(step - len(data))
                yield data
                at += step
                pos += step
                remaining -= step
        if pos < size:
            yield from _zeros(size - pos, step_max)


class MappedData:
    """A file whose runs are computed when it is read, not kept: what a tree node holds.

    ``runs`` maps the file (the file system caches a few recent maps), so the tree keeps no
    map per file and memory does not grow with the number of files times their fragments.
    """

    __slots__ = ("_device", "_runs", "_size")

    def __init__(
        self, device: Device, runs: Callable[[], Iterable[tuple[int, int, int]]], size: int
    ) -> None:
        self._device = device
        self._runs = runs
        self._size = size

    def __call__(self) -> Iterator[bytes]:
        """The file's bytes, at most ``BLOCK_SIZE`` at a time."""
        return RunData(self._device, self._runs(), self._size)()

    def read_at(self, offset: int, size: int) -> bytes:
        """``size`` bytes at ``offset`` (fewer at the end of the file)."""
        return RunData(self._device, self._runs(), self._size).read_at(offset, size)


class FileMaps:
    """The runs of recently read files, computed by ``compute(ino)``; none is kept per file.

    :meth:`reader` computes a file's runs at once (so a corrupt map shows while the file is
    listed) and returns a :class:`MappedData` that asks again when it is read.
    """

    def __init__(
        self,
        device: Device,
        compute: Callable[[int], Iterable[tuple[int, int, int]]],
        files: int = 8,
    ) -> None:
        self._device = device
        self._compute = compute
        self._cache = LRU[int, Iterable[tuple[int, int, int]]](files)

    def runs(self, ino: int) -> Iterable[tuple[int, int, int]]:
        """The runs of file ``ino``."""
        runs = self._cache.get(ino)
        if runs is None:
            runs = self._compute(ino)
            self._cache.put(ino, runs)
        return runs

    def reader(self, ino: int, size: int) -> MappedData:
        """A reader of file ``ino`` of ``size`` bytes."""
        self.runs(ino)
        return MappedData(self._device, partial(self.runs, ino), size)


def _zeros(count: int, step_max: int = BLOCK_SIZE) -> Iterator[bytes]:
    while count > 0:
        step = min(count, step_max)
        yield bytes(step)
        count -= step
