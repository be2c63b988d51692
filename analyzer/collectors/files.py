"""The ``files`` fact: a read-only index over the tree, for rules about individual files.

Rules whose subject is ``file: GLOB ...`` (see :mod:`analyzer.policy.subjects`) are evaluated
once per object that matches one of their globs. The index answers those globs and describes
each match as a :class:`FileInfo`: its kind, size, mode, link target and where links lead.
Only metadata is described; content stays with the collectors that declared it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from analyzer.collectors.base import CollectContext
from analyzer.facts import Fact, Facts
from analyzer.model import Location, Notification
from analyzer.stream.capture import CapturePattern
from analyzer.vfs.tree import ResolveError, Tree


@dataclass(frozen=True, slots=True)
class FileInfo:
    """One object of the tree as a rule about files sees it.

    ``kind`` is the object's own kind (``file``, ``dir``, ``symlink``, ``char`` ...);
    ``target_kind`` the kind a link leads to (``None`` when it leads nowhere, with the reason in
    ``problem``); ``entries`` the number of names in a directory (itself or the one a link
    leads to); ``chain`` the link chain as text when links were followed. ``uid``, ``gid`` and
    ``target_mode`` describe where a link leads (``target_mode`` is ``None`` for other kinds).
    """

    path: str
    kind: str
    size: int
    mode: int
    location: Location
    link: str | None = None
    target_kind: str | None = None
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
        if kind == "file":
            return self.size == 0
        if kind == "dir":
            return self.entries == 0
        return False

    def describe(self) -> str:
        """``/etc/ssh/ssh_host_rsa_key (file, 2602 bytes)`` or a link with its target."""
        if self.kind == "symlink":
            where = f" ({self.problem})" if self.problem else ""
            return f"{self.path} -> {self.link}{where}"
        if self.kind == "dir":
            noun = "entry" if self.entries == 1 else "entries"
            return f"{self.path} (directory, {self.entries} {noun})"
        if self.kind == "file":
            return f"{self.path} ({self.size} bytes)"
        return f"{self.path} ({self.kind})"


@dataclass(frozen=True, slots=True)
class FileIndex:
    """Glob and look-up over the tree; renders as an empty object in reports."""

    _tree: Tree = field(repr=False)

    def match(self, globs: Iterable[str]) -> list[FileInfo]:
        """Every object matching any of ``globs``, sorted by path, each once."""
        paths: set[str] = set()
        for pattern in globs:
            paths.update(self._tree.glob(pattern))
        found = (self.info(path) for path in sorted(paths))
        return [info for info in found if info is not None]

    def info(self, path: str) -> FileInfo | None:
        """Describe the object at ``path`` (a final link is described, then followed)."""
        tree = self._tree
        try:
            node = tree.lstat(path)
        except ResolveError:
            return None
        location = tree.location(path, follow=not node.is_symlink)
        base = FileInfo(path, node.kind.value, node.size, node.mode, location, node.link)
        base = dataclasses.replace(base, uid=node.uid, gid=node.gid)
        if node.is_dir:
            return dataclasses.replace(base, entries=len(node.children))
        if not node.is_symlink:
            return base
        try:
            found = tree.resolve(path)
        except ResolveError as exc:
            return dataclasses.replace(base, problem=exc.reason.replace("_", " "))
        target = found.node
        return dataclasses.replace(
            base,
            target_kind=target.kind.value,
            size=target.size if target.is_file else 0,
            entries=len(target.children) if target.is_dir else 0,
            chain=found.describe_chain(),
            uid=target.uid,
            gid=target.gid,
            target_mode=target.mode,
        )


class FileIndexCollector:
    """Produces the ``files`` fact (always present)."""

    name = "files"
    provides = ("files",)
    requires: tuple[str, ...] = ()
    capture: tuple[CapturePattern, ...] = ()

    def collect(
        self, ctx: CollectContext, facts: Facts, notes: list[Notification]
    ) -> dict[str, Fact[Any]]:
        """Wrap the tree."""
        del facts, notes
        return {"files": Fact.present(FileIndex(ctx.tree))}
