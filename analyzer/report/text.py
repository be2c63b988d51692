"""Readable terminal output, shaped like ``k0s sysinfo``.

A header names the target. By default the report then lists only what needs attention:
findings and undecided checks, areas with the most severe findings first; passing checks are
only counted in the summary, and rules that do not apply at all keep their one line per area
and reason. With ``all_checks`` (``--all``) every
rule follows, grouped by area in rule order, like ``k0s sysinfo``'s full tree; each evaluation as
``<indent><title>: <detail> (<status>)`` where the status is ``pass``, ``error: msg``,
``warning: msg``, ``note: msg``, ``unknown: reason`` or ``not applicable``. A rule nests under
its ``parent`` (two spaces per level). A rule with several subjects prints a ``title:`` line
with one line per subject below it; long runs of passing subjects collapse into a count. Rules
that are not applicable at all collapse into one line per area and reason. Notifications and a
summary line close the report, then whether the input was read only in part and how many
error- and warning-level checks could not be decided. ANSI colour only when asked; every
string from the image is shown with control characters escaped, so a hostile file name cannot
drive the terminal.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from analyzer.model import Evaluation, Level, Notification, Outcome, RuleInfo, RunResult, TargetKind
from analyzer.report.common import (
    baseline_text,
    clean_text,
    counts,
    is_bare_root,
    plural,
    shared_unknowns,
    sorted_evaluations,
    unique_rules,
    unverified_text,
)

INDENT = "  "
#: A rule with more passing subjects than this prints their count instead of one line each.
MAX_PASS_LINES = 5
PARTIAL_NOTE = "(partial: the input could not be read completely)"
NO_FINDINGS = "No findings."
ALL_HINT = "(--all lists every check, passing ones too)"
#: Characters of a build instruction shown after its file and line.
STEP_WIDTH = 60
#: Outcomes the default report lists; the others are only counted.
_ATTENTION = (Outcome.FAIL, Outcome.UNKNOWN)
_ANSI = {
    "pass": "32",
    "error": "31",
    "warning": "33",
    "note": "36",
    "unknown": "35",
    "not applicable": "2",
    "heading": "1",
}


@dataclass(frozen=True, slots=True)
class TextOptions:
    """How the report looks.

    ``color``: wrap statuses and headings in ANSI colour codes (the caller decides, by tty);
    ``all_checks``: list every check, passing and not applicable ones too.
    """

    color: bool = False
    all_checks: bool = False


def safe(text: str) -> str:
    r"""Return ``text`` with control characters shown as ``\\xNN`` escapes (one terminal line)."""
    cleaned = clean_text(text)
    if cleaned.isprintable():
        return cleaned
    return "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in cleaned)


def render(result: RunResult, options: TextOptions | None = None) -> str:
    """Render the terminal report of ``result``; ends with a newline."""
    return "\n".join(_Writer(result, options or TextOptions()).lines()) + "\n"


class _Writer:
    """Builds the report lines of one result (a throwaway helper, one per render call)."""

    def __init__(self, result: RunResult, options: TextOptions) -> None:
        self.result = result
        self.color = options.color
        self.all = options.all_checks
        self.rules = unique_rules(result.rules)
        self.by_rule: dict[str, list[Evaluation]] = defaultdict(list)
        for evaluation in sorted_evaluations(result.evaluations, self.rules):
            self.by_rule[evaluation.rule_id].append(evaluation)
        known = {rule.id for rule in self.rules}
        for rule_id in self.by_rule:
            if rule_id not in known:
                level = self.by_rule[rule_id][0].level
                self.rules.append(RuleInfo(rule_id, rule_id, "", level, ""))
        #: Rules checked on several subjects keep their per-subject layout when filtered.
        self.several = {rule_id for rule_id, found in self.by_rule.items() if len(found) > 1}
        self.hidden = 0
        if not self.all:
            self._keep_attention()
        self.collapsed = [
            rule for rule in self.rules if self._uniform(rule, Outcome.NOT_APPLICABLE)
        ]
        self.unknown = [
            rule for group in shared_unknowns(self.rules, self.by_rule) for rule in group.rules
        ]
        collapsed_ids = {rule.id for rule in self.collapsed + self.unknown}
        self.shown = [rule for rule in self.rules if rule.id not in collapsed_ids]
        shown_ids = {rule.id for rule in self.shown}
        self.children: dict[str, list[RuleInfo]] = defaultdict(list)
        self.roots: list[RuleInfo] = []
        for rule in self.shown:
            if rule.parent in shown_ids and rule.parent != rule.id:
                self.children[rule.parent].append(rule)
            else:
                self.roots.append(rule)
        self.printed: set[str] = set()

    def _keep_attention(self) -> None:
        """Keep findings, undecided checks and wholly inapplicable rules; worst areas first."""
        for rule_id, found in self.by_rule.items():
            if all(e.outcome is Outcome.NOT_APPLICABLE for e in found):
                continue  # one line per area and reason says why, as in the full tree
            kept = [e for e in found if e.outcome in _ATTENTION]
            self.hidden += len(found) - len(kept)
            self.by_rule[rule_id] = kept
        self.rules = [rule for rule in self.rules if self.by_rule[rule.id]]
        worst = {
            rule.id: max(
                (e.level.rank for e in self.by_rule[rule.id] if e.outcome is Outcome.FAIL),
                default=0,
            )
            for rule in self.rules
        }
        area_worst: dict[str, int] = defaultdict(int)
        for rule in self.rules:
            area_worst[rule.area] = max(area_worst[rule.area], worst[rule.id])
        self.rules.sort(key=lambda rule: -area_worst[rule.area])

    def _uniform(self, rule: RuleInfo, outcome: Outcome) -> bool:
        evaluations = self.by_rule[rule.id]
        return bool(evaluations) and all(e.outcome is outcome for e in evaluations)

    def paint(self, text: str, style: str) -> str:
        """``text`` in the colour of ``style`` when colour is on."""
        return f"\x1b[{_ANSI[style]}m{text}\x1b[0m" if self.color else text

    def lines(self) -> list[str]:
        """Header, areas, collapsed not-applicable rules, notifications, summary."""
        target = self.result.target
        out = [
            f"Target: {safe(target.reference)} "
            f"({target.kind.value}, read as {safe(target.source)})",
            *self.source_lines(),
            f"Profiles: {safe(', '.join(self.result.profiles)) or '-'}",
            f"Roles: {safe(', '.join(self.result.roles)) or '-'}",
        ]
        if self.result.baseline is not None:
            versus = baseline_text(self.result)
            out.append(f"Baseline: {safe(self.result.baseline)}: {versus}")
        areas: dict[str, list[RuleInfo]] = defaultdict(list)
        for rule in self.roots:
            areas[rule.area].append(rule)
        for area, rules in areas.items():
            out += ["", self.paint(f"{safe(area)}:", "heading")]
            for rule in rules:
                out += self.rule_lines(rule, 1)
        leftovers = [rule for rule in self.shown if rule.id not in self.printed]
        for rule in leftovers:  # parent cycles: print what the tree walk could not reach
            if rule.id not in self.printed:
                out += self.rule_lines(rule, 1)
        if not self.all and not areas and not self.unknown:
            out += ["", NO_FINDINGS]
        out += self.grouped_lines(self.collapsed, "not applicable")
        out += self.grouped_lines(self.unknown, "unknown")
        out += self.suppressed_lines()
        out += self.absent_lines()
        out += self.notification_lines()
        out += ["", self.summary()]
        if not self.result.complete:
            out.append(PARTIAL_NOTE)
        if unverified := unverified_text(self.result):
            out.append(f"(not verified: {unverified})")
        if self.hidden:
            out.append(ALL_HINT)
        return out

    def source_lines(self) -> list[str]:
        """What the source read: a disk's mounted file systems, an image's platform and layers."""
        target = self.result.target
        props = target.properties
        if target.kind is TargetKind.VM:
            disk = f"{props.get('format', '?')}, {props.get('partition_table') or 'no table'}"
            mounts = [safe(layer.description or layer.id) for layer in target.layers]
            lines = [f"Disk: {safe(disk)}", *(f"  {mount}" for mount in mounts)]
            root = props.get("root")
            if isinstance(root, dict) and root.get("heuristic"):
                guess = f"{root.get('volume')} chosen as the root by a guess: {root.get('how')}"
                lines.append(f"  {safe(guess)}")
            return lines
        if target.kind is TargetKind.CONTAINER:
            parts = [safe(str(props["platform"]))] if props.get("platform") else []
            parts.append(plural(len(target.layers), "layer"))
            return [f"Image: {', '.join(parts)}"]
        return []

    def rule_lines(self, rule: RuleInfo, depth: int) -> list[str]:
        """Return the lines of one rule and, below it, of its child rules."""
        self.printed.add(rule.id)
        indent = INDENT * depth
        title = safe(rule.title or rule.id)
        evaluations = self.by_rule[rule.id]
        if not evaluations:
            status = self.paint("not applicable", "not applicable")
            out = [f"{indent}{title}: nothing to check ({status})"]
        elif len(evaluations) == 1 and rule.id not in self.several:
            out = [indent + self.evaluation_line(title, evaluations[0], single=True)]
        else:
            out = [f"{indent}{title}:"]
            passed = [e for e in evaluations if e.outcome is Outcome.PASS]
            listed = (
                evaluations
                if len(passed) <= MAX_PASS_LINES
                else [e for e in evaluations if e.outcome is not Outcome.PASS]
            )
            for evaluation in listed:
                label = safe(evaluation.subject or evaluation.location.describe())
                out.append(indent + INDENT + self.evaluation_line(label, evaluation, single=False))
            if len(listed) < len(evaluations):
                count = plural(len(passed), "subject")
                out.append(f"{indent}{INDENT}{count} ({self.paint('pass', 'pass')})")
        for child in self.children.get(rule.id, []):
            if child.id not in self.printed:
                out += self.rule_lines(child, depth + 1)
        return out

    def evaluation_line(self, label: str, evaluation: Evaluation, *, single: bool) -> str:
        """``label: detail (status)`` for one evaluation."""
        message = safe(evaluation.message.strip())
        outcome = evaluation.outcome
        if outcome is Outcome.PASS:
            detail, status = message, self.paint("pass", "pass")
        elif outcome is Outcome.FAIL:
            level = evaluation.level.value
            detail = _where(evaluation, label if not single else "")
            status = self.paint(f"{level}: {message}" if message else level, level)
        elif outcome is Outcome.UNKNOWN:
            detail, status = "", self.paint(f"unknown: {message or 'could not tell'}", "unknown")
        else:
            detail, status = message, self.paint("not applicable", "not applicable")
        line = f"{label}: {detail} ({status})" if detail else f"{label} ({status})"
        return line + _triage_marks(evaluation)

    def grouped_lines(self, rules: list[RuleInfo], outcome: str) -> list[str]:
        """One line per area and reason for rules with one shared outcome and reason."""
        groups: dict[tuple[str, str], int] = defaultdict(int)
        for rule in rules:
            reason = safe(self.by_rule[rule.id][0].message.strip()) or "does not apply"
            groups[(rule.area, reason)] += 1
        status = self.paint(outcome, outcome)
        lines = [
            f"{plural(count, safe(area) + ' rule')} {status}: {reason}"
            for (area, reason), count in groups.items()
        ]
        return ["", *lines] if lines else []

    def suppressed_lines(self) -> list[str]:
        """The suppressed findings, each with the reason and the entry that accepts it."""
        found = [
            (evaluation, entry)
            for evaluation in sorted_evaluations(self.result.findings, self.rules)
            if (entry := evaluation.suppression) is not None
        ]
        lines = [self.paint("Suppressed findings (not counted for --fail-on):", "heading")]
        for evaluation, entry in found:
            lines.append(
                f"{INDENT}{safe(evaluation.rule_id)} at {safe(evaluation.location.describe())}: "
                f"{safe(entry.reason)} ({safe(entry.source.describe())})"
            )
        return ["", *lines] if found else []

    def absent_lines(self) -> list[str]:
        """The baseline run's findings that this run no longer has."""
        if not self.result.absent:
            return []
        lines = ["", self.paint("Absent (in the baseline, fixed now):", "heading")]
        for prior in self.result.absent:
            lines.append(
                f"{INDENT}{safe(prior.rule_id)} at {safe(prior.location.describe())}: "
                f"{safe(prior.message)} ({prior.level.value}) [absent]"
            )
        return lines

    def notification_lines(self) -> list[str]:
        """List the notifications, most severe first, in their original order within a level."""
        notes = sorted(self.result.notifications, key=lambda n: -n.level.rank)
        if not notes:
            return []
        return ["", self.paint("Notifications:", "heading"), *(self.note_line(n) for n in notes)]

    def note_line(self, note: Notification) -> str:
        """``  warning: message [code] (at location)``."""
        where = f" (at {safe(note.location.describe())})" if note.location is not None else ""
        level = self.paint(note.level.value, note.level.value)
        return f"{INDENT}{level}: {safe(note.message)} [{safe(note.code)}]{where}"

    def summary(self) -> str:
        """``3 errors, 1 warning, 2 notes; 40 passed, 2 unknown[, 5 not applicable]``.

        Error and warning notifications listed above are counted after the findings
        (``; notifications: 1 error, 2 warnings``), so a clean finding count never hides them.
        """
        tally = counts(self.result.evaluations)
        levels = ", ".join(plural(tally[level.value], level.value) for level in Level)
        if suppressed := sum(1 for e in self.result.findings if e.suppression is not None):
            levels += f" ({suppressed} suppressed)"
        rest = f"{tally['pass']} passed, {tally['unknown']} unknown"
        if tally["not_applicable"]:
            rest += f", {tally['not_applicable']} not applicable"
        serious = (Level.ERROR, Level.WARNING)
        noted = [
            plural(n, level.value)
            for level in serious
            if (n := sum(1 for note in self.result.notifications if note.level is level))
        ]
        return f"{levels}; {rest}" + (f"; notifications: {', '.join(noted)}" if noted else "")


def _triage_marks(evaluation: Evaluation) -> str:
    """`` [new]``, `` [unchanged]``, ... and `` [suppressed]`` after a finding's status."""
    marks = [] if evaluation.baseline is None else [evaluation.baseline.value]
    if evaluation.suppression is not None:
        marks.append("suppressed")
    return "".join(f" [{mark}]" for mark in marks)


def _where(evaluation: Evaluation, label: str) -> str:
    if is_bare_root(evaluation.location):
        return "" if label else safe(evaluation.subject)
    where = safe(evaluation.location.describe())
    where = "" if where == label else where
    step = evaluation.origin
    if step is None:
        return where
    shown = step.instruction
    if len(shown) > STEP_WIDTH:
        shown = shown[: STEP_WIDTH - 3] + "..."
    made = f"from {safe(step.uri)}:{step.line} {safe(shown)}"
    return f"{where}, {made}" if where else made
