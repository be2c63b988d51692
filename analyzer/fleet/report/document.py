"""The model of the fleet JSON report (``imgaudit/fleet/v2``) and how it is built.

A summary of counts over the fleet, a table of every target worst first, the notes about the
target list, then each target in the order given with its own single-target report (the
:class:`~analyzer.report.document.Report` model, unchanged) or the reason it could not be
scanned. Its schema (``schema/fleet-v<FLEET_VERSION>.json``) holds the single-target one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from analyzer.fleet.model import FleetResult, Status, SummaryRow, row, summary, totals
from analyzer.report.build import TOOL_NAME, build_report, counts_of, notification
from analyzer.report.document import Counts, Notification, Report, Tool
from analyzer.report.jsonmodel import Const
from analyzer.report.schemas import PublishedSchema

#: The format identifier in every fleet document's ``schema`` key.
FLEET_FORMAT = "imgaudit/fleet/v2"
#: The version of the committed fleet schema.
FLEET_VERSION = "2.0"


@dataclass(frozen=True, slots=True)
class FleetTotals:
    """Totals over the fleet."""

    targets: Annotated[int, "targets listed"]
    failed: Annotated[int, "targets not scanned"]
    partial: Annotated[int, "targets whose input was not read completely"]
    counts: Annotated[Counts, "sums of the targets' counts"]
    unverified: Annotated[int, "unknown outcomes of error- and warning-level rules"]


@dataclass(frozen=True, slots=True)
class TableRow:
    """One target's counts in the summary table."""

    target: Annotated[str, "the target as given"]
    status: Annotated[Status, "`failed` (not scanned), `partial` (input not read completely)"]
    counts: Annotated[Counts, "the counts of its `summary`"]
    unverified: Annotated[int, "the total of its `summary.unverified`"]


@dataclass(frozen=True, slots=True)
class FleetTarget:
    """One target, in the order given."""

    reference: Annotated[str, "the target as given"]
    status: Annotated[Status, "as in the table"]
    error: Annotated[str | None, "why it could not be scanned, else `null`"]
    report: Annotated[Report | None, "its own report, byte for byte as a scan of it alone"]


@dataclass(frozen=True, slots=True)
class FleetReport:
    """The JSON report of a fleet scan (several targets, `--targets-from`, `packer-manifest:`)."""

    schema: Annotated[str, Const(FLEET_FORMAT), "the format identifier"]
    tool: Annotated[Tool, "the program that wrote it"]
    summary: Annotated[FleetTotals, "totals"]
    table: Annotated[tuple[TableRow, ...], "one row per target, worst first"]
    notifications: Annotated[tuple[Notification, ...], "notes about the target list itself"]
    targets: Annotated[tuple[FleetTarget, ...], "every target, in the order given"]


FLEET_SCHEMA = PublishedSchema("fleet", FleetReport, FLEET_VERSION, "imgaudit fleet JSON report")


def _counts(entry: SummaryRow) -> Counts:
    return Counts(
        entry.error, entry.warning, entry.note, entry.passed, entry.unknown, entry.not_applicable
    )


def build_fleet_report(fleet: FleetResult) -> FleetReport:
    """The public fleet JSON report model of ``fleet``."""
    rows = summary(fleet)
    total = totals(rows)
    return FleetReport(
        schema=FLEET_FORMAT,
        tool=Tool(TOOL_NAME, fleet.tool_version),
        summary=FleetTotals(
            targets=total["targets"],
            failed=total["failed"],
            partial=total["partial"],
            counts=counts_of(total),
            unverified=total["unverified"],
        ),
        table=tuple(
            TableRow(entry.reference, entry.status, _counts(entry), entry.unverified)
            for entry in rows
        ),
        notifications=tuple(notification(n) for n in fleet.notifications),
        targets=tuple(
            FleetTarget(
                reference=target.reference,
                status=row(target).status,
                error=target.error,
                report=None if target.result is None else build_report(target.result),
            )
            for target in fleet.targets
        ),
    )
