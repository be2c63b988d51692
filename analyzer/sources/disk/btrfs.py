"""btrfs, read-only: subvolumes, inodes, directories, extents (see :mod:`btrfs_tree`).

Inode numbers handed to :func:`~analyzer.sources.disk.fsbase.walk` carry their subvolume:
``(tree id << 64) | objectid``, so a directory entry that is a nested subvolume leads into
that subvolume's tree, as the kernel shows it. The reader opens on the default subvolume;
:meth:`BtrfsFileSystem.at_subvolume` gives the same file system rooted at another one (what
``subvol=`` / ``subvolid=`` mount). Nested subvolumes listed in ``skip`` (mounted elsewhere,
or snapshots) read as empty directories. Only ``security.*`` extended attributes are kept.
"""

from __future__ import annotations

import copy
import struct
from dataclasses import dataclass

from analyzer.errors import SourceError
from analyzer.model import Level
from analyzer.sources.disk.btrfs_data import ExtentCache, file_data
from analyzer.sources.disk.btrfs_tree import (
    DIR_INDEX,
    DIR_ITEM,
    EXTENT_DATA,
    FS_TREE,
    INODE_ITEM,
    INODE_REF,
    ROOT_BACKREF,
    ROOT_ITEM,
    ROOT_TREE_DIR,
    XATTR_ITEM,
    BtrfsTrees,
    read_superblock,
    uuid_text,
)
from analyzer.sources.disk.device import Device, check
from analyzer.sources.disk.fsbase import Inode, Notes
from analyzer.stream.entry import Blocks, Kind, kind_of

_SHIFT = 64
_MASK = (1 << _SHIFT) - 1
_INODE = struct.Struct("<QQQQQIIII")
_DIR = struct.Struct("<QBQQHHB")
_LAST = (1 << 64) - 1
#: Deepest directory chain followed when naming a subvolume.
_MAX_PATH = 4096
_MAX_SYMLINK = 4096


@dataclass(frozen=True, slots=True)
class Subvolume:
    """A subvolume: its id, path from the top level, and whether it is a snapshot."""

    id: int
    path: str
    snapshot: bool


@dataclass(frozen=True, slots=True)
class _Root:
    bytenr: int
    level: int
    dirid: int
    snapshot: bool


def _dir_entries(data: bytes, name: str) -> list[tuple[bytes, tuple[int, int, int], bytes]]:
    """``(name, location key, value)`` of the packed ``btrfs_dir_item`` records of one item."""
    out = []
    pos = 0
    while pos + _DIR.size <= len(data):
        oid, ktype, off, _transid, data_len, name_len, _type = _DIR.unpack_from(data, pos)
        start = pos + _DIR.size
        check(start + name_len + data_len <= len(data), name, "corrupt btrfs: directory item")
        entry = data[start : start + name_len]
        value = data[start + name_len : start + name_len + data_len]
        out.append((entry, (oid, ktype, off), value))
        pos = start + name_len + data_len
    return out


