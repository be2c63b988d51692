"""In-image path arithmetic: names from archives become absolute, clean paths under ``/``.

Nothing here touches the host. ``..`` never climbs above ``/``: a hostile ``../../etc/x``
names the image's own ``/etc/x``.
"""

from __future__ import annotations

import enum
import re

#: Most symbolic links followed on one walk before it is called a loop (as Linux does): the
#: one link policy of the tree, the disk file-system readers and the image-layout readers.
MAX_HOPS = 40


class Unresolved(enum.StrEnum):
    """Why a path does not lead to an object (``DANGLING``: a link's target is missing)."""

    MISSING = "missing"
    DANGLING = "dangling"
    LOOP = "loop"
    NOT_A_DIRECTORY = "not_a_directory"
    NOT_A_LINK = "not_a_link"
    NOT_A_FILE = "not_a_file"


#: The reasons that mean "nothing is there" (a name, or a link's target, does not exist).
NOT_THERE = (Unresolved.MISSING, Unresolved.DANGLING)


def split(path: str) -> list[str]:
    """Split a path into its components, dropping empty and ``.`` parts (``..`` is kept)."""
    return [part for part in path.split("/") if part not in ("", ".")]


def normalize(name: str) -> str:
    """Turn a raw entry name into an absolute in-image path.

    ``./etc/`` -> ``/etc``; ``/abs/x`` -> ``/abs/x``; ``../../x`` -> ``/x``; ``a/../b`` -> ``/b``.
    NUL bytes end the name, as they would for the kernel.
    """
    name = name.split("\0", 1)[0]
    clean = _clean(name)
    if clean is not None:
        return clean
    return fold(name)[0]


def fold(path: str) -> tuple[str, bool]:
    """Absolute ``path`` with ``.``/``..`` folded, and whether a ``..`` went above ``/``."""
    parts: list[str] = []
    escaped = False
    for part in split(path):
        if part != "..":
            parts.append(part)
        elif parts:
            parts.pop()
        else:
            escaped = True
    return join(parts), escaped


def _clean(name: str) -> str | None:
    """The normalised path of an already clean name (the usual case), else ``None``.

    Clean means: after at most one leading ``./`` and trailing ``/``, no empty, ``.`` or ``..``
    component.
    """
    if name.startswith("./"):
        name = name[2:]
    if name.endswith("/"):
        name = name[:-1]
    if (
        not name
        or name[0] == "/"
        or name[-1] == "/"
        or "//" in name
        or "/./" in name
        or "/../" in name
        or name.startswith(("./", "../"))
        or name.endswith(("/.", "/.."))
        or name in (".", "..")
    ):
        return None
    return "/" + name


def join(parts: list[str] | tuple[str, ...]) -> str:
    """Join components into an absolute path (``[]`` is ``/``)."""
    return "/" + "/".join(parts)


def parent(path: str) -> str:
    """The directory part of an absolute, normalised path (``/`` for ``/`` itself)."""
    head = path.rsplit("/", 1)[0]
    return head or "/"


def basename(path: str) -> str:
    """The last component of an absolute, normalised path (empty for ``/``)."""
    return path.rsplit("/", 1)[-1]


def glob_regex(pattern: str) -> str:
    """Regular expression for an absolute glob.

    ``*``, ``?`` and ``[...]`` stay within one component; a ``**`` component matches any
    number of components (at least one when it is the last).
    """
    parts = split(pattern)
    out = ""
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        if part == "**":
            out += "(?:/[^/]+)+" if last else "(?:/[^/]+)*"
            continue
        out += "/" + component_regex(part)
    return out or "/"


def component_regex(part: str) -> str:
    """Regular expression for one glob component: ``*`` and ``?`` never match ``/``.

    ``[...]`` is a class, ``[!...]`` a negated one, and a ``]`` right after ``[`` or ``[!``
    is a literal member (as in POSIX shells); a ``[`` without its ``]`` is a literal.
    """
    out, index = "", 0
    while index < len(part):
        char = part[index]
        first = index + 2 if part[index + 1 : index + 2] == "!" else index + 1
        end = part.find("]", first + 1) if char == "[" else -1
        if char == "*":
            out += "[^/]*"
        elif char == "?":
            out += "[^/]"
        elif end > 0:
            body = part[index + 1 : end].replace("\\", "\\\\")
            out += "[" + ("^" + body[1:] if body.startswith("!") else body) + "]"
            index = end
        else:
            out += re.escape(char)
        index += 1
    return out
