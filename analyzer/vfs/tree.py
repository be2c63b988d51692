"""The read-only tree and its file-access API.

Contract (every method takes an absolute in-image path; relative paths are taken from ``/``):

- ``lstat(path)`` returns the node *at* ``path``; links in the parent directories are
  followed, a link in the last component is not.
- ``stat(path)`` and ``resolve(path)`` follow every link, the last component included.
  Absolute link targets are resolved against the image root, ``..`` stops at ``/``, and more
  than :data:`~analyzer.stream.paths.MAX_HOPS` links on one walk is a loop.
- ``readlink(path)`` returns a symlink's stored target, unresolved.
- ``listdir(path)`` follows links and returns the sorted names in a directory;
  ``listdirs(paths)`` lists several, passing over those that are not directories.
- ``glob(pattern)`` returns sorted access paths (as asked, not resolved) of every object whose
  path matches; ``*``, ``?`` and ``[...]`` match within one component, ``**`` any number of
  components (at least one when it ends the pattern) without descending into linked
  directories.
- ``read(path)`` follows links and returns the bytes a per-file analyzer captured during the
  pass, or re-reads them for random-access sources (only while the source is open: after it
  is closed, :class:`~analyzer.errors.ClosedSourceError`); it raises :class:`NotCaptured`
  otherwise.
- ``walk()`` yields every ``(path, node)`` without following links, depth first, each
  directory's children in sorted order (a directory comes right before its content).

Lookups raise :class:`ResolveError` (``missing``, ``dangling``, ``loop``, ``not_a_directory``;
``readlink`` of a non-link ``not_a_link``, ``read`` of a non-file ``not_a_file``).
The host file system is never consulted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from analyzer.errors import ImgauditError
from analyzer.model import Location
from analyzer.stream.entry import Kind
from analyzer.stream.paths import MAX_HOPS, NOT_THERE, Unresolved, component_regex, join, split
from analyzer.stream.records import TEXT
from analyzer.vfs.node import Node

_Chain = list[tuple[str, str]]


class ResolveError(ImgauditError):
    """A path does not lead to an object, for ``reason``.

    ``chain`` lists the links followed before the failure.
    """

    def __init__(
        self, reason: Unresolved, path: str, chain: tuple[tuple[str, str], ...] = ()
    ) -> None:
        self.reason = reason
        self.path = path
        self.chain = chain
        super().__init__(f"{path}: {reason.replace('_', ' ')}")


class NotCaptured(ImgauditError):
    """The content of a file was not kept during the pass and cannot be re-read."""


@dataclass(frozen=True, slots=True)
class Resolved:
    """A successful lookup: the node, its real path, the path asked for, and the links followed.

    ``chain`` lists every link followed as ``(link path, stored target)``, directory links on
    the way included; ``hops`` the paths of the links that were followed as the object itself
    (not as a directory on the way), in order.
    """

    node: Node
    real_path: str
    access_path: str
    chain: tuple[tuple[str, str], ...]
    hops: tuple[str, ...] = ()

    def describe_chain(self) -> str:
        """``/usr/sbin/iptables -> /etc/alternatives/iptables -> /usr/sbin/iptables-nft``."""
        if not self.chain:
            return self.real_path
        hops = [self.access_path, *self.hops, self.real_path]
        deduped = [hop for index, hop in enumerate(hops) if index == 0 or hop != hops[index - 1]]
        return " -> ".join(deduped)


class Tree:
    """A read-only view of one squashed file system; see the module docstring for the API."""

    def __init__(
        self,
        root: Node,
        random_access: bool = False,
        deleted: Mapping[tuple[str, str], str | None] | None = None,
    ) -> None:
        self._root = root
        self.random_access = random_access
        self._deleted: Mapping[tuple[str, str], str | None] = deleted or {}

    @property
    def root(self) -> Node:
        """The root directory node."""
        return self._root

    def _walk(self, path: str, follow_last: bool) -> tuple[list[str], Node, _Chain, list[str]]:
        stack = list(reversed(split(path)))
        names: list[str] = []
        nodes: list[Node] = [self._root]
        chain: _Chain = []
        hops: list[str] = []
        while stack:
            name = stack.pop()
            if name == "..":
                if names:
                    names.pop()
                    nodes.pop()
                continue
            here = nodes[-1]
            if not here.is_dir:
                raise ResolveError(Unresolved.NOT_A_DIRECTORY, join(names), tuple(chain))
            child = here.children.get(name)
            if child is None:
                reason = Unresolved.DANGLING if chain else Unresolved.MISSING
                raise ResolveError(reason, join([*names, name]), tuple(chain))
            if child.is_symlink and (stack or follow_last):
                if len(chain) >= MAX_HOPS:
                    raise ResolveError(Unresolved.LOOP, join([*names, name]), tuple(chain))
                target = child.link or ""
                chain.append((join([*names, name]), target))
                if not stack:
                    hops.append(join([*names, name]))
                if target.startswith("/"):
                    del names[:]
                    del nodes[1:]
                stack.extend(reversed(split(target)))
                continue
            names.append(name)
            nodes.append(child)
        return names, nodes[-1], chain, hops

    def resolve(self, path: str, follow: bool = True) -> Resolved:
        """Look ``path`` up; with ``follow`` a link in the last component is followed too."""
        names, node, chain, hops = self._walk(path, follow)
        access = join(split(path)) if path else "/"
        return Resolved(node, join(names), access, tuple(chain), tuple(hops))

    def lstat(self, path: str) -> Node:
        """The node at ``path``, not following a final link."""
        return self._walk(path, False)[1]

    def stat(self, path: str) -> Node:
        """The node ``path`` leads to, following every link."""
        return self._walk(path, True)[1]

    def exists(self, path: str, follow: bool = True) -> bool:
        """True when ``path`` leads to an object."""
        try:
            self._walk(path, follow)
        except ResolveError:
            return False
        return True

    def readlink(self, path: str) -> str:
        """The stored target of the symbolic link at ``path``."""
        node = self.lstat(path)
        if not node.is_symlink:
            raise ResolveError(Unresolved.NOT_A_LINK, path)
        return node.link or ""

    def listdir(self, path: str) -> list[str]:
        """Sorted names in the directory ``path`` leads to."""
        node = self.stat(path)
        if not node.is_dir:
            raise ResolveError(Unresolved.NOT_A_DIRECTORY, path)
        return sorted(node.children)

    def listdirs(self, paths: Iterable[str]) -> Iterator[tuple[str, str]]:
        """``(directory, name)`` for each name in each of ``paths``, in order and sorted.

        A path that does not lead to a directory lists nothing (a search path may name
        directories the image lacks).
        """
        for directory in paths:
            try:
                names = self.listdir(directory)
            except ResolveError:
                continue
            for name in names:
                yield directory, name

    def read(self, path: str) -> bytes:
        """Content of the file ``path`` leads to (captured during the pass, or re-read)."""
        node = self.stat(path)
        if not node.is_file:
            raise ResolveError(Unresolved.NOT_A_FILE, path)
        text = node.records.get(TEXT)
        if text is not None:
            return text
        if node.reader is not None:
            return b"".join(node.reader())
        raise NotCaptured(path)

    def location(self, path: str, line: int | None = None, follow: bool = True) -> Location:
        """Evidence location of ``path``: its real path, the path asked for, and its layer.

        The layer is the one that added or last changed the object; for a path that leads to
        nothing because a layer deleted it (:meth:`deleted_by`), the layer that deleted it.
        With ``follow=False`` a link in the last component is the location itself (a finding
        about the name, not about where it leads).
        """
        try:
            found = self.resolve(path, follow)
        except ResolveError:
            try:
                found = self.resolve(path, follow=False)
            except ResolveError:
                gone = self.deleted_by(path)
                where = join(split(path))
                return Location(where, line, None, gone[1]) if gone else Location(where, line)
        access = found.access_path if found.access_path != found.real_path else None
        return Location(found.real_path, line, access, found.node.layer)

    def deleted_by(self, path: str) -> tuple[str, str | None] | None:
        """``(real path, layer)`` when ``path`` leads nowhere because that layer deleted it.

        The real path is that of the first missing component (links before it followed), the
        object a later layer's whiteout or opaque directory removed; ``None`` when ``path``
        exists or was never deleted.
        """
        try:
            self._walk(path, True)
        except ResolveError as exc:
            head, _, name = exc.path.rpartition("/")
            key = (head or "/", name)
            if exc.reason in NOT_THERE and key in self._deleted:
                return exc.path, self._deleted[key]
        return None

    def walk(self, top: str = "/") -> Iterator[tuple[str, Node]]:
        """Every ``(path, node)`` under ``top`` (itself excluded), sorted, links not followed."""
        start = self.stat(top)
        base = "" if top in ("", "/") else join(split(top))
        pending = _children(base, start)
        while pending:
            path, node = pending.pop()
            yield path, node
            if node.is_dir:
                pending.extend(_children(path, node))

    def glob(self, pattern: str) -> list[str]:
        """Sorted access paths matching ``pattern`` (see the module docstring)."""
        parts = split(pattern)
        found: set[str] = set()
        self._glob(self._root, [], parts, found)
        return sorted(found)

    def _glob(self, directory: Node, names: list[str], parts: list[str], found: set[str]) -> None:
        if not parts:
            found.add(join(names))
            return
        head, rest = parts[0], parts[1:]
        if head == "**":
            if rest:
                self._glob(directory, names, rest, found)
            for name, child in directory.children.items():
                if not rest:
                    found.add(join([*names, name]))
                if child.is_dir:
                    self._glob(child, [*names, name], parts, found)
            return
        if not _has_magic(head):
            candidates = [head] if head in directory.children else []
        else:
            regex = re.compile(component_regex(head) + r"\Z")
            candidates = [n for n in directory.children if regex.match(n)]
        for name in candidates:
            child = directory.children[name]
            if not rest:
                found.add(join([*names, name]))
                continue
            target = child
            if child.is_symlink:
                try:
                    target = self.stat(join([*names, name]))
                except ResolveError:
                    continue
            if target.is_dir:
                self._glob(target, [*names, name], rest, found)


def _children(prefix: str, directory: Node) -> list[tuple[str, Node]]:
    """A directory's children as ``(path, node)``, reverse-sorted so that popping is in order."""
    names = sorted(directory.children, reverse=True)
    return [(f"{prefix}/{name}", directory.children[name]) for name in names]


def _has_magic(part: str) -> bool:
    return any(ch in part for ch in "*?[")


def new_root() -> Node:
    """An empty root directory."""
    return Node(Kind.DIR, 0o755)
