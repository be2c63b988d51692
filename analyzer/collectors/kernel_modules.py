"""Which kernel modules ship for a release: module files, ``modules.dep``, ``modules.builtin``.

A module ships when its file (plain or compressed: :data:`MODULE_SUFFIXES`) is in the image:
at the path ``modules.dep`` gives for it, or anywhere under the release's modules directory.
A module that ``modules.dep`` lists but whose file is gone (deleted by an image slimming
step, or hidden by a later layer) does not ship: ``modprobe`` would fail on that host, and
:meth:`ModulesInfo.listed_missing` names both the listing and the missing file.

Module names are normalised the way ``modprobe`` does (``-`` and ``_`` are the same), so
``xt_REDIRECT`` and ``br-netfilter`` compare as the kernel would.
"""

from __future__ import annotations

import re

from analyzer.collectors.textfiles import read_lines
from analyzer.facts.kernel import ListedMissing, ModulesInfo, normalise
from analyzer.vfs.tree import ResolveError, Tree

#: Suffixes of module files: plain, and compressed by ``CONFIG_MODULE_COMPRESS_*``.
MODULE_SUFFIXES = (".ko", ".ko.xz", ".ko.zst", ".ko.gz")
MODULE_ROOTS = ("/lib/modules", "/usr/lib/modules")
_MODULE_NAME = re.compile(r"([^/]+?)\.ko(?:\.(?:xz|zst|gz))?\Z")
_SUFFIX = re.compile(r"\.ko(?:\.(?:xz|zst|gz))?\Z")


def module_name(path: str) -> str | None:
    """``kernel/net/netfilter/xt_REDIRECT.ko.xz`` gives ``xt_REDIRECT``."""
    match = _MODULE_NAME.search(path.rsplit("/", 1)[-1])
    return normalise(match.group(1)) if match else None


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


def _builtin(tree: Tree, directory: str) -> set[str] | None:
    text = read_lines(tree, f"{directory}/modules.builtin")
    if text.lines is None:
        return None
    return {name for line in text.lines if (name := module_name(line.strip()))}


def _dep_entries(tree: Tree, directory: str) -> list[tuple[str, str, int]] | None:
    """``(name, listed path, line)`` for every module ``modules.dep`` lists."""
    text = read_lines(tree, f"{directory}/modules.dep")
    if text.lines is None:
        return None
    entries = []
    for number, line in enumerate(text.lines, start=1):
        listed = line.split(":", 1)[0].strip()
        name = module_name(listed) if listed else None
        if name:
            entries.append((name, listed, number))
    return entries


def _files(tree: Tree, directory: str) -> dict[str, str]:
    """Every module file under ``directory``: path -> module name."""
    try:
        walk = list(tree.walk(directory))
    except ResolveError:
        return {}
    return {
        path: name
        for path, node in walk
        if not node.is_dir and path.endswith(MODULE_SUFFIXES) and (name := module_name(path))
    }


def _listed_file_exists(tree: Tree, directory: str, listed: str, files: dict[str, str]) -> bool:
    """The listed module file, under any module suffix, is in the image."""
    stem = _SUFFIX.sub("", listed if listed.startswith("/") else f"{directory}/{listed}")
    candidates = [stem + suffix for suffix in MODULE_SUFFIXES]
    if any(path in files for path in candidates):
        return True
    return listed.startswith("/") and any(tree.exists(path) for path in candidates)


def read_modules(tree: Tree, release: str) -> ModulesInfo | None:
    """The modules tree of ``release``, or ``None`` when there is none."""
    directory = modules_directory(tree, release)
    if directory is None:
        return None
    sources: list[str] = []
    files = _files(tree, directory)
    shipped = set(files.values())
    missing: list[ListedMissing] = []
    entries = _dep_entries(tree, directory)
    if entries is not None:
        dep = f"{directory}/modules.dep"
        sources.append(dep)
        where = tree.location(dep)
        for name, listed, line in entries:
            if name in shipped:
                continue
            if _listed_file_exists(tree, directory, listed, files):
                shipped.add(name)
            else:
                missing.append(ListedMissing(name, listed, where.at_line(line)))
    if files:
        sources.append(f"{directory}/**/*.ko*")
    builtin = _builtin(tree, directory)
    if builtin is not None:
        sources.append(f"{directory}/modules.builtin")
    built = frozenset(builtin or ())
    return ModulesInfo(
        release,
        tree.location(directory),
        tuple(sources),
        len(shipped),
        len(built),
        len(missing),
        frozenset(shipped),
        built,
        tuple(missing),
    )
