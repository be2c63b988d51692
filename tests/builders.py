"""Declarative test trees and the writers that turn them into real inputs.

``make_tree({"etc/hosts": "127.0.0.1 localhost\\n", "bin/sh": Symlink("busybox")})`` describes
a tree; ``to_dir``, ``to_tar`` and ``to_layer`` turn it into a directory, an archive written
with libarchive, or a layer stream for :class:`~analyzer.vfs.build.TreeBuilder`.
"""

from __future__ import annotations

import ctypes
import os
import stat
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import libarchive
from libarchive import ffi

from analyzer.model import LayerInfo
from analyzer.stream.entry import Blocks, Entry, Kind, LayerStream, no_data


@dataclass(frozen=True)
class File:
    """A regular file."""

    data: bytes | str = b""
    mode: int = 0o644
    uid: int = 0
    gid: int = 0
    xattrs: Mapping[str, bytes] = field(default_factory=dict)

    @property
    def content(self) -> bytes:
        return self.data.encode() if isinstance(self.data, str) else self.data


@dataclass(frozen=True)
class Dir:
    """A directory (parents are implied; use this for modes or empty directories)."""

    mode: int = 0o755
    uid: int = 0
    gid: int = 0


@dataclass(frozen=True)
class Symlink:
    """A symbolic link with a stored target."""

    target: str


@dataclass(frozen=True)
class Hardlink:
    """A hard link to an earlier path of the tree."""

    target: str


@dataclass(frozen=True)
class Device:
    """A character (``c``) or block (``b``) device, a FIFO (``p``) or a socket (``s``)."""

    kind: str = "c"
    major: int = 1
    minor: int = 3
    mode: int = 0o666


Item = File | Dir | Symlink | Hardlink | Device | str | bytes
_DEVICE_KINDS = {"c": Kind.CHAR, "b": Kind.BLOCK, "p": Kind.FIFO, "s": Kind.SOCKET}
_NODE_TYPES = {"c": stat.S_IFCHR, "b": stat.S_IFBLK, "p": stat.S_IFIFO, "s": stat.S_IFSOCK}
Tree = dict[str, Item]


def make_tree(spec: Mapping[str, Item]) -> Tree:
    """Normalise a spec: strings and bytes become :class:`File` s."""
    return {
        name: File(value) if isinstance(value, str | bytes) else value
        for name, value in spec.items()
    }


def _ordered(tree: Tree) -> list[tuple[str, Item]]:
    """Parents before children; hard links after their targets."""
    plain: list[tuple[str, Item]] = [(n, i) for n, i in tree.items() if not isinstance(i, Hardlink)]
    links: list[tuple[str, Item]] = [(n, i) for n, i in tree.items() if isinstance(i, Hardlink)]
    return sorted(plain, key=lambda pair: pair[0]) + sorted(links, key=lambda pair: pair[0])


def _dirs(tree: Tree) -> list[str]:
    names: set[str] = set()
    for name in tree:
        parts = name.strip("/").split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            names.add("/".join(parts[:depth]))
    return sorted(n for n in names if n not in tree)


def _data(content: bytes) -> Blocks:
    return lambda: iter([content] if content else [])


def entries(tree: Tree) -> Iterator[tuple[Entry, Blocks]]:
    """Entries of a tree, as a source would yield them."""
    for name in _dirs(tree):
        yield Entry(name + "/", Kind.DIR, 0o755), no_data
    for name, item in _ordered(tree):
        if isinstance(item, File):
            content = item.content
            yield (
                Entry(
                    name, Kind.FILE, item.mode, item.uid, item.gid, len(content), xattrs=item.xattrs
                ),
                _data(content),
            )
        elif isinstance(item, Dir):
            yield Entry(name, Kind.DIR, item.mode, item.uid, item.gid), no_data
        elif isinstance(item, Symlink):
            yield Entry(name, Kind.SYMLINK, 0o777, link=item.target), no_data
        elif isinstance(item, Hardlink):
            yield Entry(name, Kind.HARDLINK, 0o644, link=item.target), no_data
        elif isinstance(item, Device):
            kind = _DEVICE_KINDS[item.kind]
            rdev = (item.major, item.minor) if kind in (Kind.CHAR, Kind.BLOCK) else None
            yield Entry(name, kind, item.mode, rdev=rdev), no_data


def to_layer(tree: Tree, layer_id: str = "test", whiteouts: bool = False) -> LayerStream:
    """A layer stream over the tree."""
    return LayerStream(LayerInfo(layer_id), entries(tree), whiteouts)


