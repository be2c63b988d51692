"""One object in the tree: kind, metadata, where it came from, and what analyzers kept of it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from analyzer.sources.entry import Blocks, Kind

#: Modes that mean "executable by someone".
EXEC_BITS = 0o111


class Node:
    """A file-system object. Mutable only while the tree is being built.

    ``records`` holds what per-file analyzers kept (``"text"``, ``"elf"``, ``"kernel_image"``);
    hard links share it with their target. ``reader`` re-reads the data for sources with random
    access; it is ``None`` for streamed archives.
    """

    __slots__ = (
        "children",
        "gid",
        "kind",
        "layer",
        "layer_index",
        "link",
        "mode",
        "rdev",
        "reader",
        "records",
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
        self.xattrs: Mapping[str, bytes] = dict(xattrs or {})
        self.layer = layer
        self.layer_index = layer_index
        self.children: dict[str, Node] = {}
        self.records: dict[str, Any] = {}
        self.reader: Blocks | None = None

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
        twin.records = self.records
        twin.reader = self.reader
        return twin

    def __repr__(self) -> str:
        return f"Node({self.kind.value}, mode={self.mode:o}, size={self.size}, link={self.link!r})"
