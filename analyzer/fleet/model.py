"""What a fleet scan produced: one :class:`TargetReport` per target, in the order given.

A target that could not be scanned keeps its place with the one-line reason instead of a
result, so a report always names every target it was asked about. :func:`summary` counts each
target's outcomes and orders the rows worst first, for the summary tables of every format.
"""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass

from analyzer.model import Notification, RunResult
from analyzer.report.build import counts_of
from analyzer.report.common import counts


class Status(enum.StrEnum):
    """A target's status in the summary tables: not scanned, input not read completely, or read."""

    FAILED = "failed"
    PARTIAL = "partial"
    SCANNED = "scanned"


@dataclass(frozen=True, slots=True)
class TargetReport:
    """One target of a fleet: its result, or the reason it could not be scanned.

    Exactly one of ``result`` and ``error`` is set. ``seconds`` is the wall time of the scan
    where it ran (``0.0`` for a target refused before any scan).
    """

    reference: str
    result: RunResult | None = None
    error: str | None = None
    seconds: float = 0.0

    @property
    def failed(self) -> bool:
        """True when the target could not be scanned at all."""
        return self.result is None


@dataclass(frozen=True, slots=True)
class FleetResult:
    """Every target's report, in the order the targets were given, and notes about the list.

    ``notifications`` are about the fleet rather than one target: build artefacts of a Packer
    manifest that were not scanned, duplicate targets scanned once.
    """

    targets: tuple[TargetReport, ...]
    tool_version: str
    notifications: tuple[Notification, ...] = ()


@dataclass(frozen=True, slots=True)
class SummaryRow:
    """The counts of one target, as the summary tables show them."""

    reference: str
    failed: bool
    complete: bool
    error: int = 0
    warning: int = 0
    note: int = 0
    unknown: int = 0
    passed: int = 0
    not_applicable: int = 0
    #: Unknown outcomes of error- and warning-level rules (``RunResult.unverified``).
    unverified: int = 0

    @property
    def status(self) -> Status:
        """Failed when not scanned, partial when part of the input is unread, else scanned."""
        if self.failed:
            return Status.FAILED
        return Status.SCANNED if self.complete else Status.PARTIAL


def row(report: TargetReport) -> SummaryRow:
    """The summary counts of one target."""
    if report.result is None:
        return SummaryRow(report.reference, failed=True, complete=False)
    return SummaryRow(
        report.reference,
        failed=False,
        complete=report.result.complete,
        unverified=len(report.result.unverified),
        **asdict(counts_of(counts(report.result.evaluations))),
    )


def summary(fleet: FleetResult) -> list[SummaryRow]:
    """One row per target, worst first: failed, then by errors, warnings, notes, unknowns."""
    rows = [row(report) for report in fleet.targets]
    return sorted(
        rows,
        key=lambda r: (
            not r.failed,
            -r.error,
            -r.warning,
            -r.note,
            -r.unknown,
            r.complete,
            r.reference,
        ),
    )


def totals(rows: list[SummaryRow]) -> dict[str, int]:
    """Sums over ``rows``: targets, failed, partial, each count, and unverified checks."""
    return {
        "targets": len(rows),
        "failed": sum(r.failed for r in rows),
        "partial": sum(not r.failed and not r.complete for r in rows),
        "error": sum(r.error for r in rows),
        "warning": sum(r.warning for r in rows),
        "note": sum(r.note for r in rows),
        "unknown": sum(r.unknown for r in rows),
        "pass": sum(r.passed for r in rows),
        "not_applicable": sum(r.not_applicable for r in rows),
        "unverified": sum(r.unverified for r in rows),
    }