def to_dir(tree: Tree, root: Path) -> Path:
    """Write the tree under ``root`` with its modes and owners (owners and devices need root)."""
    root.mkdir(parents=True, exist_ok=True)
    os.chmod(root, 0o755)
    for name, item in _ordered(tree):
        path = root / name.strip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(item, File):
            path.write_bytes(item.content)
            os.chown(path, item.uid, item.gid)
            os.chmod(path, item.mode)
            for key, value in item.xattrs.items():
                os.setxattr(path, key, value)
        elif isinstance(item, Dir):
            path.mkdir(exist_ok=True)
            os.chown(path, item.uid, item.gid)
            os.chmod(path, item.mode)
        elif isinstance(item, Symlink):
            os.symlink(item.target, path)
        elif isinstance(item, Hardlink):
            os.link(root / item.target.strip("/"), path)
        elif isinstance(item, Device):
            os.mknod(path, _NODE_TYPES[item.kind] | item.mode, os.makedev(item.major, item.minor))
            os.chmod(path, item.mode)
    return root


def to_tar(tree: Tree, path: Path, compression: str | None = None, fmt: str = "pax") -> Path:
    """Write the tree as an archive with libarchive (``compression``: gzip, xz, zstd, ...)."""
    with libarchive.file_writer(str(path), fmt, filter_name=compression) as out:
        for entry, blocks in entries(tree):
            write_entry(out._pointer, entry, b"".join(blocks()))
    return path


_TYPES = {
    Kind.FILE: 0o100000,
    Kind.DIR: 0o040000,
    Kind.SYMLINK: 0o120000,
    Kind.CHAR: 0o020000,
    Kind.BLOCK: 0o060000,
    Kind.FIFO: 0o010000,
    Kind.HARDLINK: 0o100000,
}


def _c(name: str, *argtypes: object, restype: object = ctypes.c_int) -> Any:
    function = ffi.libarchive[name]
    function.argtypes = list(argtypes)
    function.restype = restype
    return function


_P = ctypes.c_void_p
_S = ctypes.c_char_p
_entry_new = _c("archive_entry_new", restype=_P)
_entry_free = _c("archive_entry_free", _P, restype=None)
_set_pathname = _c("archive_entry_set_pathname", _P, _S, restype=None)
_set_filetype = _c("archive_entry_set_filetype", _P, ctypes.c_uint, restype=None)
_set_perm = _c("archive_entry_set_perm", _P, ctypes.c_uint, restype=None)
_set_uid = _c("archive_entry_set_uid", _P, ctypes.c_int64, restype=None)
_set_gid = _c("archive_entry_set_gid", _P, ctypes.c_int64, restype=None)
_set_size = _c("archive_entry_set_size", _P, ctypes.c_int64, restype=None)
_set_symlink = _c("archive_entry_set_symlink", _P, _S, restype=None)
_set_hardlink = _c("archive_entry_set_hardlink", _P, _S, restype=None)
_set_major = _c("archive_entry_set_rdevmajor", _P, ctypes.c_uint, restype=None)
_set_minor = _c("archive_entry_set_rdevminor", _P, ctypes.c_uint, restype=None)
_add_xattr = _c("archive_entry_xattr_add_entry", _P, _S, _P, ctypes.c_size_t, restype=None)
_write_header = _c("archive_write_header", _P, _P)
_write_data = _c("archive_write_data", _P, _P, ctypes.c_size_t, restype=ctypes.c_ssize_t)
_finish = _c("archive_write_finish_entry", _P)


def write_entry(archive_p: int, entry: Entry, data: bytes, name: bytes | None = None) -> None:
    """Write one entry (raw ``name`` bytes allow hostile or non-UTF-8 names)."""
    handle = _entry_new()
    try:
        _set_pathname(handle, name if name is not None else entry.name.encode())
        _set_filetype(handle, _TYPES[entry.kind])
        _set_perm(handle, entry.mode)
        _set_uid(handle, entry.uid)
        _set_gid(handle, entry.gid)
        if entry.kind is Kind.SYMLINK:
            _set_symlink(handle, (entry.link or "").encode())
        if entry.kind is Kind.HARDLINK:
            _set_hardlink(handle, (entry.link or "").encode())
        _set_size(handle, len(data) if entry.kind is Kind.FILE else 0)
        if entry.rdev is not None:
            _set_major(handle, entry.rdev[0])
            _set_minor(handle, entry.rdev[1])
        for key, value in entry.xattrs.items():
            _add_xattr(handle, key.encode(), value, len(value))
        if _write_header(archive_p, handle) < 0:
            raise OSError(f"cannot write header for {entry.name}")
        if data:
            _write_data(archive_p, data, len(data))
        _finish(archive_p)
    finally:
        _entry_free(handle)
