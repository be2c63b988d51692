"""The versioned JSON report (``imgaudit/report/v1``), documented in ``docs/json-report.md``.

Unlike SARIF it carries every evaluation (pass, unknown and not applicable included) and the
facts the collectors gathered, so that other tools can build on a run without re-scanning.
Keys appear in a fixed order; mappings taken from the result are sorted by key; the same
result gives byte-identical text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from analyzer.model import BuildStep, Evaluation, Location, Notification, RunResult, Suppression
from analyzer.report.common import (
    baseline_counts,
    clean_text,
    counts,
    jsonable,
    layer_attribution,
    layer_fields,
    sorted_evaluations,
    unique_rules,
    unverified_counts,
)

#: Identifies the document format; bumped on incompatible changes.
SCHEMA = "imgaudit/report/v1"
TOOL_NAME = "imgaudit"


@dataclass(frozen=True, slots=True)
class JsonOptions:
    """``indent``: spaces per nesting level (``None`` writes one line)."""

    indent: int | None = 2


def render(result: RunResult, options: JsonOptions | None = None) -> str:
    """Render the JSON report of ``result`` as text (ending with a newline)."""
    indent = (options or JsonOptions()).indent
    separators = (",", ":") if indent is None else (",", ": ")
    text = json.dumps(document(result), ensure_ascii=False, indent=indent, separators=separators)
    return text + "\n"


def document(result: RunResult) -> dict[str, Any]:
    """Build the JSON report of ``result`` as a JSON-ready dict."""
    rules = unique_rules(result.rules)
    evaluations = sorted_evaluations(result.evaluations, rules)
    return {
        "schema": SCHEMA,
        "tool": {"name": TOOL_NAME, "version": clean_text(result.tool_version)},
        "target": {
            "reference": clean_text(result.target.reference),
            "source": clean_text(result.target.source),
            "kind": result.target.kind.value,
            "layers": jsonable([layer_fields(layer) for layer in result.target.layers]),
            "properties": jsonable(result.target.properties),
        },
        "profiles": jsonable(list(result.profiles)),
        "roles": jsonable(list(result.roles)),
        "complete": result.complete,
        "summary": {**counts(evaluations), "unverified": unverified_counts(result)},
        "baseline": _baseline(result),
        "rules": [
            {
                "id": clean_text(rule.id),
                "title": clean_text(rule.title),
                "level": rule.level.value,
                "profiles": jsonable(list(rule.profiles)),
                "area": clean_text(rule.area),
                "parent": None if rule.parent is None else clean_text(rule.parent),
                "tags": jsonable(list(rule.tags)),
                "security_severity": rule.security_severity,
            }
            for rule in rules
        ],
        "evaluations": [_evaluation(e, result) for e in evaluations],
        "notifications": [notification(n) for n in result.notifications],
        "facts": jsonable(dict(result.facts.items())),
    }


def location(where: Location) -> dict[str, Any]:
    """Describe a location as ``{path, line, access_path, layer}`` (absent parts are ``null``)."""
    return {
        "path": clean_text(where.path),
        "line": where.line,
        "access_path": None if where.access_path is None else clean_text(where.access_path),
        "layer": None if where.layer is None else clean_text(where.layer),
    }


def _evaluation(evaluation: Evaluation, result: RunResult) -> dict[str, Any]:
    attribution = layer_attribution(result.target, evaluation.location)
    return {
        "rule_id": clean_text(evaluation.rule_id),
        "outcome": evaluation.outcome.value,
        "level": evaluation.level.value,
        "finding": evaluation.is_finding,
        "message": clean_text(evaluation.message),
        "location": location(evaluation.location),
        "layer": attribution or None,
        "subject": clean_text(evaluation.subject),
        "discriminator": clean_text(evaluation.discriminator),
        "evidence": [clean_text(item) for item in evaluation.evidence],
        "properties": jsonable(evaluation.properties),
        **({} if evaluation.origin is None else {"build": build_step(evaluation.origin)}),
        "baseline_state": None if evaluation.baseline is None else evaluation.baseline.value,
        "suppression": None
        if evaluation.suppression is None
        else _suppression(evaluation.suppression),
    }


def build_step(step: BuildStep) -> dict[str, Any]:
    """Describe a build step as ``{uri, line, end_line, instruction}``."""
    return {
        "uri": clean_text(step.uri),
        "line": step.line,
        "end_line": step.end_line,
        "instruction": clean_text(step.instruction),
    }


def _suppression(entry: Suppression) -> dict[str, Any]:
    return {
        "rule": clean_text(entry.rule),
        "path": clean_text(entry.path),
        "reason": clean_text(entry.reason),
        "expires": entry.expires,
        "source": clean_text(entry.source.describe()),
    }


def _baseline(result: RunResult) -> dict[str, Any] | None:
    """The comparison with ``--baseline``: the file, counts by state, the absent findings."""
    if result.baseline is None:
        return None
    return {
        "file": clean_text(result.baseline),
        **baseline_counts(result),
        "absent_findings": [
            {
                "rule_id": clean_text(prior.rule_id),
                "level": prior.level.value,
                "message": clean_text(prior.message),
                "location": location(prior.location),
                "fingerprint": clean_text(prior.fingerprint),
            }
            for prior in result.absent
        ],
    }


def notification(note: Notification) -> dict[str, Any]:
    """Describe a notification as ``{level, code, message, location}``."""
    return {
        "level": note.level.value,
        "code": clean_text(note.code),
        "message": clean_text(note.message),
        "location": None if note.location is None else location(note.location),
    }
