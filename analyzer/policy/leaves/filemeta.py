"""Leaves about a file's mode and owner, for rules whose subject is ``{file: [GLOB, ...]}``.

A link is judged by what it leads to (as ``stat`` would). Owners are compared by number: a
name in the rule is looked up in the image's own ``/etc/passwd`` or ``/etc/group`` (the
``accounts`` fact), a number is taken as it is; an image without that name fails the check
(no file can be owned by it), an unread passwd or group file makes it unknown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from analyzer.facts import ACCOUNTS, FILES
from analyzer.facts.accounts import IdTable
from analyzer.facts.files import FileInfo
from analyzer.model import FactId, Facts, Outcome
from analyzer.policy.leaf import LeafResult, Subject, SubjectKind, file_of, unknown
from analyzer.policy.params import Param, ParamSpec
from analyzer.policy.paramtypes import OCTAL_MODE, STRING
from analyzer.stream.entry import Kind

PERMISSION_BITS = 0o7777


def _mode(info: FileInfo) -> int:
    mode = info.target_mode if info.target_mode is not None else info.mode
    return mode & PERMISSION_BITS


@dataclass(frozen=True, slots=True)
class FileMode:
    """``file_mode: {max: "0640"}``: no permission bit beyond ``max`` (or exactly ``equals``).

    ``max`` is how CIS benchmarks word it ("0640 or more restrictive"): the file may have fewer
    bits, never another one. The finding names the extra bits.
    """

    key: ClassVar[str] = "file_mode"
    needs: ClassVar[tuple[FactId, ...]] = (FILES,)
    subjects: ClassVar[tuple[SubjectKind, ...]] = (SubjectKind.FILE,)
    spec: ClassVar[ParamSpec] = ParamSpec(
        Param("max", OCTAL_MODE, doc="no permission bit beyond these"),
        Param("equals", OCTAL_MODE, doc="exactly these permission bits"),
        one_of=(("max", "equals"),),
    )
    max: int | None = None
    equals: int | None = None

    def evaluate(self, facts: Facts, subject: Subject) -> LeafResult:
        """Compare the subject's permission bits."""
        del facts
        info = file_of(subject)
        if info.kind is Kind.SYMLINK and info.target_mode is None:
            return LeafResult(Outcome.UNKNOWN, info.describe(), info.location)
        mode = _mode(info)
        text = f"{info.path} has mode {mode:04o}"
        if self.equals is not None:
            outcome = Outcome.PASS if mode == self.equals else Outcome.FAIL
            return LeafResult(outcome, f"{text} (expected {self.equals:04o})", info.location)
        limit = self.max if self.max is not None else PERMISSION_BITS
        extra = mode & ~limit
        if not extra:
            return LeafResult(Outcome.PASS, f"{text} (at most {limit:04o})", info.location)
        detail = f"{text}, allowing {extra:04o} beyond {limit:04o}"
        return LeafResult(Outcome.FAIL, detail, info.location, (), None, {"mode": f"{mode:04o}"})


def _ids(wanted: tuple[str, ...], table: IdTable) -> tuple[set[int], list[str]] | None:
    """The IDs of ``wanted`` and the names the image lacks; ``None`` when the file is unread."""
    ids: set[int] = set()
    lacking: list[str] = []
    for name in wanted:
        if name.isdigit():
            ids.add(int(name))
            continue
        if table.names is None:
            return None
        number = table.id_of(name)
        if number is None:
            lacking.append(name)
        else:
            ids.add(number)
    return ids, lacking


@dataclass(frozen=True, slots=True)
class FileOwner:
    """``file_owner: {user: root, group: [root, shadow]}``: owner and group among those given."""

    key: ClassVar[str] = "file_owner"
    needs: ClassVar[tuple[FactId, ...]] = (FILES, ACCOUNTS)
    subjects: ClassVar[tuple[SubjectKind, ...]] = (SubjectKind.FILE,)
    spec: ClassVar[ParamSpec] = ParamSpec(
        Param("user", STRING, many=True, doc="user names or numbers"),
        Param("group", STRING, many=True, doc="group names or numbers"),
        any_of=("user", "group"),
    )
    user: tuple[str, ...] = ()
    group: tuple[str, ...] = ()

    def evaluate(self, facts: Facts, subject: Subject) -> LeafResult:
        """Compare the subject's owner and group with the names resolved in the image."""
        info = file_of(subject)
        accounts = facts.value(ACCOUNTS)
        if accounts is None:
            return unknown(ACCOUNTS, facts)
        owner = accounts.owner(info.uid, info.gid)
        text = f"{info.path} is owned by {owner}"
        problems: list[str] = []
        for wanted, table, number, what in (
            (self.user, accounts.users, info.uid, "user"),
            (self.group, accounts.groups, info.gid, "group"),
        ):
            if not wanted:
                continue
            ids = _ids(wanted, table)
            if ids is None:
                return LeafResult(Outcome.UNKNOWN, f"{text}; {table.path}: {table.problem}")
            allowed, lacking = ids
            if number not in allowed:
                lack = f" ({table.path} has no {', '.join(lacking)})" if lacking else ""
                problems.append(f"{what} is not {' or '.join(wanted)}{lack}")
        if problems:
            detail = f"{text}: {'; '.join(problems)}"
            return LeafResult(Outcome.FAIL, detail, info.location, (), None, {"owner": owner})
        return LeafResult(Outcome.PASS, text, info.location)
