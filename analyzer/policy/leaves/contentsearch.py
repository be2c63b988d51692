"""The first line matching a pattern, reading a configuration file as its program does.

``sshd`` mode follows sshd_config(5): an ``Include`` line (keyword without case) is replaced by
the files its arguments name, in place, each glob's matches in sorted order, relative paths
taken from ``/etc/ssh``, at most :data:`MAX_DEPTH` levels deep; lines after a ``Match`` line
belong to that block (to the next ``Match`` or the end of that file; ``Match all`` returns
to the global section) and are not global settings, so they are skipped. For every keyword sshd
uses the first value it obtains, which is why the search stops at the first matching line.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from analyzer.model import Location

#: sshd's own limit on nested ``Include`` files.
MAX_DEPTH = 16
SSHD = "sshd"
SSHD_DIR = "/etc/ssh"
_INCLUDE = re.compile(r"\s*include\s+(.+)", re.I)
_MATCH = re.compile(r"\s*match\s+(.*)", re.I)

#: ``read(path)`` -> the file's text (``None`` when unreadable), its location, the problem.
Read = Callable[[str], tuple[str | None, Location, str]]
#: ``expand(glob)`` -> the sorted paths that match it.
Expand = Callable[[str], list[str]]


@dataclass(frozen=True, slots=True)
class Hit:
    """The first matching line (``match`` is ``None`` when no line matched).

    ``unread`` names the files that could not be read before a match was found (any makes a
    missing match undecided); ``files`` lists the files read, in order.
    """

    match: re.Match[str] | None
    location: Location | None
    line: str = ""
    files: tuple[str, ...] = ()
    unread: tuple[str, ...] = ()


class _Search:
    def __init__(self, pattern: re.Pattern[str], read: Read, expand: Expand, mode: str) -> None:
        self.pattern = pattern
        self.read = read
        self.expand = expand
        self.mode = mode
        self.files: list[str] = []
        self.unread: list[str] = []

    def file(self, path: str, depth: int) -> Hit | None:
        text, location, problem = self.read(path)
        if text is None:
            self.unread.append(f"{path}: {problem}")
            return None
        self.files.append(path)
        in_match = False
        for number, line in enumerate(text.splitlines(), 1):
            if self.mode == SSHD:
                block = _MATCH.match(line)
                if block is not None:
                    in_match = block.group(1).strip().lower() != "all"
                    continue
                if in_match:
                    continue
                include = _INCLUDE.match(line)
                if include is not None and depth < MAX_DEPTH:
                    hit = self.included(include.group(1), depth + 1)
                    if hit is not None:
                        return hit
                    continue
            found = self.pattern.search(line)
            if found is not None:
                where = Location(location.path, number, location.access_path, location.layer)
                return Hit(found, where, line.strip())
        return None

    def included(self, arguments: str, depth: int) -> Hit | None:
        for argument in arguments.split():
            absolute = argument if argument.startswith("/") else f"{SSHD_DIR}/{argument}"
            for path in self.expand(absolute):
                hit = self.file(path, depth)
                if hit is not None:
                    return hit
        return None


def first_match(
    path: str, pattern: re.Pattern[str], read: Read, expand: Expand, mode: str = ""
) -> Hit:
    """Search ``path`` (and, in ``sshd`` mode, what it includes) for ``pattern``."""
    search = _Search(pattern, read, expand, mode)
    hit = search.file(path, 0)
    files, unread = tuple(search.files), tuple(search.unread)
    if hit is None:
        return Hit(None, None, "", files, unread)
    return Hit(hit.match, hit.location, hit.line, files, unread)
