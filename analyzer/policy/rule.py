"""Frozen rules and check trees, and how a check tree combines its leaves' outcomes.

Combinators: ``all_of`` fails when any child fails, ``any_of`` passes when any child passes,
``not`` swaps pass and fail, ``when`` evaluates its ``then`` only where its condition passes
(otherwise the rule is not applicable). Unknown wins over pass in ``all_of`` and over fail in
``any_of``: an undeterminable part never turns into a verdict. Explanations are composed from
the children's results, never by parsing strings.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from analyzer.model import Facts, JSONObject, Level, Outcome, RuleInfo, TargetKind
from analyzer.policy.capture import PackCapture
from analyzer.policy.leaf import Leaf, LeafResult, Subject
from analyzer.policy.subjects import SubjectSpec

ALL_ROLES = ("controller", "worker")
ALL_TARGETS = (TargetKind.ROOTFS, TargetKind.CONTAINER, TargetKind.VM)


@dataclass(frozen=True, slots=True)
class LeafCheck:
    """A leaf in a check tree."""

    spec: Leaf

    def evaluate(self, facts: Facts, subject: Subject) -> LeafResult:
        """Evaluate the leaf."""
        return self.spec.evaluate(facts, subject)


@dataclass(frozen=True, slots=True)
class AllOf:
    """Passes when every child passes."""

    children: tuple[Check, ...]

    def evaluate(self, facts: Facts, subject: Subject) -> LeafResult:
        """Fail on any failure, else unknown on any unknown, else pass."""
        results = [child.evaluate(facts, subject) for child in self.children]
        return _combine(results, decisive=Outcome.FAIL, joiner="; ")


@dataclass(frozen=True, slots=True)
class AnyOf:
    """Passes when some child passes."""

    children: tuple[Check, ...]

    def evaluate(self, facts: Facts, subject: Subject) -> LeafResult:
        """Pass on any pass, else unknown on any unknown, else fail."""
        results = [child.evaluate(facts, subject) for child in self.children]
        return _combine(results, decisive=Outcome.PASS, joiner=" and ")


@dataclass(frozen=True, slots=True)
class Not:
    """Swaps pass and fail of its child."""

    child: Check

    def evaluate(self, facts: Facts, subject: Subject) -> LeafResult:
        """Invert pass and fail; unknown and not applicable stay."""
        result = self.child.evaluate(facts, subject)
        swapped = {Outcome.PASS: Outcome.FAIL, Outcome.FAIL: Outcome.PASS}
        outcome = swapped.get(result.outcome, result.outcome)
        return LeafResult(outcome, result.detail, result.location, result.evidence, None)


@dataclass(frozen=True, slots=True)
class When:
    """Evaluates ``then`` where ``condition`` passes; not applicable where it fails."""

    condition: Check
    then: Check

    def evaluate(self, facts: Facts, subject: Subject) -> LeafResult:
        """Gate ``then`` on ``condition``."""
        gate = self.condition.evaluate(facts, subject)
        if gate.outcome is Outcome.PASS:
            return self.then.evaluate(facts, subject)
        if gate.outcome is Outcome.FAIL:
            return LeafResult(Outcome.NOT_APPLICABLE, gate.detail, gate.location, gate.evidence)
        return gate


Check = LeafCheck | AllOf | AnyOf | Not | When


def iter_leaves(check: Check) -> Iterator[Leaf]:
    """Every leaf of a check tree, depth first (a ``when`` condition before its ``then``)."""
    if isinstance(check, LeafCheck):
        yield check.spec
    elif isinstance(check, AllOf | AnyOf):
        for child in check.children:
            yield from iter_leaves(child)
    elif isinstance(check, Not):
        yield from iter_leaves(check.child)
    else:
        yield from iter_leaves(check.condition)
        yield from iter_leaves(check.then)


def _combine(results: list[LeafResult], decisive: Outcome, joiner: str) -> LeafResult:
    decided = [r for r in results if r.outcome is decisive]
    if decisive is Outcome.PASS and decided:
        return decided[0]
    if decided:
        return _merge(decided, decisive, joiner)
    unknown = [r for r in results if r.outcome is Outcome.UNKNOWN]
    if unknown:
        return _merge(unknown, Outcome.UNKNOWN, joiner)
    applicable = [r for r in results if r.outcome is not Outcome.NOT_APPLICABLE]
    if not applicable:
        return _merge(results, Outcome.NOT_APPLICABLE, joiner)
    other = Outcome.FAIL if decisive is Outcome.PASS else Outcome.PASS
    return _merge(applicable, other, joiner)


def _merge(results: list[LeafResult], outcome: Outcome, joiner: str) -> LeafResult:
    if len(results) == 1:
        only = results[0]
        return LeafResult(
            outcome, only.detail, only.location, only.evidence, only.level, only.properties
        )
    levels = [r.level for r in results]
    level = None if None in levels else max(levels, key=lambda lv: lv.rank if lv else 0)
    location = next((r.location for r in results if r.location is not None), None)
    properties: JSONObject = {}
    for result in results:
        properties.update(result.properties)
    return LeafResult(
        outcome,
        joiner.join(r.detail for r in results if r.detail),
        location,
        tuple(e for r in results for e in r.evidence),
        level,
        properties,
    )


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule: identity and documentation, scope (profiles, roles, targets), check, message."""

    info: RuleInfo
    subject: SubjectSpec
    check: Check
    message: str
    targets: tuple[TargetKind, ...]
    not_applicable_reason: Mapping[str, str]
    source: str
    #: The files whose content the rule's pack declared in ``capture:``.
    capture: tuple[PackCapture, ...] = ()

    @property
    def id(self) -> str:
        """The stable rule id."""
        return self.info.id

    @property
    def level(self) -> Level:
        """The rule's default level."""
        return self.info.level
