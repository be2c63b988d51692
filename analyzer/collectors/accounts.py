"""The ``accounts`` fact: user and group names from the image's ``/etc/passwd`` and ``/etc/group``.

Owners in the tree are numbers; rules name them (``root:shadow``). The names come from the
image's own files, never the host's: ``name:password:ID:...`` lines, the first line of a name
or an ID winning as in glibc's files back-end. A file that is missing or unread leaves its
names unknown (``None``), so a rule can tell "no such group" from "cannot tell".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from analyzer.collectors.base import CollectContext
from analyzer.collectors.textfiles import read_lines
from analyzer.facts import Fact, Facts
from analyzer.model import Location, Notification
from analyzer.stream.capture import CapturePattern
from analyzer.vfs.tree import Tree

PASSWD = "/etc/passwd"
GROUP = "/etc/group"


@dataclass(frozen=True, slots=True)
class IdTable:
    """Names and IDs of one file (``names`` is ``None`` when the file was not read)."""

    path: str
    names: Mapping[str, int] | None
    location: Location | None = None
    problem: str = ""
    by_id: Mapping[int, str] = field(default_factory=dict)

    def id_of(self, name: str) -> int | None:
        """The ID of ``name`` (``None``: unknown name or unread file)."""
        return None if self.names is None else self.names.get(name)

    def name_of(self, number: int) -> str | None:
        """The first name with ID ``number``."""
        return self.by_id.get(number)


@dataclass(frozen=True, slots=True)
class Accounts:
    """The image's users and groups."""

    users: IdTable
    groups: IdTable

    def owner(self, uid: int, gid: int) -> str:
        """``root:shadow``, or the numbers where a name is not known (``0:42``)."""
        user = self.users.name_of(uid)
        group = self.groups.name_of(gid)
        return f"{user if user is not None else uid}:{group if group is not None else gid}"


def parse_ids(lines: list[str]) -> tuple[dict[str, int], dict[int, str]]:
    """``name -> ID`` and ``ID -> first name`` of passwd(5) or group(5) lines."""
    names: dict[str, int] = {}
    by_id: dict[int, str] = {}
    for line in lines:
        parts = line.split(":")
        if len(parts) < 3 or not parts[0] or line.startswith(("#", "+", "-")):
            continue
        try:
            number = int(parts[2])
        except ValueError:
            continue
        names.setdefault(parts[0], number)
        by_id.setdefault(number, parts[0])
    return names, by_id


def read_table(tree: Tree, path: str) -> IdTable:
    """One of the two files, read from the tree."""
    text = read_lines(tree, path)
    if text.lines is None:
        return IdTable(path, None, None, text.problem.replace("_", " "))
    names, by_id = parse_ids(text.lines)
    return IdTable(path, names, tree.location(path), "", by_id)


class AccountsCollector:
    """Produces the ``accounts`` fact (always present; unread files give unknown names)."""

    name = "accounts"
    provides = ("accounts",)
    requires: tuple[str, ...] = ()
    capture = (CapturePattern(PASSWD), CapturePattern(GROUP))

    def collect(
        self, ctx: CollectContext, facts: Facts, notes: list[Notification]
    ) -> dict[str, Fact[Any]]:
        """Read both files."""
        del facts, notes
        value = Accounts(read_table(ctx.tree, PASSWD), read_table(ctx.tree, GROUP))
        return {"accounts": Fact.present(value)}
