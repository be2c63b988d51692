"""Combinators and the engine: outcomes, explanations, levels, isolation, selection."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from analyzer.model import (
    FactId,
    Facts,
    FactStore,
    Level,
    Location,
    Notification,
    Outcome,
    RuleInfo,
    TargetKind,
)
from analyzer.policy.engine import evaluate, select
from analyzer.policy.leaf import LeafResult, Subject, SubjectKind
from analyzer.policy.params import NO_PARAMS, ParamSpec
from analyzer.policy.rule import AllOf, AnyOf, Check, LeafCheck, Not, Rule, When
from analyzer.policy.subjects import IMAGE

SUBJECT = Subject(SubjectKind.IMAGE, "", Location("/"))


@dataclass(frozen=True)
class Fixed:
    """A leaf with a fixed result, to exercise the combinators."""

    key: ClassVar[str] = "fixed"
    needs: ClassVar[tuple[FactId, ...]] = ()
    subjects: ClassVar[tuple[SubjectKind, ...]] = (SubjectKind.IMAGE,)
    outcome: Outcome
    detail: str
    level: Level | None = None

    spec: ClassVar[ParamSpec] = NO_PARAMS

    def evaluate(self, facts: Facts, subject: Subject) -> LeafResult:
        del facts, subject
        return LeafResult(
            self.outcome, self.detail, Location(f"/{self.detail}"), (self.detail,), self.level
        )


@dataclass(frozen=True)
class Crashing:
    key: ClassVar[str] = "crash"
    needs: ClassVar[tuple[FactId, ...]] = ()
    subjects: ClassVar[tuple[SubjectKind, ...]] = (SubjectKind.IMAGE,)

    spec: ClassVar[ParamSpec] = NO_PARAMS

    def evaluate(self, facts: Facts, subject: Subject) -> LeafResult:
        raise RuntimeError("boom")


P = LeafCheck(Fixed(Outcome.PASS, "p"))
F = LeafCheck(Fixed(Outcome.FAIL, "f"))
F2 = LeafCheck(Fixed(Outcome.FAIL, "g"))
U = LeafCheck(Fixed(Outcome.UNKNOWN, "u"))
NA = LeafCheck(Fixed(Outcome.NOT_APPLICABLE, "n"))


def run(check: Check) -> LeafResult:
    return check.evaluate(FactStore(), SUBJECT)


def test_all_of_fails_on_any_failure_and_explains_with_the_failures() -> None:
    result = run(AllOf((P, F, U, F2)))
    assert (result.outcome, result.detail) == (Outcome.FAIL, "f; g")
    assert result.location == Location("/f")
    assert result.evidence == ("f", "g")


def test_all_of_is_unknown_when_nothing_fails_but_something_is_unknown() -> None:
    assert run(AllOf((P, U))).outcome is Outcome.UNKNOWN


def test_all_of_passes_when_every_applicable_child_passes() -> None:
    assert run(AllOf((P, NA))).outcome is Outcome.PASS
    assert run(AllOf((NA, NA))).outcome is Outcome.NOT_APPLICABLE


def test_any_of_passes_on_one_pass_and_never_turns_unknown_into_fail() -> None:
    assert run(AnyOf((F, P))).outcome is Outcome.PASS
    assert run(AnyOf((F, U))).outcome is Outcome.UNKNOWN
    failed = run(AnyOf((F, F2)))
    assert (failed.outcome, failed.detail) == (Outcome.FAIL, "f and g")


def test_not_swaps_pass_and_fail_only() -> None:
    assert run(Not(P)).outcome is Outcome.FAIL
    assert run(Not(F)).outcome is Outcome.PASS
    assert run(Not(U)).outcome is Outcome.UNKNOWN


def test_when_gates_on_its_condition() -> None:
    assert run(When(P, F)).outcome is Outcome.FAIL
    gated = run(When(F, F2))
    assert (gated.outcome, gated.detail) == (Outcome.NOT_APPLICABLE, "f")
    assert run(When(U, F2)).outcome is Outcome.UNKNOWN


def _rule(
    check: Check,
    level: Level = Level.WARNING,
    targets: tuple[TargetKind, ...] = tuple(TargetKind),
    profiles: tuple[str, ...] = ("p",),
    roles: tuple[str, ...] = ("controller", "worker"),
) -> Rule:
    info = RuleInfo("t.rule", "Title", "desc", level, "help", profiles=profiles, roles=roles)
    return Rule(
        info,
        IMAGE,
        check,
        "bad: {detail}",
        targets,
        {"container": "the host decides"},
        "t.yaml:1",
    )


def test_engine_renders_message_and_keeps_location_and_evidence() -> None:
    (ev,) = evaluate([_rule(F)], FactStore(), TargetKind.ROOTFS, [])
    assert (ev.outcome, ev.level, ev.message) == (Outcome.FAIL, Level.WARNING, "bad: f")
    assert ev.location == Location("/f")
    assert ev.evidence == ("f",)


def test_engine_lets_a_check_lower_the_level_but_never_raise_it() -> None:
    lower = LeafCheck(Fixed(Outcome.FAIL, "old", Level.NOTE))
    higher = LeafCheck(Fixed(Outcome.FAIL, "x", Level.ERROR))
    assert evaluate([_rule(lower)], FactStore(), TargetKind.VM, [])[0].level is Level.NOTE
    assert evaluate([_rule(higher)], FactStore(), TargetKind.VM, [])[0].level is Level.WARNING


def test_engine_reports_excluded_target_as_not_applicable_with_reason() -> None:
    rule = _rule(F, targets=(TargetKind.ROOTFS, TargetKind.VM))
    (ev,) = evaluate([rule], FactStore(), TargetKind.CONTAINER, [])
    assert (ev.outcome, ev.message) == (Outcome.NOT_APPLICABLE, "the host decides")


def test_engine_isolates_a_crashing_rule() -> None:
    notes: list[Notification] = []
    evaluations = evaluate(
        [_rule(LeafCheck(Crashing())), _rule(P)], FactStore(), TargetKind.VM, notes
    )
    assert [e.outcome for e in evaluations] == [Outcome.UNKNOWN, Outcome.PASS]
    assert notes[0].code == "rule.crashed"
    assert "boom" in notes[0].message


def test_select_by_profile_and_role() -> None:
    worker_only = _rule(P, profiles=("k0s",), roles=("worker",))
    both = _rule(P, profiles=("k0s", "docker"))
    assert select([worker_only, both], ["k0s"], ["controller"]) == [both]
    assert select([worker_only, both], ["docker"], ["worker"]) == [both]
    assert select([worker_only, both], ["k0s"], ["controller", "worker"]) == [worker_only, both]