class BtrfsFileSystem:
    """A single-device btrfs file system, rooted at one subvolume."""

    fstype = "btrfs"

    def __init__(self, device: Device, name: str, notes: Notes | None = None) -> None:
        self.name = name
        self._device = device
        sb = read_superblock(device, name)
        if sb.note and notes is not None:
            notes.add(Level.WARNING, "disk.btrfs.superblock", sb.note)
        self.trees = BtrfsTrees(device, sb, name)
        self._extents = ExtentCache(device, sb.sector_size, name)
        self.uuid: str | None = uuid_text(sb.uuid)
        self.label: str | None = sb.label or None
        self._roots: dict[int, _Root] = {}
        self.skip: frozenset[int] = frozenset()
        self.subvolume = self.default_subvolume()
        self.root = self._pack(self.subvolume, self._tree(self.subvolume).dirid)

    @staticmethod
    def _pack(tree: int, objectid: int) -> int:
        return tree << _SHIFT | objectid

    def _tree(self, tree: int) -> _Root:
        found = self._roots.get(tree)
        if found is not None:
            return found
        sb = self.trees.sb
        item = None
        for _key, data in self.trees.search(
            sb.root, sb.root_level, (tree, ROOT_ITEM, 0), (tree, ROOT_ITEM, _LAST)
        ):
            item = data
        if item is None:
            raise SourceError(f"{self.name}: btrfs subvolume {tree} does not exist")
        dirid, bytenr = struct.unpack_from("<QQ", item, 168)
        parent_uuid = item[263:279] if len(item) >= 279 else b""
        found = _Root(bytenr, item[238], dirid, parent_uuid.strip(b"\0") != b"")
        self._roots[tree] = found
        return found

    def _items(
        self, tree: int, objectid: int, ktype: int, last: int | None = None
    ) -> list[tuple[tuple[int, int, int], bytes]]:
        """Items of ``objectid`` with key types ``ktype`` to ``last`` (default: ``ktype``)."""
        root = self._tree(tree)
        lo, hi = (objectid, ktype, 0), (objectid, last or ktype, _LAST)
        return list(self.trees.search(root.bytenr, root.level, lo, hi))

    def default_subvolume(self) -> int:
        """The subvolume mounted without ``subvol=``: the ``default`` entry, else the top level."""
        sb = self.trees.sb
        lo, hi = (ROOT_TREE_DIR, DIR_ITEM, 0), (ROOT_TREE_DIR, DIR_ITEM, _LAST)
        for _key, data in self.trees.search(sb.root, sb.root_level, lo, hi):
            for name, location, _value in _dir_entries(data, self.name):
                if name == b"default":
                    return location[0]
        return FS_TREE

    def at_subvolume(self, subvolume: int) -> BtrfsFileSystem:
        """The same file system rooted at ``subvolume`` (sharing caches)."""
        view = copy.copy(self)
        view.subvolume = subvolume
        view.root = self._pack(subvolume, self._tree(subvolume).dirid)
        return view

    def subvolumes(self) -> list[Subvolume]:
        """Every subvolume but the top level, with its path, in id order."""
        sb = self.trees.sb
        out: list[Subvolume] = []
        for key, _data in self.trees.search(sb.root, sb.root_level, (FS_TREE + 1, 0, 0)):
            if key[1] != ROOT_BACKREF:
                continue
            out.append(Subvolume(key[0], self._path(key[0]), self._tree(key[0]).snapshot))
        return out

    def subvolume_id(self, path: str) -> int:
        """The id of the subvolume at ``path`` from the top level (``subvol=``)."""
        wanted = "/".join(p for p in path.split("/") if p)
        if not wanted:
            return FS_TREE
        for sub in self.subvolumes():
            if sub.path == wanted:
                return sub.id
        raise SourceError(f"{self.name}: btrfs has no subvolume {path}")

    def subvolume_path(self, subvolume: int) -> str:
        """The path of ``subvolume`` from the top level (empty for the top level)."""
        return self._path(subvolume)

    def _path(self, subvolume: int) -> str:
        parts: list[str] = []
        seen: set[int] = set()
        current = subvolume
        while current != FS_TREE:
            check(current not in seen, self.name, "corrupt btrfs: subvolume loop")
            seen.add(current)
            sb = self.trees.sb
            lo, hi = (current, ROOT_BACKREF, 0), (current, ROOT_BACKREF, _LAST)
            refs = list(self.trees.search(sb.root, sb.root_level, lo, hi))
            check(bool(refs), self.name, f"corrupt btrfs: subvolume {current} has no parent")
            key, data = refs[0]
            dirid, _seq, name_len = struct.unpack_from("<QQH", data, 0)
            parts.append(data[18 : 18 + name_len].decode("utf-8", "surrogateescape"))
            parts.extend(reversed(self._dir_path(key[2], dirid)))
            current = key[2]
        return "/".join(reversed(parts))

    def _dir_path(self, tree: int, ino: int) -> list[str]:
        names: list[str] = []
        top = self._tree(tree).dirid
        while ino != top:
            check(len(names) < _MAX_PATH, self.name, "corrupt btrfs: directory chain too deep")
            refs = self._items(tree, ino, INODE_REF)
            check(bool(refs), self.name, f"corrupt btrfs: inode {ino} has no parent")
            (_oid, _type, parent), data = refs[0]
            name_len = struct.unpack_from("<H", data, 8)[0]
            names.append(data[10 : 10 + name_len].decode("utf-8", "surrogateescape"))
            ino = parent
        return list(reversed(names))

    def inode(self, ino: int) -> Inode:
        """Decode inode ``ino`` (a packed subvolume and object id)."""
        tree, objectid = ino >> _SHIFT, ino & _MASK
        items = self._items(tree, objectid, INODE_ITEM, XATTR_ITEM)
        if not items or items[0][0][1] != INODE_ITEM:
            raise SourceError(f"{self.name}: btrfs inode {objectid} of subvolume {tree} missing")
        raw = items[0][1]
        _g, _t, size, _nb, _bg, nlink, uid, gid, mode = _INODE.unpack_from(raw, 0)
        kind = kind_of(mode)
        if kind is None:
            raise SourceError(f"{self.name}: inode {objectid} has unknown type {mode:o}")
        rdev = None
        if kind in (Kind.CHAR, Kind.BLOCK):
            dev = struct.unpack_from("<Q", raw, 56)[0]
            rdev = (dev >> 20) & 0xFFF, dev & 0xFFFFF
        xattrs = self._xattrs([data for key, data in items if key[1] == XATTR_ITEM])
        node = Inode(kind, mode & 0o7777, uid, gid, size, nlink, rdev, None, xattrs)
        if kind is Kind.SYMLINK:
            check(size <= _MAX_SYMLINK, self.name, "corrupt btrfs: symlink too long")
            target = b"".join(self.blocks(ino, node)())[:size]
            node = Inode(
                kind, node.mode, uid, gid, size, nlink, None, target.decode("utf-8", "replace")
            )
        return node

    def _xattrs(self, records: list[bytes]) -> dict[str, bytes]:
        found: dict[str, bytes] = {}
        for data in records:
            for name, _location, value in _dir_entries(data, self.name):
                if name.startswith(b"security."):
                    found[name.decode("utf-8", "replace")] = value
        return found

    def listdir(self, ino: int) -> list[tuple[str, int]]:
        """Names and packed inode numbers of a directory, nested subvolumes included."""
        tree, objectid = ino >> _SHIFT, ino & _MASK
        if tree in self.skip and tree != self.subvolume and objectid == self._tree(tree).dirid:
            return []
        out: list[tuple[str, int]] = []
        for _key, data in self._items(tree, objectid, DIR_INDEX):
            for name, (oid, ktype, _off), _value in _dir_entries(data, self.name):
                text = name.decode("utf-8", "surrogateescape")
                if ktype == ROOT_ITEM:
                    out.append((text, self._pack(oid, self._tree(oid).dirid)))
                elif ktype == INODE_ITEM:
                    out.append((text, self._pack(tree, oid)))
        return out

    def blocks(self, ino: int, inode: Inode) -> Blocks:
        """A reader of the file's bytes."""
        items = [(k[2], d) for k, d in self._items(ino >> _SHIFT, ino & _MASK, EXTENT_DATA)]
        return file_data(items, inode.size, self.trees.physical, self._extents)
