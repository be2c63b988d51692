"""Which ELF files are checked: PATH programs, privileged binaries, or everything.

By default: every ELF reachable from the PATH directories (links followed, deduplicated by
real path, each remembering the names that reach it) plus set-uid, set-gid and
file-capability ELF files anywhere; the libraries they pull in are added by the collector.
With ``all_binaries`` every loadable ELF file in the image is a program in scope.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from analyzer.collectors.executables import PATH_DIRS
from analyzer.stream.elfrecord import ELF, ElfKind, ElfRecord
from analyzer.vfs.node import Node
from analyzer.vfs.tree import ResolveError, Tree

CAPABILITY_XATTR = "security.capability"
SETUID, SETGID = 0o4000, 0o2000
#: The ELF kinds ``--all-binaries`` puts in scope.
_IN_SCOPE = (ElfKind.EXECUTABLE, ElfKind.SHARED_LIBRARY, ElfKind.UNKNOWN)


@dataclass(frozen=True, slots=True)
class Candidate:
    """An ELF file in scope as a program, with the names that reach it."""

    path: str
    names: tuple[str, ...]
    record: ElfRecord
    node: Node


def elf_files(tree: Tree) -> dict[str, ElfRecord]:
    """Every ELF record in the tree by real path."""
    found: dict[str, ElfRecord] = {}
    for path, node in tree.walk():
        record = node.records.get(ELF) if node.is_file else None
        if record is not None:
            found[path] = record
    return found


def programs(tree: Tree, files: Mapping[str, ElfRecord], all_binaries: bool) -> list[Candidate]:
    """Programs in scope, sorted by real path."""
    names: dict[str, list[str]] = {}
    for directory, name in tree.listdirs(PATH_DIRS):
        access = f"{directory}/{name}"
        try:
            real = tree.resolve(access).real_path
        except ResolveError:
            continue
        if real in files:
            names.setdefault(real, []).append(access)
    for path in files:
        if any(privilege(tree.lstat(path))):
            names.setdefault(path, [path])
    if all_binaries:
        for path, record in files.items():
            if record.kind in _IN_SCOPE:
                names.setdefault(path, [path])
    return [
        Candidate(path, tuple(dict.fromkeys(names[path])), files[path], tree.stat(path))
        for path in sorted(names)
    ]


def privilege(node: Node) -> tuple[bool, bool, bool]:
    """``(setuid, setgid, capabilities)`` of a file."""
    return (
        bool(node.mode & SETUID),
        bool(node.mode & SETGID),
        CAPABILITY_XATTR in node.xattrs,
    )
