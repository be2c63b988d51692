"""Check leaves: typed predicates over facts, the vocabulary rule packs are written in.

A leaf class is a frozen dataclass with a YAML ``key``, the facts it ``needs``, the subject
kinds it works on (``subjects``), a declarative parameter ``spec``
(:class:`~analyzer.policy.params.ParamSpec`, from which the loader validates and builds it) and
an ``evaluate`` that returns a :class:`LeafResult`. Leaves are listed in
:data:`analyzer.policy.leaves.LEAVES`.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import Field, dataclass, field
from typing import ClassVar, Protocol, TypeVar

from analyzer.facts.files import FileInfo
from analyzer.facts.kernel import Kernel
from analyzer.facts.linkage import Linkage
from analyzer.model import JSON, FactId, FactKey, Facts, Level, Location, Outcome
from analyzer.policy.params import ParamSpec

T = TypeVar("T")
#: What a subject is about: a kernel, a binary, a file, or (``None``) the whole image.
SubjectValue = Kernel | Linkage | FileInfo | None


class SubjectKind(enum.StrEnum):
    """What a rule's evaluations are about: the artefact, a kernel, a binary or a file."""

    IMAGE = "image"
    KERNEL = "kernel"
    BINARY = "binary"
    FILE = "file"


@dataclass(frozen=True, slots=True)
class Subject:
    """What one evaluation of a rule is about: the image, a kernel, a binary, a file.

    ``key`` discriminates evaluations of one rule (a kernel release, a path); ``value`` is the
    subject's own fact value (a kernel record, an ELF record); ``location`` is the default
    location of a finding about it.
    """

    kind: SubjectKind
    key: str
    location: Location
    value: SubjectValue = None


def file_of(subject: Subject) -> FileInfo:
    """The subject's :class:`~analyzer.facts.files.FileInfo` (a ``TypeError`` for any other)."""
    if not isinstance(subject.value, FileInfo):
        raise TypeError(f"subject {subject.key!r} is not a file")
    return subject.value


@dataclass(frozen=True, slots=True)
class LeafResult:
    """The outcome of one leaf on one subject, with its explanation and evidence.

    ``level`` lowers the rule's level for this result (a symbol this kernel cannot have is a
    note, not a warning); ``location`` overrides the subject's default location.
    """

    outcome: Outcome
    detail: str
    location: Location | None = None
    evidence: tuple[str, ...] = ()
    level: Level | None = None
    properties: Mapping[str, JSON] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Undetermined:
    """Why a rule's subjects cannot be listed: the fact they come from is not present."""

    reason: str
    location: Location | None = None

    @classmethod
    def of(cls, key: FactKey[T], facts: Facts) -> Undetermined:
        """From the fact under ``key`` (absent or unknown), with its reason and location."""
        fact = facts.get(key)
        return cls(fact.reason or f"no {key.name} found", fact.location)


class Leaf(Protocol):
    """A check leaf: built by the loader from its ``spec`` (one keyword per given parameter)."""

    key: ClassVar[str]
    needs: ClassVar[tuple[FactId, ...]]
    subjects: ClassVar[tuple[SubjectKind, ...]]
    spec: ClassVar[ParamSpec]
    __dataclass_fields__: ClassVar[dict[str, Field[object]]]

    def evaluate(self, facts: Facts, subject: Subject) -> LeafResult:
        """Evaluate on one subject."""


def unknown(key: FactKey[T], facts: Facts) -> LeafResult:
    """The result for a leaf whose fact is not present: unknown, with the fact's reason."""
    fact = facts.get(key)
    reason = fact.reason or f"{key.name} not determined"
    return LeafResult(Outcome.UNKNOWN, reason, fact.location)
