"""The fleet JSON report (``imgaudit/fleet/v1``), documented in ``docs/json-report.md``.

A summary of counts over the fleet, a table of every target worst first, the notes about the
fleet, then each target in the order given: its status and either the single-target
document (``imgaudit/report/v1``, unchanged) or the reason it could not be scanned. No
timings: the same results give byte-identical text.
"""

from __future__ import annotations

import json
from typing import Any

from analyzer.fleet.model import FleetResult, SummaryRow, row, summary, totals
from analyzer.report.common import clean_text
from analyzer.report.json import JsonOptions, document, notification

#: Identifies the document format; bumped on incompatible changes.
SCHEMA = "imgaudit/fleet/v1"
TOOL_NAME = "imgaudit"


def render(fleet: FleetResult, options: JsonOptions | None = None) -> str:
    """Render the fleet's JSON report as text (ending with a newline)."""
    indent = (options or JsonOptions()).indent
    separators = (",", ":") if indent is None else (",", ": ")
    text = json.dumps(
        fleet_document(fleet), ensure_ascii=False, indent=indent, separators=separators
    )
    return text + "\n"


def table_row(entry: SummaryRow) -> dict[str, Any]:
    """One summary-table row as JSON."""
    return {
        "target": clean_text(entry.reference),
        "status": entry.status,
        "error": entry.error,
        "warning": entry.warning,
        "note": entry.note,
        "unknown": entry.unknown,
        "pass": entry.passed,
        "not_applicable": entry.not_applicable,
        "unverified": entry.unverified,
    }


def fleet_document(fleet: FleetResult) -> dict[str, Any]:
    """Build the fleet's JSON report as a JSON-ready dict."""
    rows = summary(fleet)
    return {
        "schema": SCHEMA,
        "tool": {"name": TOOL_NAME, "version": clean_text(fleet.tool_version)},
        "summary": totals(rows),
        "table": [table_row(entry) for entry in rows],
        "notifications": [notification(n) for n in fleet.notifications],
        "targets": [
            {
                "reference": clean_text(report.reference),
                "status": row(report).status,
                "error": None if report.error is None else clean_text(report.error),
                "report": None if report.result is None else document(report.result),
            }
            for report in fleet.targets
        ],
    }
