"""Compare a tree read from an image with the host directory it was built from, entry by entry."""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from analyzer.stream.entry import Kind, kind_of
from analyzer.vfs.tree import Tree

CAPABILITY = "security.capability"


@dataclass(frozen=True)
class Keeps:
    """What a file system keeps of its source: FAT keeps names and content only."""

    metadata: bool = True
    content: bool = True


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def source_entries(root: Path) -> dict[str, os.stat_result]:
    """Every path under ``root`` (as in-image absolute paths) with its ``lstat``."""
    found: dict[str, os.stat_result] = {}
    for top, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(top, name)
            found["/" + str(path.relative_to(root))] = path.lstat()
    return found


def compare(root: Path, tree: Tree, keeps: Keeps = Keeps(), under: str = "") -> int:
    """Assert that ``tree`` holds exactly the entries of ``root``; return how many were compared.

    For each path: kind, mode, owner, size, link target, device numbers, SHA-256 of the content
    and ``security.capability``; hard links of one source inode share one record in the tree.
    """
    expected = source_entries(root)
    seen = {path for path, _node in tree.walk("/")}
    prefix = under.rstrip("/")
    got = {p[len(prefix) :] for p in seen if p.startswith(prefix + "/")} if prefix else seen
    got -= {p for p in got if p.split("/")[1] == "lost+found" and p not in expected}
    assert not got - set(expected), sorted(got - set(expected))[:5]
    assert not set(expected) - got, sorted(set(expected) - got)[:5]
    inodes: dict[int, str] = {}
    for path, info in sorted(expected.items()):
        node = tree.lstat(prefix + path)
        host = root / path.lstrip("/")
        kind = kind_of(info.st_mode)
        assert node.kind is kind, path
        if kind is Kind.FILE:
            assert node.size == info.st_size, path
            if keeps.content:
                assert _digest(tree.read(prefix + path)) == _digest(host.read_bytes()), path
        if not keeps.metadata:
            continue
        assert (node.mode, node.uid, node.gid) == (
            stat.S_IMODE(info.st_mode),
            info.st_uid,
            info.st_gid,
        ), path
        if kind is Kind.SYMLINK:
            assert node.link == os.readlink(host), path
        if kind in (Kind.CHAR, Kind.BLOCK):
            assert node.rdev == (os.major(info.st_rdev), os.minor(info.st_rdev)), path
        if kind is not Kind.SYMLINK:
            try:
                capability: bytes | None = os.getxattr(host, CAPABILITY, follow_symlinks=False)
            except OSError:
                capability = None
            assert node.xattrs.get(CAPABILITY) == capability, path
        if kind is Kind.FILE and info.st_nlink > 1:
            first = inodes.setdefault(info.st_ino, path)
            assert tree.lstat(prefix + first).records is node.records, (path, first)
    return len(expected)
