"""Build the JSON report model (:mod:`analyzer.report.document`) from a run's result.

:func:`build_report` is the only place that maps internal types to the public document:
rules without duplicates, evaluations in the stable report order, each finding's layer, the
counts, the reasons a run is incomplete and the facts summary.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict

from analyzer.model import Evaluation as InternalEvaluation
from analyzer.model import LayerInfo, Level, Outcome, RunResult, TargetInfo
from analyzer.model import Notification as InternalNotification
from analyzer.report.build_facts import facts_summary, location
from analyzer.report.common import (
    baseline_counts,
    counts,
    jsonable,
    sorted_evaluations,
    unique_rules,
    unverified_counts,
)
from analyzer.report.document import (
    REPORT_FORMAT,
    AbsentFinding,
    Baseline,
    BuildStep,
    Counts,
    Evaluation,
    Layer,
    Notification,
    Reason,
    Report,
    Rule,
    Summary,
    Suppression,
    Target,
    Tool,
    Unverified,
)
from analyzer.report.jsonmodel import JsonObject

#: The ``tool.name`` of every document.
TOOL_NAME = "imgaudit"


def build_report(result: RunResult) -> Report:
    """The public JSON report model of ``result``."""
    rules = unique_rules(result.rules)
    evaluations = sorted_evaluations(result.evaluations, rules)
    layers = tuple(_layer(entry) for entry in result.target.layers)
    by_id = {layer.id: layer for layer in reversed(layers)}
    return Report(
        schema=REPORT_FORMAT,
        tool=Tool(TOOL_NAME, result.tool_version),
        target=_target(result.target, layers),
        profiles=result.profiles,
        roles=result.roles,
        complete=result.complete,
        incomplete_reasons=tuple(
            Reason(note.code, note.message)
            for note in result.notifications
            if note.level is Level.ERROR
        ),
        summary=_summary(result, evaluations, [rule.id for rule in rules]),
        baseline=_baseline(result),
        rules=tuple(
            Rule(
                id=rule.id,
                title=rule.title,
                level=rule.level,
                profiles=rule.profiles,
                area=rule.area,
                parent=rule.parent,
                tags=rule.tags,
                security_severity=rule.security_severity,
            )
            for rule in rules
        ),
        evaluations=tuple(_evaluation(e, by_id) for e in evaluations),
        notifications=tuple(notification(note) for note in result.notifications),
        facts=facts_summary(result.facts),
    )


def notification(note: InternalNotification) -> Notification:
    """The report form of a notification."""
    where = None if note.location is None else location(note.location)
    return Notification(note.level, note.code, note.message, where)


def _object(value: object) -> JsonObject:
    converted = jsonable(value)
    assert isinstance(converted, dict)
    return converted


def _target(target: TargetInfo, layers: tuple[Layer, ...]) -> Target:
    return Target(
        reference=target.reference,
        source=target.source,
        kind=target.kind,
        layers=layers,
        properties=_object(target.properties),
    )


def _layer(layer: LayerInfo) -> Layer:
    return Layer(
        id=layer.id,
        digest=layer.digest or None,
        diff_id=layer.diff_id or None,
        created_by=layer.created_by or None,
        description=layer.description or None,
        mountpoint=layer.mountpoint or None,
    )


def _baseline(result: RunResult) -> Baseline | None:
    if result.baseline is None:
        return None
    tally = baseline_counts(result)
    return Baseline(
        file=result.baseline,
        new=tally["new"],
        unchanged=tally["unchanged"],
        updated=tally["updated"],
        absent=tally["absent"],
        absent_findings=tuple(
            AbsentFinding(p.rule_id, p.level, p.message, location(p.location), p.fingerprint)
            for p in result.absent
        ),
    )


def counts_of(tally: Mapping[str, int]) -> Counts:
    """The report's counts from a tally keyed by level and outcome (``pass``, ``unknown``...)."""
    return Counts(
        error=tally["error"],
        warning=tally["warning"],
        note=tally["note"],
        passed=tally["pass"],
        unknown=tally["unknown"],
        not_applicable=tally["not_applicable"],
    )


def _summary(
    result: RunResult, evaluations: list[InternalEvaluation], rule_order: list[str]
) -> Summary:
    unverified = unverified_counts(result)
    ids = {e.rule_id for e in result.unverified}
    return Summary(
        **asdict(counts_of(counts(evaluations))),
        unverified=Unverified(
            error=unverified[Level.ERROR.value],
            warning=unverified[Level.WARNING.value],
            rule_ids=tuple(rule for rule in rule_order if rule in ids)
            + tuple(sorted(ids - set(rule_order))),
        ),
    )


def _evaluation(evaluation: InternalEvaluation, layers: Mapping[str, Layer]) -> Evaluation:
    layer_id, step = evaluation.location.layer, evaluation.origin
    layer = None
    if layer_id:
        layer = layers.get(layer_id) or Layer(layer_id, None, None, None, None, None)
    return Evaluation(
        rule_id=evaluation.rule_id,
        outcome=evaluation.outcome,
        level=evaluation.level,
        finding=evaluation.outcome is Outcome.FAIL,
        message=evaluation.message,
        location=location(evaluation.location),
        layer=layer,
        build=None
        if step is None
        else BuildStep(step.uri, step.line, step.end_line, step.instruction),
        baseline_state=evaluation.baseline,
        suppression=None
        if (entry := evaluation.suppression) is None
        else Suppression(
            entry.rule, entry.path, entry.reason, entry.expires, entry.source.describe()
        ),
        subject=evaluation.subject,
        discriminator=evaluation.discriminator,
        evidence=evaluation.evidence,
        properties=_object(evaluation.properties),
    )
