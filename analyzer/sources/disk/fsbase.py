"""What every file-system reader offers, and the walk that turns one into entries.

A reader exposes inodes by number: :meth:`FileSystem.inode` (metadata), ``listdir`` (names
and inode numbers, without ``.`` and ``..``) and ``blocks`` (a data reader that is also a
:class:`~analyzer.stream.entry.RandomAccess`: a :class:`~analyzer.sources.disk.device.RunData`
over the file's extents, or :class:`~analyzer.stream.entry.BytesData` for inline data).
:func:`walk` emits directories before their children, prefixes every name with the mount
point, turns later names of a multiply-linked file into hard links, refuses directory loops,
skips the subtrees other file systems are mounted over, and turns a per-object read error
into a notification instead of ending the walk.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from analyzer.errors import SourceError, raise_bugs
from analyzer.model import Level, Location, Notification
from analyzer.stream.entry import Blocks, Entry, Kind, no_data
from analyzer.stream.paths import MAX_HOPS

#: Deepest directory nesting walked.
MAX_DEPTH = 4096
#: What decoding corrupt metadata can raise besides :class:`SourceError`: a short buffer
#: unpacked outside :func:`~analyzer.sources.disk.device.unpack`, a field out of a
#: conversion's range, a size too large, a tree too deep. ``KeyError`` and ``IndexError`` are
#: not here: they are bugs, and surface as such (see :func:`analyzer.errors.raise_bugs`).
CORRUPT: tuple[type[Exception], ...] = (
    struct.error,
    ValueError,
    OverflowError,
    RecursionError,
)
#: Everything reading one object of a corrupt file system can raise.
READ_ERRORS: tuple[type[Exception], ...] = (SourceError, *CORRUPT)


@dataclass(frozen=True, slots=True)
class Inode:
    """Metadata of one object, as a file-system reader decodes it."""

    kind: Kind
    mode: int
    uid: int = 0
    gid: int = 0
    size: int = 0
    nlink: int = 1
    rdev: tuple[int, int] | None = None
    link: str | None = None
    xattrs: Mapping[str, bytes] = field(default_factory=dict)


@dataclass
class Notes:
    """The channel through which a file-system reader reports what it finds about its volume.

    Readers get one when they are opened and add what a user must know about the volume as a
    whole: a journal that needs recovery, a dirty log, a checksum that does not match, a
    feature read on a best-effort basis. Everything added ends in the run's notifications
    (``ERROR`` makes the run incomplete), each message prefixed with the volume's name.
    """

    volume: str
    items: list[Notification] = field(default_factory=list)

    def add(self, level: Level, code: str, message: str) -> None:
        """Record ``message`` about the volume under ``code`` (``disk.ext.journal``, ...)."""
        self.items.append(Notification(level, code, f"{self.volume}: {message}"))


class FileSystem(Protocol):
    """A read-only file-system reader."""

    fstype: str
    uuid: str | None
    label: str | None
    root: int

    def inode(self, ino: int) -> Inode:
        """Metadata of inode ``ino``; :class:`SourceError` when it cannot be read."""
        ...

    def listdir(self, ino: int) -> list[tuple[str, int]]:
        """``(name, inode)`` of a directory, ``.`` and ``..`` excluded."""
        ...

    def blocks(self, ino: int, inode: Inode) -> Blocks:
        """Return a reader of the file's bytes, valid at any time, with ``read_at``."""
        ...


def lookup(fs: FileSystem, path: str) -> tuple[int, Inode] | None:
    """Find ``path`` inside ``fs``, following links relative to the fs root; ``None`` if absent."""
    parts = [p for p in path.split("/") if p and p != "."]
    stack: list[tuple[int, Inode]] = [(fs.root, fs.inode(fs.root))]
    hops = 0
    while parts:
        name = parts.pop(0)
        if name == "..":
            if len(stack) > 1:
                stack.pop()
            continue
        ino, node = stack[-1]
        if node.kind is not Kind.DIR:
            return None
        found = dict(fs.listdir(ino)).get(name)
        if found is None:
            return None
        child = fs.inode(found)
        if child.kind is Kind.SYMLINK:
            hops += 1
            if hops > MAX_HOPS:
                return None
            target = child.link or ""
            if target.startswith("/"):
                del stack[1:]
            parts = [p for p in target.split("/") if p and p != "."] + parts
            continue
        stack.append((found, child))
    return stack[-1]


