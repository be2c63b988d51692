"""The ``accounts`` fact: user and group names from the image's ``/etc/passwd`` and ``/etc/group``.

Owners in the tree are numbers; rules name them (``root:shadow``). The names come from the
image's own files, never the host's: ``name:password:ID:...`` lines, the first line of a name
or an ID winning as in glibc's files back-end. A file that is missing or unread leaves its
names unknown (``None``), so a rule can tell "no such group" from "cannot tell".
"""

from __future__ import annotations

from analyzer.collectors.base import CollectContext
from analyzer.collectors.textfiles import read_lines
from analyzer.facts import ACCOUNTS
from analyzer.facts.accounts import Accounts, IdTable
from analyzer.model import Fact, FactId, Facts, FactStore, Notification
from analyzer.stream.capture import CapturePattern
from analyzer.vfs.tree import Tree

PASSWD = "/etc/passwd"
GROUP = "/etc/group"


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
    provides: tuple[FactId, ...] = (ACCOUNTS,)
    requires: tuple[FactId, ...] = ()
    capture = (CapturePattern(PASSWD), CapturePattern(GROUP))

    def collect(self, ctx: CollectContext, facts: Facts, notes: list[Notification]) -> FactStore:
        """Read both files."""
        del facts, notes
        value = Accounts(read_table(ctx.tree, PASSWD), read_table(ctx.tree, GROUP))
        return FactStore.one(ACCOUNTS, Fact.present(value))
