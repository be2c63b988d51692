"""Markdown for a GitHub job summary (``$GITHUB_STEP_SUMMARY``) or a pull-request comment.

A heading naming the target, a table of counts (and how many error- and warning-level checks
could not be decided), the findings (most severe first, capped so the
summary stays well under GitHub's 1 MiB limit), unknown evaluations, and notifications.
Text from the image is escaped so it cannot break the table or inject markup.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from analyzer.model import Evaluation, Outcome, PriorResult, RunResult
from analyzer.report.common import (
    baseline_text,
    clean_text,
    counts,
    plural,
    shared_unknowns,
    sorted_evaluations,
    unique_rules,
    unverified_text,
)

#: Findings listed before the rest are summarised as "... and N more".
MAX_FINDINGS = 500
PARTIAL_NOTE = "**Partial result:** the input could not be read completely."
_MARKUP = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")
_EMOJI = {"error": ":x:", "warning": ":warning:", "note": ":information_source:"}


@dataclass(frozen=True, slots=True)
class MarkdownOptions:
    """``max_findings``: how many findings to list before summarising the rest."""

    max_findings: int = MAX_FINDINGS


def _one_line(text: str) -> str:
    """``text`` encodable as UTF-8, with every non-printable character (newlines too) a space."""
    return "".join(ch if ch.isprintable() else " " for ch in clean_text(text))


def md(text: str) -> str:
    """Return ``text`` as inert markdown on one line: markup escaped, control characters blank."""
    return _MARKUP.sub(r"\\\1", _one_line(text))


def code(text: str) -> str:
    """Return ``text`` as inline code, fenced with enough backticks to hold any it contains."""
    flat = _one_line(text)
    longest = max((len(run) for run in re.findall(r"`+", flat)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") else ""
    return f"{fence}{pad}{flat}{pad}{fence}"


def render(result: RunResult, options: MarkdownOptions | None = None) -> str:
    """Render the markdown summary of ``result``; ends with a newline."""
    limit = (options or MarkdownOptions()).max_findings
    rules = unique_rules(result.rules)
    titles = {rule.id: rule.title for rule in rules}
    evaluations = sorted_evaluations(result.evaluations, rules)
    tally = counts(evaluations)
    target = result.target
    out = [
        f"## imgaudit: {code(target.reference)}",
        "",
        f"{target.kind.value} read as {md(target.source)}; "
        f"profiles: {md(', '.join(result.profiles)) or '-'}; "
        f"roles: {md(', '.join(result.roles)) or '-'}",
        "",
        "| Outcome | Count |",
        "| --- | ---: |",
        f"| {_EMOJI['error']} errors | {tally['error']} |",
        f"| {_EMOJI['warning']} warnings | {tally['warning']} |",
        f"| {_EMOJI['note']} notes | {tally['note']} |",
        f"| passed | {tally['pass']} |",
        f"| unknown | {tally['unknown']} |",
        f"| not applicable | {tally['not_applicable']} |",
    ]
    if result.baseline is not None:
        out += ["", f"**Baseline** {code(result.baseline)}: {md(baseline_text(result))}"]
    if not result.complete:
        out += ["", PARTIAL_NOTE]
    if unverified := unverified_text(result):
        out += ["", f"**Not verified:** {unverified}; see *Could not tell*."]
    findings = sorted(
        (e for e in evaluations if e.outcome is Outcome.FAIL), key=lambda e: -e.level.rank
    )
    if findings:
        out += ["", "### Findings", ""]
        out += [_finding(e, titles) for e in findings[:limit]]
        if len(findings) > limit:
            out.append(f"- ... and {len(findings) - limit} more")
    if result.absent:
        out += ["", "### Absent (in the baseline, fixed now)", ""]
        out += [_absent(prior) for prior in result.absent[:limit]]
        if len(result.absent) > limit:
            out.append(f"- ... and {len(result.absent) - limit} more")
    unknown = [e for e in evaluations if e.outcome is Outcome.UNKNOWN]
    if unknown:
        out += ["", "### Could not tell", ""]
        by_rule: dict[str, list[Evaluation]] = defaultdict(list)
        for evaluation in evaluations:
            by_rule[evaluation.rule_id].append(evaluation)
        shared = shared_unknowns(rules, by_rule)
        out += [f"- {plural(len(g.rules), md(g.area) + ' rule')}: {md(g.reason)}" for g in shared]
        grouped = {rule.id for group in shared for rule in group.rules}
        alone = [e for e in unknown if e.rule_id not in grouped]
        out += [
            f"- {code(e.rule_id)} {md(titles.get(e.rule_id, e.rule_id))}: {md(e.message)}"
            for e in alone[:limit]
        ]
        if len(alone) > limit:
            out.append(f"- ... and {len(alone) - limit} more")
    if result.notifications:
        out += ["", "### Notifications", ""]
        for note in result.notifications:
            where = "" if note.location is None else f" at {code(note.location.describe())}"
            out.append(f"- **{note.level.value}** {code(note.code)}: {md(note.message)}{where}")
    return "\n".join(out) + "\n"


def _finding(evaluation: Evaluation, titles: dict[str, str]) -> str:
    level = evaluation.level.value
    title = md(titles.get(evaluation.rule_id, evaluation.rule_id))
    where = code(evaluation.location.describe())
    layer = ""
    if evaluation.location.layer:
        layer = f" (layer {code(evaluation.location.layer)})"
    if evaluation.origin is not None:
        step = evaluation.origin
        layer += f", from {code(f'{step.uri}:{step.line}')} {code(step.instruction)}"
    marks = "" if evaluation.baseline is None else f" *{evaluation.baseline.value}*"
    suppressed = ""
    if (entry := evaluation.suppression) is not None:
        suppressed = f" — **suppressed**: {md(entry.reason)} ({code(entry.source.describe())})"
    return (
        f"- {_EMOJI[level]} **{level}**{marks} {code(evaluation.rule_id)} {title}: "
        f"{md(evaluation.message)} at {where}{layer}{suppressed}"
    )


def _absent(prior: PriorResult) -> str:
    return (
        f"- :white_check_mark: **{prior.level.value}** *absent* {code(prior.rule_id)}: "
        f"{md(prior.message)} at {code(prior.location.describe())}"
    )
