"""Check leaves: typed predicates over facts, the vocabulary rule packs are written in.

A leaf class has a YAML ``key``, the facts it ``needs``, the subject kind it works on
(``subjects``), a ``parse`` that validates its parameters, and an ``evaluate`` that returns a
:class:`LeafResult`. Leaves are listed in :data:`analyzer.policy.leaves.LEAVES`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from analyzer.facts import Facts
from analyzer.model import Level, Location, Outcome


@dataclass(frozen=True, slots=True)
class Subject:
    """What one evaluation of a rule is about: the image, a kernel, a binary, a file.

    ``key`` discriminates evaluations of one rule (a kernel release, a path); ``value`` is the
    subject's own fact value (a kernel record, an ELF record); ``location`` is the default
    location of a finding about it.
    """

    kind: str
    key: str
    location: Location
    value: Any = None


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
    properties: Mapping[str, Any] = field(default_factory=dict)


class Leaf(Protocol):
    """A check leaf: a class whose ``parse`` builds a ready-to-evaluate instance."""

    key: ClassVar[str]
    needs: ClassVar[tuple[str, ...]]
    subjects: ClassVar[tuple[str, ...]]

    @classmethod
    def parse(cls, params: Any) -> Leaf:
        """Validate parameters; raise ``ValueError`` with a short reason when they are wrong."""

    def evaluate(self, facts: Facts, subject: Subject) -> LeafResult:
        """Evaluate on one subject."""


def unknown(fact_name: str, facts: Facts) -> LeafResult:
    """The result for a leaf whose fact is not present: unknown, with the fact's reason."""
    fact = facts.get(fact_name)
    reason = fact.reason if fact is not None and fact.reason else f"{fact_name} not determined"
    return LeafResult(Outcome.UNKNOWN, reason, fact.location if fact else None)
