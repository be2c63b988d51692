"""The ``files`` fact: a read-only index over the tree, for rules about individual files.

Rules whose subject is ``{file: [GLOB, ...]}`` (see :mod:`analyzer.policy.subjects`) are evaluated
once per object that matches one of their globs. The index answers those globs and describes
each match as a :class:`~analyzer.facts.files.FileInfo`: its kind, size, mode, link target
and where links lead. Only metadata is described; :meth:`TreeFileIndex.content` gives the
content of the files that rule packs declared in ``capture:``
(:mod:`analyzer.collectors.filecontent`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field

from analyzer.collectors.base import CollectContext
from analyzer.collectors.filecontent import capped_files, read_content
from analyzer.facts import FILES
from analyzer.facts.files import FileContent, FileInfo
from analyzer.model import Fact, FactId, Facts, FactStore, Notification
from analyzer.stream.capture import CapturePattern
from analyzer.vfs.tree import ResolveError, Tree


@dataclass(frozen=True, slots=True)
class TreeFileIndex:
    """The :class:`~analyzer.facts.files.FileIndex` of a tree; renders as an empty object."""

    _tree: Tree = field(repr=False)
    _captures: tuple[CapturePattern, ...] = field(default=(), repr=False)

    def match(self, globs: Iterable[str]) -> list[FileInfo]:
        """Every object matching any of ``globs``, sorted by path, each once."""
        paths: set[str] = set()
        for pattern in globs:
            paths.update(self._tree.glob(pattern))
        found = (self.info(path) for path in sorted(paths))
        return [info for info in found if info is not None]

    def content(self, path: str) -> FileContent:
        """The content of ``path`` if a rule pack's ``capture:`` kept it, else why not."""
        return read_content(self._tree, self._captures, path)

    def info(self, path: str) -> FileInfo | None:
        """Describe the object at ``path`` (a final link is described, then followed)."""
        tree = self._tree
        try:
            node = tree.lstat(path)
        except ResolveError:
            return None
        location = tree.location(path, follow=not node.is_symlink)
        base = FileInfo(path, node.kind, node.size, node.mode, location, node.link)
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
            target_kind=target.kind,
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
    provides: tuple[FactId, ...] = (FILES,)
    requires: tuple[FactId, ...] = ()
    capture: tuple[CapturePattern, ...] = ()

    def collect(self, ctx: CollectContext, facts: Facts, notes: list[Notification]) -> FactStore:
        """Wrap the tree, with the captures the selected rule packs declared."""
        del facts
        notes.extend(capped_files(ctx.tree, ctx.capture))
        return FactStore.one(FILES, Fact.present(TreeFileIndex(ctx.tree, ctx.capture)))
