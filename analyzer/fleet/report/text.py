"""Readable terminal output for a fleet: one section per target, then a summary table.

Each section is headed ``== [n/N] TARGET`` and holds the single-target text report (or the
reason the target could not be scanned). The summary lists every target worst first with its
counts, and a last line totals the fleet.
"""

from __future__ import annotations

from analyzer.fleet.model import FleetResult, summary, totals
from analyzer.report.common import plural
from analyzer.report.text import TextOptions, safe
from analyzer.report.text import render as render_target

_COLUMNS = ("errors", "warnings", "notes", "unknown", "status")


def render(fleet: FleetResult, options: TextOptions | None = None) -> str:
    """Render the fleet's terminal report; ends with a newline."""
    options = options or TextOptions()
    count = len(fleet.targets)
    out: list[str] = []
    for number, report in enumerate(fleet.targets, start=1):
        out.append(f"== [{number}/{count}] {safe(report.reference)}")
        if report.result is None:
            out.append(f"could not be scanned: {safe(report.error or '')}")
        else:
            out.append(render_target(report.result, options).rstrip("\n"))
        out.append("")
    if fleet.notifications:
        out.append("Notes about the target list:")
        out += [f"  {n.level.value}: {safe(n.message)} [{n.code}]" for n in fleet.notifications]
        out.append("")
    rows = summary(fleet)
    width = max([len("target"), *(len(safe(r.reference)) for r in rows)])
    out.append(f"== summary, worst first\n{'target':<{width}}  " + "  ".join(
        f"{c:>8}" for c in _COLUMNS))  # fmt: skip
    for entry in rows:
        counts = (entry.error, entry.warning, entry.note, entry.unknown)
        cells = "  ".join(f"{c:>8}" for c in counts)
        out.append(f"{safe(entry.reference):<{width}}  {cells}  {entry.status:>8}")
    total = totals(rows)
    out.append(
        f"{plural(total['targets'], 'target')}: {plural(total['error'], 'error')}, "
        f"{plural(total['warning'], 'warning')}, {plural(total['note'], 'note')}, "
        f"{total['unknown']} unknown ({total['unverified']} not verified); "
        f"{total['failed']} not scanned, "
        f"{total['partial']} partially read"
    )
    return "\n".join(out) + "\n"
