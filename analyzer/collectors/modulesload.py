"""Kernel modules the image loads at boot, each with the file and line that asks for it.

Sources:

- ``systemd-modules-load``: ``*.conf`` files in ``/etc/modules-load.d``,
  ``/run/modules-load.d``, ``/usr/local/lib/modules-load.d``, ``/usr/lib/modules-load.d`` and
  ``/lib/modules-load.d``; a file in an earlier directory hides one of the same name in a later
  one, and a link to ``/dev/null`` masks it. One module per line; ``#`` and ``;`` start
  comments.
- ``/etc/modules`` (Debian's and Alpine's list): one module per line, arguments after it.
- OpenRC's ``/etc/conf.d/modules``: ``modules="a b"`` and ``modules_<kernel version>="..."``.
- An enabled systemd unit (a ``*.wants`` link) whose ``ExecStart*`` lines run ``modprobe``.
"""

from __future__ import annotations

import re

from analyzer.collectors.base import CollectContext
from analyzer.collectors.names import WANTS_DIRS
from analyzer.collectors.textfiles import read_lines
from analyzer.facts import MODULES_LOAD
from analyzer.facts.kernel import LoadEntry, ModulesLoad, normalise
from analyzer.kernel.cmdline import shell_assignment
from analyzer.model import Fact, FactId, Facts, FactStore, Notification
from analyzer.stream.capture import CapturePattern
from analyzer.vfs.tree import ResolveError, Tree

#: ``modules-load.d`` directories, highest precedence first (``modules-load.d(5)``).
LOAD_DIRS = (
    "/etc/modules-load.d",
    "/run/modules-load.d",
    "/usr/local/lib/modules-load.d",
    "/usr/lib/modules-load.d",
    "/lib/modules-load.d",
)
ETC_MODULES = "/etc/modules"
OPENRC_MODULES = "/etc/conf.d/modules"
_EXEC = re.compile(r"\s*Exec(?:Start|StartPre|StartPost)\s*=\s*(.*)")
_MODPROBE = re.compile(r"(?:^|[\s/;&|\"'])modprobe((?:\s+-[-\w=]+)*)((?:\s+[\w-]+)+)")
_OPENRC_VAR = re.compile(r"modules(?:_[\w.]+)?\Z")


def _comment_free(line: str) -> str:
    return re.split(r"[#;]", line, maxsplit=1)[0].strip()


def _load_d_files(tree: Tree) -> list[str]:
    """The effective ``*.conf`` files: the first of each name in precedence order, unmasked."""
    chosen: dict[str, str] = {}
    for directory in LOAD_DIRS:
        for path in tree.glob(f"{directory}/*.conf"):
            chosen.setdefault(path.rsplit("/", 1)[-1], path)
    effective = []
    for name in sorted(chosen):
        path = chosen[name]
        try:
            masked = tree.lstat(path).is_symlink and tree.readlink(path) == "/dev/null"
        except ResolveError:
            masked = False
        if not masked:
            effective.append(path)
    return effective


def _list_file(tree: Tree, path: str, how: str) -> list[LoadEntry] | None:
    lines = read_lines(tree, path).lines
    if lines is None:
        return None
    entries = []
    for number, line in enumerate(lines, start=1):
        words = _comment_free(line).split()
        if words:
            entries.append(LoadEntry(normalise(words[0]), tree.location(path, number), how))
    return entries


def _openrc(tree: Tree) -> list[LoadEntry] | None:
    lines = read_lines(tree, OPENRC_MODULES).lines
    if lines is None:
        return None
    entries = []
    for number, line in enumerate(lines, start=1):
        assigned = shell_assignment(line)
        if assigned and _OPENRC_VAR.match(assigned[0]):
            where = tree.location(OPENRC_MODULES, number)
            for word in assigned[1].split():
                entries.append(LoadEntry(normalise(word), where, "OpenRC modules service"))
    return entries


def _modprobed(command: str) -> list[str]:
    """Modules a command line loads with ``modprobe NAME`` or ``modprobe -a A B``."""
    found: list[str] = []
    for match in _MODPROBE.finditer(command):
        options, names = match.group(1).split(), match.group(2).split()
        found += names if {"-a", "--all"} & set(options) else names[:1]
    return found


def _units(tree: Tree) -> tuple[list[LoadEntry], list[str]]:
    entries: list[LoadEntry] = []
    read: list[str] = []
    for directory in WANTS_DIRS:
        for link in tree.glob(f"{directory}/*.wants/*"):
            lines = read_lines(tree, link).lines
            if lines is None:
                continue
            read.append(link)
            for number, line in enumerate(lines, start=1):
                match = _EXEC.match(line)
                for name in _modprobed(match.group(1)) if match else []:
                    where = tree.location(link, number)
                    entries.append(LoadEntry(normalise(name), where, f"enabled unit {link}"))
    return entries, read


class ModulesLoadCollector:
    """Produces ``modules_load`` (a :class:`~analyzer.facts.kernel.ModulesLoad`)."""

    name = "modules-load"
    provides: tuple[FactId, ...] = (MODULES_LOAD,)
    requires: tuple[FactId, ...] = ()
    capture = (
        *(CapturePattern(f"{directory}/*.conf") for directory in LOAD_DIRS),
        CapturePattern(ETC_MODULES),
        CapturePattern(OPENRC_MODULES),
        *(CapturePattern(f"{directory}/*.service") for directory in WANTS_DIRS),
        *(CapturePattern(f"{directory}/*.wants/*") for directory in WANTS_DIRS),
    )

    def collect(self, ctx: CollectContext, facts: Facts, notes: list[Notification]) -> FactStore:
        """Read every source of boot-time module loading."""
        del facts, notes
        tree = ctx.tree
        entries: list[LoadEntry] = []
        sources: list[str] = []
        lists = [(path, "modules-load.d") for path in _load_d_files(tree)]
        for path, how in [*lists, (ETC_MODULES, ETC_MODULES)]:
            found = _list_file(tree, path, how)
            if found is not None:
                entries += found
                sources.append(path)
        openrc = _openrc(tree)
        if openrc is not None:
            entries += openrc
            sources.append(OPENRC_MODULES)
        unit_entries, units = _units(tree)
        entries += unit_entries
        sources += units
        value = ModulesLoad(tuple(entries), tuple(sources))
        return FactStore.one(MODULES_LOAD, Fact.present(value))