def read_file(fs: FileSystem, path: str, cap: int = 1 << 20) -> bytes | None:
    """Up to ``cap`` bytes of the regular file at ``path``, or ``None``."""
    found = lookup(fs, path)
    if found is None or found[1].kind is not Kind.FILE:
        return None
    out = bytearray()
    for block in fs.blocks(*found)():
        out += block
        if len(out) >= cap:
            break
    return bytes(out[:cap])


@dataclass
class Walk:
    """One walk of a file system mounted at ``mountpoint``, hiding ``hidden`` subtrees."""

    fs: FileSystem
    mountpoint: str
    layer: str
    hidden: frozenset[str] = frozenset()
    notifications: list[Notification] = field(default_factory=list)

    def _path(self, rel: str) -> str:
        if self.mountpoint == "/":
            return rel or "/"
        return self.mountpoint + rel if rel else self.mountpoint

    def _note(self, path: str, message: str) -> None:
        self.notifications.append(
            Notification(
                Level.ERROR,
                "disk.entry",
                f"{self.layer}: {path}: {message}",
                Location(path, layer=self.layer),
            )
        )

    def _failed(self, path: str, what: str, exc: Exception) -> None:
        """Note a read error; a reader bug is re-raised, or noted as a crash in production."""
        if isinstance(exc, READ_ERRORS):
            self._note(path, f"{what}: {exc}")
            return
        if raise_bugs():
            raise exc
        self.notifications.append(
            Notification(
                Level.ERROR,
                "disk.reader.crashed",
                f"{self.layer}: {path}: {what}: the {self.fs.fstype} reader failed: {exc!r}",
                Location(path, layer=self.layer),
            )
        )

    def entries(self) -> Iterator[tuple[Entry, Blocks]]:
        """Entries in parent-before-child order, names prefixed with the mount point."""
        fs = self.fs
        root = fs.inode(fs.root)
        yield self._entry(self._path(""), root, None), no_data
        first_names: dict[int, str] = {}
        visited = {fs.root}
        pending: list[tuple[str, int, int]] = [("", fs.root, 0)]
        while pending:
            rel, ino, depth = pending.pop()
            try:
                children = sorted(fs.listdir(ino))
            except Exception as exc:  # noqa: BLE001 - a reader bug is reported, see _failed
                self._failed(self._path(rel), "directory unreadable", exc)
                continue
            subdirs: list[tuple[str, int, int]] = []
            for name, child_ino in children:
                if not name or "/" in name or name in (".", ".."):
                    continue
                child_rel = f"{rel}/{name}"
                path = self._path(child_rel)
                try:
                    node = fs.inode(child_ino)
                except Exception as exc:  # noqa: BLE001 - a reader bug is reported, see _failed
                    self._failed(path, f"inode {child_ino} unreadable", exc)
                    continue
                if node.kind is Kind.DIR:
                    if child_ino in visited or depth >= MAX_DEPTH:
                        self._note(path, "directory loop or excessive depth; skipped")
                        continue
                    visited.add(child_ino)
                    yield self._entry(path, node, None), no_data
                    if path not in self.hidden:
                        subdirs.append((child_rel, child_ino, depth + 1))
                    continue
                if node.kind is Kind.FILE and node.nlink > 1:
                    first = first_names.get(child_ino)
                    if first is not None:
                        yield self._entry(path, node, first), no_data
                        continue
                    first_names[child_ino] = path
                data: Blocks = no_data
                if node.kind is Kind.FILE:
                    try:
                        data = fs.blocks(child_ino, node)
                    except Exception as exc:  # noqa: BLE001 - a reader bug is reported
                        self._failed(path, "data unreadable", exc)
                yield self._entry(path, node, None), data
            pending.extend(reversed(subdirs))

    @staticmethod
    def _entry(path: str, node: Inode, hardlink_to: str | None) -> Entry:
        if hardlink_to is not None:
            return Entry(
                path,
                Kind.HARDLINK,
                node.mode,
                node.uid,
                node.gid,
                node.size,
                hardlink_to,
                None,
                node.xattrs,
            )
        return Entry(
            path,
            node.kind,
            node.mode,
            node.uid,
            node.gid,
            node.size if node.kind is Kind.FILE else 0,
            node.link,
            node.rdev,
            node.xattrs,
        )
