"""Which kernel modules ship for a release: ``modules.dep``, module files, ``modules.builtin``.

Module names are normalised the way ``modprobe`` does (``-`` and ``_`` are the same), so
``xt_REDIRECT`` and ``br-netfilter`` compare as the kernel would.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from analyzer.collectors.textfiles import read_lines
from analyzer.vfs.tree import ResolveError, Tree

#: Suffixes of module files: plain, and compressed by ``CONFIG_MODULE_COMPRESS_*``.
MODULE_SUFFIXES = (".ko", ".ko.xz", ".ko.zst", ".ko.gz")
MODULE_ROOTS = ("/lib/modules", "/usr/lib/modules")
_MODULE_NAME = re.compile(r"([^/]+?)\.ko(?:\.(?:xz|zst|gz))?\Z")


def normalise(name: str) -> str:
    """A module name as ``modprobe`` compares it."""
    return name.replace("-", "_")


def module_name(path: str) -> str | None:
    """``kernel/net/netfilter/xt_REDIRECT.ko.xz`` gives ``xt_REDIRECT``."""
    match = _MODULE_NAME.search(path.rsplit("/", 1)[-1])
    return normalise(match.group(1)) if match else None


@dataclass(frozen=True, slots=True)
class ModulesInfo:
    """The modules tree of one release: where it is, what ships, what is built in.

    ``directory`` is the in-image path (``/lib/modules/R``); ``sources`` the files and
    directories that were read. The name sets (module names found in ``modules.dep`` or as
    files, and those listed in ``modules.builtin``) are kept out of JSON reports; their sizes
    are the public ``shipped_count`` and ``builtin_count``.
    """

    release: str
    directory: str
    sources: tuple[str, ...]
    shipped_count: int
    builtin_count: int
    _shipped: frozenset[str]
    _builtin: frozenset[str]

    def ships(self, names: Iterable[str]) -> str | None:
        """The first of ``names`` that ships as a module, or ``None``."""
        for name in names:
            if normalise(name) in self._shipped:
                return name
        return None

    def builds_in(self, names: Iterable[str]) -> str | None:
        """The first of ``names`` listed in ``modules.builtin``, or ``None``."""
        for name in names:
            if normalise(name) in self._builtin:
                return name
        return None


def modules_directory(tree: Tree, release: str) -> str | None:
    """``/lib/modules/R`` or ``/usr/lib/modules/R`` when it is a directory with content."""
    for root in MODULE_ROOTS:
        path = f"{root}/{release}"
        try:
            node = tree.stat(path)
        except ResolveError:
            continue
        if node.is_dir and node.children:
            return path
    return None


def _names_from(tree: Tree, path: str, first_field: bool) -> set[str] | None:
    text = read_lines(tree, path)
    if text.lines is None:
        return None
    names = set()
    for line in text.lines:
        entry = line.split(":", 1)[0].strip() if first_field else line.strip()
        name = module_name(entry) if entry else None
        if name:
            names.add(name)
    return names


def read_modules(tree: Tree, release: str) -> ModulesInfo | None:
    """The modules tree of ``release``, or ``None`` when there is none."""
    directory = modules_directory(tree, release)
    if directory is None:
        return None
    sources: list[str] = []
    shipped: set[str] = set()
    from_dep = _names_from(tree, f"{directory}/modules.dep", first_field=True)
    if from_dep is not None:
        shipped |= from_dep
        sources.append(f"{directory}/modules.dep")
    found = False
    try:
        walk = list(tree.walk(directory))
    except ResolveError:
        walk = []
    for path, node in walk:
        if node.is_dir or not path.endswith(MODULE_SUFFIXES):
            continue
        name = module_name(path)
        if name:
            shipped.add(name)
            found = True
    if found:
        sources.append(f"{directory}/**/*.ko*")
    builtin = _names_from(tree, f"{directory}/modules.builtin", first_field=False)
    if builtin is not None:
        sources.append(f"{directory}/modules.builtin")
    built = frozenset(builtin or ())
    return ModulesInfo(
        release, directory, tuple(sources), len(shipped), len(built), frozenset(shipped), built
    )
