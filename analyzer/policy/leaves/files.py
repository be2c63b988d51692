"""Leaves about single files, for rules whose subject is ``{file: [GLOB, ...]}``."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import ClassVar

from analyzer.facts import CONTAINERD_SNIPPETS, FILES
from analyzer.model import FactId, Facts, Outcome
from analyzer.policy.leaf import LeafResult, Subject, SubjectKind, file_of, unknown
from analyzer.policy.params import NO_PARAMS, Param, ParamSpec
from analyzer.policy.paramtypes import member_of
from analyzer.stream.entry import Kind


class Expect(enum.StrEnum):
    """What ``file: {expect: ...}`` may ask of a matched object."""

    ABSENT = "absent"
    EMPTY = "empty"


#: An expectation's name as an :class:`Expect`.
EXPECTATION = member_of(Expect, "an expectation")


@dataclass(frozen=True, slots=True)
class FileExpect:
    """``file: {expect: absent | empty}``: the matched object should not be there, or be empty.

    ``absent`` fails for every match (a dangling link included: the name is still in the
    image). ``empty`` fails for a regular file with content or a directory with entries,
    following links; other kinds pass. The finding is located at the object itself.
    """

    key: ClassVar[str] = "file"
    needs: ClassVar[tuple[FactId, ...]] = (FILES,)
    subjects: ClassVar[tuple[SubjectKind, ...]] = (SubjectKind.FILE,)
    spec: ClassVar[ParamSpec] = ParamSpec(
        Param("expect", EXPECTATION, required=True, choices=tuple(Expect))
    )
    expect: Expect

    def evaluate(self, facts: Facts, subject: Subject) -> LeafResult:
        """Judge the subject's :class:`FileInfo`."""
        del facts
        info = file_of(subject)
        evidence = (info.chain,) if info.chain else ()
        kind = info.target_kind or info.kind
        properties = {"size": info.size} if kind is Kind.FILE else {}
        if self.expect is Expect.EMPTY and info.is_empty:
            return LeafResult(Outcome.PASS, f"{info.path} is empty", info.location, evidence)
        if self.expect is Expect.EMPTY and kind not in (Kind.FILE, Kind.DIR):
            return LeafResult(Outcome.PASS, f"{info.describe()} holds no data", info.location)
        return LeafResult(Outcome.FAIL, info.describe(), info.location, evidence, None, properties)


@dataclass(frozen=True, slots=True)
class ContainerdSnippetValid:
    """``containerd_snippet: {}``: k0s would accept this ``/etc/k0s/containerd.d`` snippet.

    Fails with every reason joined, located at the first offending line; a snippet whose
    content was not read is unknown.
    """

    key: ClassVar[str] = "containerd_snippet"
    needs: ClassVar[tuple[FactId, ...]] = (CONTAINERD_SNIPPETS,)
    subjects: ClassVar[tuple[SubjectKind, ...]] = (SubjectKind.FILE,)
    spec: ClassVar[ParamSpec] = NO_PARAMS

    def evaluate(self, facts: Facts, subject: Subject) -> LeafResult:
        """Look the subject up in the ``containerd_snippets`` fact."""
        snippets = facts.value(CONTAINERD_SNIPPETS)
        if snippets is None:
            return unknown(CONTAINERD_SNIPPETS, facts)
        snippet = snippets.get(subject.key)
        if snippet is None:
            return LeafResult(Outcome.NOT_APPLICABLE, f"{subject.key} is not a snippet")
        if not snippet.readable:
            return LeafResult(Outcome.UNKNOWN, f"{snippet.path}: content not read")
        if not snippet.problems:
            return LeafResult(Outcome.PASS, f"{snippet.path} is accepted", snippet.location)
        evidence = tuple(f"{p.location.describe()}: {p.message}" for p in snippet.problems)
        detail = "; ".join(p.message for p in snippet.problems)
        return LeafResult(Outcome.FAIL, detail, snippet.problems[0].location, evidence)
