"""Evaluate selected rules against facts: per rule, per subject, isolated from each other."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from analyzer.model import Evaluation, Facts, Level, Location, Notification, Outcome, TargetKind
from analyzer.policy.leaf import LeafResult, Subject, Undetermined
from analyzer.policy.rule import Rule
from analyzer.policy.subjects import no_subjects, subjects_for
from analyzer.policy.templates import fill

ROLE_CHOICES = {
    "controller": ("controller",),
    "worker": ("worker",),
    "controller+worker": ("controller", "worker"),
}


def select(rules: Iterable[Rule], profiles: Sequence[str], roles: Sequence[str]) -> list[Rule]:
    """Rules in any of ``profiles`` that apply to any of ``roles``, in pack order."""
    wanted = set(profiles)
    return [
        rule
        for rule in rules
        if wanted.intersection(rule.info.profiles) and set(roles).intersection(rule.info.roles)
    ]


def render(template: str, result: LeafResult, subject: Subject) -> str:
    """Fill a message template (checked at load) with ``{detail}`` and ``{subject}``."""
    return fill(template, {"detail": result.detail, "subject": subject.key}).strip()


def evaluate(
    rules: Iterable[Rule], facts: Facts, target: TargetKind, notes: list[Notification]
) -> list[Evaluation]:
    """Every evaluation of every rule; a rule that crashes becomes unknown plus a notification."""
    evaluations: list[Evaluation] = []
    for rule in rules:
        try:
            evaluations.extend(_evaluate_rule(rule, facts, target))
        except Exception as exc:  # noqa: BLE001 - one broken rule must not stop the run
            notes.append(
                Notification(
                    Level.ERROR, "rule.crashed", f"rule {rule.id} could not be evaluated: {exc!r}"
                )
            )
            evaluations.append(
                Evaluation(rule.id, Outcome.UNKNOWN, rule.level, f"evaluation failed: {exc}",
                           Location("/"))
            )  # fmt: skip
    return evaluations


def _evaluate_rule(rule: Rule, facts: Facts, target: TargetKind) -> list[Evaluation]:
    if target not in rule.targets:
        reason = rule.not_applicable_reason.get(target.value, f"does not apply to {target.value}")
        return [
            Evaluation(rule.id, Outcome.NOT_APPLICABLE, rule.level, reason, Location("/"),
                       properties={"reason": reason})
        ]  # fmt: skip
    subjects = subjects_for(rule.subject, facts)
    if isinstance(subjects, Undetermined):
        location = subjects.location or Location("/")
        return [Evaluation(rule.id, Outcome.UNKNOWN, rule.level, subjects.reason, location)]
    if not subjects:
        outcome, message, location = no_subjects(rule.subject, facts)
        return [Evaluation(rule.id, outcome, rule.level, message, location)]
    evaluations = [_evaluate_subject(rule, facts, subject) for subject in subjects]
    return _in_scope(rule, evaluations)


def _in_scope(rule: Rule, evaluations: list[Evaluation]) -> list[Evaluation]:
    """Drop subjects a rule's ``when`` gate left out; say so once when it left out all."""
    applicable = [e for e in evaluations if e.outcome is not Outcome.NOT_APPLICABLE]
    if applicable or len(evaluations) == 1:
        return applicable or evaluations
    kind = rule.subject.kind
    message = f"none of the {len(evaluations)} {kind} subjects is in this rule's scope"
    return [Evaluation(rule.id, Outcome.NOT_APPLICABLE, rule.level, message, Location("/"))]


def _evaluate_subject(rule: Rule, facts: Facts, subject: Subject) -> Evaluation:
    result = rule.check.evaluate(facts, subject)
    level = result.level or rule.level
    if result.level is not None and result.level.rank > rule.level.rank:
        level = rule.level
    failed = result.outcome is Outcome.FAIL
    return Evaluation(
        rule.id,
        result.outcome,
        level,
        render(rule.message, result, subject) if failed else result.detail,
        result.location or subject.location,
        subject=subject.key,
        discriminator=subject.key,
        evidence=result.evidence,
        properties=dict(result.properties),
    )
