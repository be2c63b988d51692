"""Markdown for a fleet: a table of every target worst first, then the targets that need a look.

The table has one row per target (errors, warnings, notes, unknown, status) so a job summary
shows the state of the whole fleet at a glance. Below it, each target with a finding, an
unknown outcome or a failure gets the single-target summary with fewer findings listed; once
the document nears GitHub's job-summary limit, the remaining targets are only counted.
"""

from __future__ import annotations

from analyzer.fleet.model import FleetResult, Status, SummaryRow, summary, totals
from analyzer.report.markdown import MarkdownOptions, code, md
from analyzer.report.markdown import render as render_target

#: Findings listed per target in the details (the table counts them all).
MAX_FINDINGS = 20
#: Details stop once the document is this long (GitHub's job summary holds 1 MiB).
MAX_CHARS = 900_000
_STATUS = {
    Status.FAILED: ":x: failed",
    Status.PARTIAL: ":warning: partial",
    Status.SCANNED: "scanned",
}


def render(fleet: FleetResult, options: MarkdownOptions | None = None) -> str:
    """Render the fleet's markdown summary; ends with a newline."""
    limit = options.max_findings if options is not None else MAX_FINDINGS
    rows = summary(fleet)
    total = totals(rows)
    out = [
        f"## imgaudit: {total['targets']} targets",
        "",
        f"{total['error']} errors, {total['warning']} warnings, {total['note']} notes, "
        f"{total['unknown']} unknown ({total['unverified']} not verified); "
        f"{total['failed']} not scanned, "
        f"{total['partial']} partially read",
        "",
        "| Target | Errors | Warnings | Notes | Unknown | Status |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    out += [_row(entry) for entry in rows]
    notes = fleet.notifications
    if notes:
        out += ["", "### Notes about the target list", ""]
        out += [f"- **{n.level.value}** {code(n.code)}: {md(n.message)}" for n in notes]
    by_reference = {report.reference: report for report in fleet.targets}
    size = sum(len(line) + 1 for line in out)
    left = 0
    for entry in rows:
        if not (entry.failed or entry.error or entry.warning or entry.note or entry.unknown):
            continue
        if size > MAX_CHARS:
            left += 1
            continue
        report = by_reference[entry.reference]
        if report.result is None:
            reason = md(report.error or "")
            heading = f"## imgaudit: {code(entry.reference)}"
            section = f"{heading}\n\n:x: could not be scanned: {reason}\n"
        else:
            section = render_target(report.result, MarkdownOptions(max_findings=limit))
        out += ["", section.rstrip("\n")]
        size += len(section) + 1
    if left:
        out += ["", f"... and {left} more targets with findings: see the JSON or SARIF report"]
    return "\n".join(out) + "\n"


def _row(entry: SummaryRow) -> str:
    return (
        f"| {code(entry.reference)} | {entry.error} | {entry.warning} | {entry.note} | "
        f"{entry.unknown} | {_STATUS[entry.status]} |"
    )
