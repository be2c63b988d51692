"""The single pass: apply layer streams to a tree, offering each regular file to the analyzers.

Layer semantics are settled here, once: later entries and layers win, ``.wh.NAME`` deletes
``NAME`` from lower layers, ``.wh..wh..opq`` hides a directory's lower content, other
``.wh..wh.`` names are ignored, and a whiteout never reaches outside its own directory.
What a layer deletes (by a whiteout, or hides by an opaque directory) is remembered by its
real path with the deleting layer (:attr:`Tree.deleted`), so that a finding about something
missing names the layer that removed it.

Each regular file is offered to the per-file analyzers that want its path
(:mod:`analyzer.vfs.offer`) and read only as far as their sinks need; on a seekable source an
unreadable file becomes an ``entry.unreadable`` notification, on a stream it ends the layer.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from analyzer.errors import LimitExceeded, SourceError
from analyzer.model import Level, Location, Notification
from analyzer.progress import EVERY_ENTRIES, Progress, ProgressCallback, Stage, ignore
from analyzer.stream.entry import Blocks, Entry, Kind, LayerStream
from analyzer.stream.paths import basename, normalize, parent, split
from analyzer.stream.records import RecordKey
from analyzer.stream.sink import FileAnalyzer
from analyzer.vfs.node import Node
from analyzer.vfs.offer import offer
from analyzer.vfs.records import RecordMeter
from analyzer.vfs.tree import Tree, new_root

WHITEOUT = ".wh."
OPAQUE = ".wh..wh..opq"


#: Bytes one tree node costs with its slot in the parent directory, name aside (measured with
#: ``tracemalloc``: about 230; a test keeps it within this).
NODE_BYTES = 256
#: The part of the memory budget (``docs/safety.md``: 300 MB for any scan) given to the tree.
TREE_BUDGET = 200 << 20
#: Bytes of names the tree may hold (names are as long as the input makes them).
MAX_NAME_BYTES = 32 << 20
#: Bytes of analyzer records the tree may hold (ELF records, captured texts, kernel facts),
#: measured by :class:`~analyzer.vfs.records.RecordMeter`.
MAX_RECORD_BYTES = 32 << 20
#: What the table of a node's records costs besides the records (a one-entry dict).
_RECORDS_TABLE = sys.getsizeof({"elf": None})


@dataclass(frozen=True, slots=True)
class Limits:
    """Caps that keep a hostile input from exhausting memory or time.

    ``max_entries`` counts the tree's nodes (every entry, and every directory an entry's
    path implies), ``max_name_bytes`` the bytes of their names and ``max_record_bytes`` what
    the analyzers keep on them: together they keep the tree within :data:`TREE_BUDGET`.
    """

    max_entries: int = (TREE_BUDGET - MAX_NAME_BYTES - MAX_RECORD_BYTES) // NODE_BYTES
    max_name_bytes: int = MAX_NAME_BYTES
    max_record_bytes: int = MAX_RECORD_BYTES
    max_analyzed_bytes: int = 1 << 40


@dataclass
class PassReport:
    """What the pass noticed: notifications, and whether the input was read to its end."""

    notifications: list[Notification] = field(default_factory=list)
    complete: bool = True
    entries: int = 0
    #: Sizes of the regular files among ``entries``, added up.
    file_bytes: int = 0

    def note(self, level: Level, code: str, message: str, path: str | None = None) -> None:
        """Record a notification."""
        location = Location(path) if path else None
        self.notifications.append(Notification(level, code, message, location))


class TreeBuilder:
    """Builds one :class:`Tree` from layer streams; see the module docstring for the rules."""

    def __init__(
        self,
        analyzers: Sequence[FileAnalyzer],
        limits: Limits | None = None,
        report: PassReport | None = None,
        progress: ProgressCallback | None = None,
    ) -> None:
        self._analyzers = analyzers
        self._progress = progress or ignore
        self._layer_name = ""
        self._limits = limits or Limits()
        self.report = report or PassReport()
        self._root = new_root()
        self._layer_index = 0
        self._layer_id: str | None = None
        self._random_access = True
        #: The directory of the previous entry: archives list siblings together.
        self._last_dir: tuple[str, Node] | None = None
        self._nodes = 0
        self._name_bytes = 0
        #: ``(directory, name)`` of each object a layer deleted (the topmost of a deleted
        #: subtree; siblings share one directory string) -> that layer.
        self._deleted: dict[tuple[str, str], str | None] = {}
        self._records = RecordMeter()

    def build(self, layers: Iterable[LayerStream]) -> Tree:
        """Apply every layer in order and return the finished tree."""
        for index, layer in enumerate(layers, start=1):
            self._layer_index = index
            self._layer_id = layer.info.id
            self._layer_name = layer.info.description or layer.info.id
            self._random_access &= layer.random_access
            self._tell()
            self._apply(layer)
        self._tell()
        return Tree(self._root, self._random_access, self._deleted)

    @property
    def record_bytes(self) -> int:
        """Memory of the records the analyzers kept on the tree's nodes, as metered."""
        return self._records.total

    def _tell(self) -> None:
        """Hand the progress callback a snapshot of the pass."""
        self._progress(
            Progress(
                Stage.READING,
                self.report.entries,
                self.report.file_bytes,
                self._layer_name,
                self._layer_index,
            )
        )

    def _apply(self, layer: LayerStream) -> None:
        self._last_dir = None
        try:
            for entry, blocks in layer.entries:
                self.report.entries += 1
                if entry.kind is Kind.FILE:
                    self.report.file_bytes += entry.size
                if self.report.entries % EVERY_ENTRIES == 0:
                    self._tell()
                self._add(entry, blocks, layer)
        except LimitExceeded as exc:
            self.report.complete = False
            self.report.note(Level.ERROR, "limit", f"{layer.info.id}: {exc}")
        except SourceError as exc:
            if self.report.entries == 0 and self._layer_index == 1:
                raise
            self.report.complete = False
            self.report.note(
                Level.ERROR,
                "source.partial",
                f"{layer.info.id}: {exc}; the report covers only what was read before",
            )
        finally:
            close = getattr(layer.entries, "close", None)
            if close is not None:
                close()

    def _add(self, entry: Entry, blocks: Blocks, layer: LayerStream) -> None:
        path = normalize(entry.name)
        if layer.whiteouts and self._whiteout(entry.name, path):
            return
        if path == "/":
            if entry.kind is Kind.DIR:
                self._root.mode, self._root.uid, self._root.gid = entry.mode, entry.uid, entry.gid
            return
        head, _, name = path.rpartition("/")
        directory = self._parent_of(head or "/")
        if entry.kind is Kind.HARDLINK:
            node = self._hardlink(entry, path)
            if node is None:
                return
        else:
            node = Node(
                entry.kind,
                entry.mode,
                entry.uid,
                entry.gid,
                entry.size if entry.kind is Kind.FILE else 0,
                entry.link,
                entry.rdev,
                entry.xattrs,
                self._layer_id,
                self._layer_index,
            )
        old = directory.children.get(name)
        if old is not None and old.is_dir and node.is_dir:
            old.mode, old.uid, old.gid = node.mode, node.uid, node.gid
            old.layer, old.layer_index = node.layer, node.layer_index
            return
        if old is not None and old.is_dir:
            self._last_dir = None
        if old is None:
            self._grow(name)
        directory.children[name] = node
        if entry.kind is Kind.FILE:
            if layer.random_access:
                node.reader = blocks
            self._analyze(path, node, blocks, layer.random_access)

    def _grow(self, name: str) -> None:
        """Account for one more node named ``name``; past the limits, stop reading."""
        self._nodes += 1
        self._name_bytes += len(name)
        limits = self._limits
        if self._nodes > limits.max_entries:
            raise LimitExceeded(f"more than {limits.max_entries} entries; stopped reading")
        if self._name_bytes > limits.max_name_bytes:
            raise LimitExceeded(
                f"names longer than {limits.max_name_bytes} bytes in all; stopped reading"
            )

    def _whiteout(self, raw: str, path: str) -> bool:
        """Apply a whiteout entry; true when ``path`` was one (and is not a file to add).

        A whiteout only acts inside the directory that holds it and only on what lower
        layers put there: a name with ``..`` components, a bare ``.wh.`` and ``.wh...`` are
        ignored, and links are never followed to find the directory.
        """
        name = basename(path)
        if not name.startswith(WHITEOUT):
            return False
        if ".." in raw.split("\0", 1)[0].split("/"):
            self.report.note(
                Level.WARNING,
                "entry.whiteout",
                f"whiteout {raw!r} names a parent directory; ignored",
                path,
            )
            return True
        directory = self._existing_directory(parent(path))
        if directory is None:
            return True
        if name == OPAQUE:
            self._prune_lower(directory, parent(path))
            return True
        if name.startswith(WHITEOUT + WHITEOUT):
            return True
        hidden = name[len(WHITEOUT) :]
        victim = directory.children.get(hidden) if hidden not in ("", ".", "..") else None
        if victim is None:
            return True
        self._last_dir = None
        if victim.layer_index < self._layer_index:
            del directory.children[hidden]
            self._deleted[parent(path), hidden] = self._layer_id
        elif victim.is_dir:
            self._prune_lower(victim, _child(parent(path), hidden))
        return True

    def _prune_lower(self, top: Node, top_path: str) -> None:
        """Remove everything under ``top`` that a lower layer put there (iteratively)."""
        self._last_dir = None
        pending = [(top, top_path)]
        while pending:
            directory, where = pending.pop()
            for child_name, child in list(directory.children.items()):
                if child.layer_index < self._layer_index:
                    del directory.children[child_name]
                    self._deleted[where, child_name] = self._layer_id
                elif child.is_dir:
                    pending.append((child, _child(where, child_name)))

    def _existing_directory(self, path: str) -> Node | None:
        node = self._root
        for part in split(path):
            child = node.children.get(part)
            if child is None or not child.is_dir:
                return None
            node = child
        return node

    def _parent_of(self, path: str) -> Node:
        """:meth:`_directory`, remembering the last answer while it is still in the tree."""
        last = self._last_dir
        if last is not None and last[0] == path:
            return last[1]
        node = self._directory(path)
        self._last_dir = (path, node)
        return node

    def _directory(self, path: str) -> Node:
        """The directory at ``path``, created (or replacing a non-directory) as needed."""
        node = self._root
        for part in split(path):
            child = node.children.get(part)
            if child is None or not child.is_dir:
                if child is None:
                    self._grow(part)
                child = Node(Kind.DIR, 0o755, layer=self._layer_id, layer_index=self._layer_index)
                node.children[part] = child
            node = child
        return node

    def _hardlink(self, entry: Entry, path: str) -> Node | None:
        target_path = normalize(entry.link or "")
        target = self._existing_directory(parent(target_path))
        node = target.children.get(basename(target_path)) if target else None
        if node is None or not node.is_file:
            self.report.note(
                Level.WARNING,
                "entry.hardlink",
                f"hard link {path} -> {target_path}: target is not an earlier regular file",
                path,
            )
            return None
        return node.hardlink_to(self._layer_id, self._layer_index)

    def _analyze(self, path: str, node: Node, blocks: Blocks, random_access: bool) -> None:
        interested = [a for a in self._analyzers if a.wants(path, node.size)]
        if not interested:
            return
        kept = len(node.records.names())
        try:
            offer(path, node, blocks, interested, self.report.note)
        except SourceError as exc:
            if not random_access:
                raise
            self.report.note(Level.ERROR, "entry.unreadable", str(exc), path)
        if len(node.records.names()) != kept:
            self._count_records(node, kept)

    def _count_records(self, node: Node, kept: int) -> None:
        """Account for the records just kept on ``node``; past the limit, stop reading."""
        records = node.records
        meter = self._records
        if not kept:
            meter.total += sys.getsizeof(records) + _RECORDS_TABLE
        for name in records.names()[kept:]:
            meter.add(records.get(RecordKey(name, object)))
        limit = self._limits.max_record_bytes
        if meter.total > limit:
            raise LimitExceeded(
                f"analyzer records (ELF, captured text) over {limit} bytes; stopped reading"
            )


def _child(directory: str, name: str) -> str:
    """The path of ``name`` in the directory at ``directory``."""
    return f"{directory.rstrip('/')}/{name}"
