"""``imgaudit diff`` reports: text for a terminal, Markdown for a pull-request comment, JSON.

Pure functions of a :class:`~analyzer.diff.model.Diff`. Every change is one line: ``+``
added, ``-`` removed, ``~`` changed (``old -> new``). Markdown lists at most
:data:`MAX_ROWS` changes per section and says how many more there are; text and JSON list
every change.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

from analyzer.diff.document import build_diff_report
from analyzer.diff.model import Change, ChangeKind, Diff, FindingChange, FindingKind, Section
from analyzer.model import Evaluation, TargetInfo
from analyzer.report.common import plural
from analyzer.report.json import dump
from analyzer.report.markdown import code, md
from analyzer.report.text import safe

#: Changes listed per section in Markdown before "... and N more".
MAX_ROWS = 100
#: Finding changes by kind, in report order, with their headings.
_FINDING_TITLES: tuple[tuple[FindingKind, str], ...] = (
    (FindingKind.NEW, "New findings"),
    (FindingKind.CHANGED, "Changed findings"),
    (FindingKind.FIXED, "Fixed findings"),
)
_MARK = {ChangeKind.ADDED: "+", ChangeKind.REMOVED: "-", ChangeKind.CHANGED: "~"}
NO_CHANGES = "No differences in the compared facts and findings."
PARTIAL_NOTE = "(partial: an artefact could not be read completely)"


def _change_text(change: Change, text: Callable[[str], str]) -> str:
    subject = text(change.subject)
    if change.old is None:
        return f"{subject}: {text(change.new or '')}" if change.new else subject
    if change.new is None:
        return f"{subject}: {text(change.old)}" if change.old else subject
    return f"{subject}: {text(change.old)} -> {text(change.new)}"


def _finding_text(evaluation: Evaluation) -> str:
    return (
        f"{evaluation.level.value} {evaluation.rule_id} at {evaluation.location.describe()}: "
        f"{evaluation.message}"
    )


def summary(diff: Diff) -> str:
    """``12 changes; 1 new finding, 2 fixed, 0 changed``."""
    new, fixed, changed = (len(diff.of_kind(kind)) for kind in FindingKind)
    return (
        f"{plural(len(diff.changes), 'change')}; {plural(new, 'new finding')}"
        f", {fixed} fixed, {changed} changed"
    )


def _target(target: TargetInfo) -> str:
    return f"{target.reference} ({target.kind.value}, read as {target.source})"


def render_text(diff: Diff) -> str:
    """The terminal report; ends with a newline."""
    out = [f"Old: {safe(_target(diff.old))}", f"New: {safe(_target(diff.new))}"]
    for section in Section:
        changes = diff.in_section(section)
        if changes:
            out += ["", f"{section.title}:"]
            out += [f"  {_MARK[c.kind]} {_change_text(c, safe)}" for c in changes]
    for kind, title in _FINDING_TITLES:
        found = diff.of_kind(kind)
        if found:
            out += ["", f"{title}:"]
            out += [f"  {safe(_finding_text(f.finding))}{_suppressed(f)}" for f in found]
    if diff.undecided:
        out += ["", "Not compared:", *(f"  {safe(reason)}" for reason in diff.undecided)]
    if not diff.changes and not diff.findings:
        out += ["", NO_CHANGES]
    out += ["", summary(diff)]
    if not diff.complete:
        out.append(PARTIAL_NOTE)
    return "\n".join(out) + "\n"


def _suppressed(change: FindingChange) -> str:
    entry = change.finding.suppression
    return "" if entry is None else f" [suppressed: {entry.reason}]"


def render_markdown(diff: Diff) -> str:
    """The pull-request comment; ends with a newline."""
    out = [
        f"## imgaudit diff: {code(diff.old.reference)} → {code(diff.new.reference)}",
        "",
        md(summary(diff)),
    ]
    if not diff.complete:
        out += ["", "**Partial result:** an artefact could not be read completely."]
    for section in Section:
        changes = diff.in_section(section)
        if not changes:
            continue
        out += ["", f"### {section.title}", "", "| | | old | new |", "| --- | --- | --- | --- |"]
        for change in changes[:MAX_ROWS]:
            old = "" if change.old is None else code(change.old) if change.old else "yes"
            new = "" if change.new is None else code(change.new) if change.new else "yes"
            out.append(f"| {_MARK[change.kind]} | {code(change.subject)} | {old} | {new} |")
        if len(changes) > MAX_ROWS:
            out.append(f"\n... and {len(changes) - MAX_ROWS} more")
    for kind, title in _FINDING_TITLES:
        found = diff.of_kind(kind)
        if found:
            out += ["", f"### {title}", ""]
            for item in found[:MAX_ROWS]:
                finding = item.finding
                out.append(
                    f"- **{finding.level.value}** {code(finding.rule_id)} at "
                    f"{code(finding.location.describe())}: {md(finding.message)}"
                    + md(_suppressed(item))
                )
            if len(found) > MAX_ROWS:
                out.append(f"- ... and {len(found) - MAX_ROWS} more")
    if diff.undecided:
        out += ["", "### Not compared", "", *(f"- {md(reason)}" for reason in diff.undecided)]
    return "\n".join(out) + "\n"


def render_json(diff: Diff) -> str:
    """The JSON report as text (two-space indent, ending with a newline)."""
    return dump(build_diff_report(diff))


#: ``--format`` of ``imgaudit diff`` -> writer.
DIFF_FORMATS: Mapping[str, Callable[[Diff], str]] = MappingProxyType(
    {"text": render_text, "markdown": render_markdown, "json": render_json}
)
