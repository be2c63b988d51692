"""One object in the tree: kind, metadata, where it came from, and what analyzers kept of it."""

from __future__ import annotations

from collections.abc import Mapping

from analyzer.stream.entry import Blocks, Kind
from analyzer.stream.records import NO_RECORDS, Records

#: The empty mapping nodes share for no xattrs (typed read-only; a plain dict so that trees
#: pickle, as fleet workers send them).
_NOTHING: Mapping[str, bytes] = {}
#: Modes that mean "executable by someone".
EXEC_BITS = 0o111


class Node:
    """A file-system object. Mutable only while the tree is being built.

    ``records`` holds what per-file analyzers kept (``"text"``, ``"elf"``, ``"kernel_image"``),
    read through typed keys; hard links share it with their target; :meth:`keep` adds to it.
    ``reader`` re-reads the data for sources with random access (``None`` for archives).

    A node is the unit of the tree's memory (the entry cap of :class:`~analyzer.vfs.build.Limits`
    is derived from its size), so what most nodes lack costs nothing: no xattrs and no records
    share one empty value each, and only directories get a ``children`` dict up front.
    """

    __slots__ = (
        "_children",
        "_records",
        "gid",
        "kind",
        "layer",
        "layer_index",
        "link",
        "mode",
        "rdev",
        "reader",
        "size",
        "uid",
        "xattrs",
    )

    def __init__(
        self,
        kind: Kind,
        mode: int = 0o755,
        uid: int = 0,
        gid: int = 0,
        size: int = 0,
        link: str | None = None,
        rdev: tuple[int, int] | None = None,
        xattrs: Mapping[str, bytes] | None = None,
        layer: str | None = None,
        layer_index: int = 0,
    ) -> None:
        self.kind = kind
        self.mode = mode
        self.uid = uid
        self.gid = gid
        self.size = size
        self.link = link
        self.rdev = rdev
        self.xattrs: Mapping[str, bytes] = dict(xattrs) if xattrs else _NOTHING
        self.layer = layer
        self.layer_index = layer_index
        self._children: dict[str, Node] | None = {} if kind is Kind.DIR else None
        self._records: Records | None = None
        self.reader: Blocks | None = None

    @property
    def children(self) -> dict[str, Node]:
        """Entries of a directory by name (made on first use for other kinds)."""
        children = self._children
        if children is None:
            children = self._children = {}
        return children

    @property
    def records(self) -> Records:
        """What per-file analyzers kept, read with a :class:`~analyzer.stream.records.RecordKey`."""
        return self._records if self._records is not None else NO_RECORDS

    def keep(self, name: str, record: object) -> None:
        """Store analyzer ``name``'s record (seen by every hard link to this file)."""
        if self._records is None:
            self._records = Records()
        self._records.keep(name, record)

    @property
    def is_dir(self) -> bool:
        """True for directories."""
        return self.kind is Kind.DIR

    @property
    def is_file(self) -> bool:
        """True for regular files (hard links are regular files in the tree)."""
        return self.kind is Kind.FILE

    @property
    def is_symlink(self) -> bool:
        """True for symbolic links."""
        return self.kind is Kind.SYMLINK

    @property
    def executable(self) -> bool:
        """True when any execute bit is set."""
        return bool(self.mode & EXEC_BITS)

    def hardlink_to(self, layer: str | None, layer_index: int) -> Node:
        """A new name for this file: same metadata and shared records, its own layer."""
        twin = Node(
            Kind.FILE,
            self.mode,
            self.uid,
            self.gid,
            self.size,
            None,
            self.rdev,
            self.xattrs,
            layer,
            layer_index,
        )
        if self._records is None:
            self._records = Records()
        twin._records = self._records
        twin.reader = self.reader
        return twin

    def __repr__(self) -> str:
        return f"Node({self.kind.value}, mode={self.mode:o}, size={self.size}, link={self.link!r})"
