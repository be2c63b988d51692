"""The ``files`` fact: objects of the tree as rules about files see them, found by glob."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from analyzer.model import Location
from analyzer.stream.entry import Kind


@dataclass(frozen=True, slots=True)
class FileInfo:
    """One object of the tree as a rule about files sees it.

    ``kind`` is the object's own kind; ``target_kind`` the kind a link leads to (``None`` when
    it leads nowhere, with the reason in ``problem``); ``entries`` the number of names in a
    directory (itself or the one a link leads to); ``chain`` the link chain as text when links
    were followed. ``uid``, ``gid`` and ``target_mode`` describe where a link leads
    (``target_mode`` is ``None`` for other kinds).
    """

    path: str
    kind: Kind
    size: int
    mode: int
    location: Location
    link: str | None = None
    target_kind: Kind | None = None
    entries: int = 0
    chain: str = ""
    problem: str = ""
    uid: int = 0
    gid: int = 0
    target_mode: int | None = None

    @property
    def is_empty(self) -> bool:
        """True for an empty regular file, an empty directory, or a link to one of those."""
        kind = self.target_kind or self.kind
        if kind is Kind.FILE:
            return self.size == 0
        if kind is Kind.DIR:
            return self.entries == 0
        return False

    def describe(self) -> str:
        """``/etc/ssh/ssh_host_rsa_key (file, 2602 bytes)`` or a link with its target."""
        if self.kind is Kind.SYMLINK:
            where = f" ({self.problem})" if self.problem else ""
            return f"{self.path} -> {self.link}{where}"
        if self.kind is Kind.DIR:
            noun = "entry" if self.entries == 1 else "entries"
            return f"{self.path} (directory, {self.entries} {noun})"
        if self.kind is Kind.FILE:
            return f"{self.path} ({self.size} bytes)"
        return f"{self.path} ({self.kind})"


@dataclass(frozen=True, slots=True)
class FileContent:
    """The content of one file, or (``data`` is ``None``) the reason it cannot be given."""

    path: str
    data: bytes | None
    location: Location
    problem: str = ""

    @property
    def text(self) -> str | None:
        """The content decoded as UTF-8 (undecodable bytes replaced), or ``None``."""
        return None if self.data is None else self.data.decode("utf-8", "replace")


class FileIndex(Protocol):
    """Glob and look-up over the tree (a view: it renders as an empty object in reports)."""

    def match(self, globs: Iterable[str]) -> list[FileInfo]:
        """Every object matching any of ``globs``, sorted by path, each once."""

    def info(self, path: str) -> FileInfo | None:
        """Describe the object at ``path`` (a final link is described, then followed)."""

    def content(self, path: str) -> FileContent:
        """The content of ``path`` if a rule pack's ``capture:`` kept it, else why not."""


@dataclass(frozen=True, slots=True)
class DetachedFileIndex:
    """The index of a result whose tree is gone (sent back by a fleet worker).

    It matches nothing and renders, like a live index, as an empty object.
    """

    def match(self, globs: Iterable[str]) -> list[FileInfo]:
        """Nothing: the tree is not here any more."""
        del globs
        return []

    def info(self, path: str) -> FileInfo | None:
        """Nothing: the tree is not here any more."""
        del path
        return None

    def content(self, path: str) -> FileContent:
        """Nothing: the tree is not here any more."""
        return FileContent(path, None, Location(path), "the image's tree is not kept")


#: The one detached index.
NO_FILES = DetachedFileIndex()
