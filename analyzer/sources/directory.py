"""A root file system given as a host directory, walked without ever following a link.

Every object is described with ``lstat``; files are opened with ``O_NOFOLLOW`` and read only
when an analyzer asks. Works on read-only trees; nothing is ever written. Like ``find -xdev``
the walk stays on the root's file system, so pointing it at a live ``/`` never descends into
``/proc`` or ``/sys``. Once the source is closed its file readers refuse to read.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator

from analyzer.errors import SourceError
from analyzer.model import LayerInfo, Level, Notification
from analyzer.stream.entry import (
    BLOCK_SIZE,
    Blocks,
    Entry,
    Gate,
    Kind,
    LayerStream,
    kind_of,
    no_data,
)

_CAPABILITY = "security.capability"


class DirectorySource:
    """Entries of a directory tree, parents before children, in sorted order."""

    def __init__(self, root: str) -> None:
        if not os.path.isdir(root):
            raise SourceError(f"{root}: not a directory")
        self.root = root
        self.notifications: list[Notification] = []
        self._inodes: dict[tuple[int, int], str] = {}
        self._device = os.lstat(root).st_dev
        self._gate = Gate(root)

    def layers(self) -> Iterator[LayerStream]:
        """One layer holding the whole tree; its data stays readable after the pass."""
        yield LayerStream(LayerInfo("rootfs", f"directory {self.root}"), self._walk(), False, True)

    def _walk(self) -> Iterator[tuple[Entry, Blocks]]:
        pending = [""]
        while pending:
            relative = pending.pop()
            host_dir = os.path.join(self.root, relative) if relative else self.root
            try:
                with os.scandir(host_dir) as listing:
                    children = sorted(listing, key=lambda item: item.name)
            except OSError as exc:
                self._note(relative or "/", f"directory not readable: {exc.strerror}")
                continue
            subdirs = []
            for child in children:
                name = f"{relative}/{child.name}" if relative else child.name
                try:
                    info = child.stat(follow_symlinks=False)
                except OSError as exc:
                    self._note(name, f"cannot stat: {exc.strerror}")
                    continue
                entry = self._entry(name, child.path, info)
                if entry is None:
                    continue
                blocks: Blocks = no_data
                if entry.kind is Kind.FILE:
                    blocks = _FileData(child.path, self._gate)
                yield entry, blocks
                if entry.kind is Kind.DIR and info.st_dev == self._device:
                    subdirs.append(name)
                elif entry.kind is Kind.DIR:
                    self.notifications.append(
                        Notification(
                            Level.NOTE,
                            "entry.mountpoint",
                            f"/{name}: another file system is mounted here; not scanned",
                        )
                    )
            pending.extend(reversed(subdirs))

    def _entry(self, name: str, host_path: str, info: os.stat_result) -> Entry | None:
        kind = kind_of(info.st_mode)
        if kind is None:
            self._note(name, "unknown file type skipped")
            return None
        link = None
        if kind is Kind.SYMLINK:
            link = os.readlink(host_path)
        elif kind is Kind.FILE and info.st_nlink > 1:
            key = (info.st_dev, info.st_ino)
            first = self._inodes.setdefault(key, name)
            if first != name:
                kind, link = Kind.HARDLINK, first
        rdev = None
        if kind in (Kind.CHAR, Kind.BLOCK):
            rdev = (os.major(info.st_rdev), os.minor(info.st_rdev))
        return Entry(
            name=name,
            kind=kind,
            mode=stat.S_IMODE(info.st_mode),
            uid=info.st_uid,
            gid=info.st_gid,
            size=info.st_size if kind is Kind.FILE else 0,
            link=link,
            rdev=rdev,
            xattrs=_capability(host_path) if kind is Kind.FILE else {},
        )

    def close(self) -> None:
        """Refuse every later read of the files it described."""
        self._gate.close()

    def _note(self, name: str, message: str) -> None:
        self.notifications.append(
            Notification(Level.ERROR, "entry.unreadable", f"/{name.lstrip('/')}: {message}")
        )


def _capability(host_path: str) -> dict[str, bytes]:
    try:
        return {_CAPABILITY: os.getxattr(host_path, _CAPABILITY, follow_symlinks=False)}
    except OSError:
        return {}


class _FileData:
    """Streams one host file or reads a range of it; opened anew for every call."""

    __slots__ = ("_gate", "_path")

    def __init__(self, host_path: str, gate: Gate) -> None:
        self._path = host_path
        self._gate = gate

    def _open(self) -> int | None:
        """A descriptor of the file, ``None`` when it is now a symbolic link."""
        self._gate.check()
        try:
            return os.open(self._path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                return None
            raise SourceError(f"{self._path}: cannot read: {exc.strerror}") from exc

    def __call__(self) -> Iterator[bytes]:
        """The file's bytes, ``BLOCK_SIZE`` at a time."""
        fd = self._open()
        if fd is None:
            return
        with os.fdopen(fd, "rb", buffering=0) as handle:
            while True:
                try:
                    block = handle.read(BLOCK_SIZE)
                except OSError as exc:
                    raise SourceError(f"{self._path}: cannot read: {exc.strerror}") from exc
                if not block:
                    return
                yield block

    def read_at(self, offset: int, size: int) -> bytes:
        """``size`` bytes at ``offset`` (fewer at the end of the file)."""
        offset = max(offset, 0)
        fd = self._open()
        if fd is None:
            return b""
        try:
            parts = []
            while size > 0:
                data = os.pread(fd, size, offset)
                if not data:
                    break
                parts.append(data)
                offset += len(data)
                size -= len(data)
            return b"".join(parts)
        except OSError as exc:
            raise SourceError(f"{self._path}: cannot read: {exc.strerror}") from exc
        finally:
            os.close(fd)
