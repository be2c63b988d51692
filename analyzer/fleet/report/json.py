"""The fleet JSON report (``imgaudit/fleet/v2``), documented in ``docs/json-report.md``.

The model and its builder are in :mod:`analyzer.fleet.report.document`; each target's part is
the single-target document, so it reads the same as a scan of that target alone. No timings:
the same results give byte-identical text.
"""

from __future__ import annotations

from analyzer.fleet.model import FleetResult
from analyzer.fleet.report.document import build_fleet_report
from analyzer.report.json import JsonOptions, dump


def render(fleet: FleetResult, options: JsonOptions | None = None) -> str:
    """Render the fleet's JSON report as text (ending with a newline)."""
    return dump(build_fleet_report(fleet), options)
