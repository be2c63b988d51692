"""The model of the ``imgaudit diff`` JSON report (``imgaudit/diff/v1``) and how it is built.

Like the scan reports it is a tree of frozen dataclasses apart from the internal types; its
schema is committed as ``schema/diff-v<DIFF_VERSION>.json`` and documented in
``docs/json-report.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from analyzer.diff.model import ChangeKind, Diff, FindingChange, FindingKind, Section
from analyzer.model import Level, TargetInfo, TargetKind
from analyzer.report.build_facts import location
from analyzer.report.document_facts import Location
from analyzer.report.jsonmodel import Const
from analyzer.report.schemas import PublishedSchema

#: The format identifier in every diff document's ``schema`` key.
DIFF_FORMAT = "imgaudit/diff/v1"
#: The version of the committed diff schema.
DIFF_VERSION = "1.0"


@dataclass(frozen=True, slots=True)
class ComparedTarget:
    """One of the two artefacts compared."""

    reference: Annotated[str, "the target as given"]
    source: Annotated[str, "how it was read"]
    kind: Annotated[TargetKind, "what it becomes"]


@dataclass(frozen=True, slots=True)
class FactChange:
    """One subject of a section that differs between the two artefacts."""

    section: Annotated[Section, "the group of facts"]
    subject: Annotated[str, "what differs (`release`, a path, a module...)"]
    kind: Annotated[ChangeKind, "`added` (only in NEW), `removed` (only in OLD) or `changed`"]
    old: Annotated[str | None, "the OLD value (`null` when added; empty: a bare presence)"]
    new: Annotated[str | None, "the NEW value (`null` when removed)"]


@dataclass(frozen=True, slots=True)
class Before:
    """What a changed finding said in OLD."""

    level: Annotated[Level, "its level then"]
    message: Annotated[str, "its message then"]


@dataclass(frozen=True, slots=True)
class DiffFinding:
    """A finding on one side only, or on both with another level or message."""

    kind: Annotated[FindingKind, "`new` (only in NEW), `fixed` (only in OLD) or `changed`"]
    rule_id: Annotated[str, "the rule"]
    level: Annotated[Level, "its level"]
    message: Annotated[str, "the finding"]
    location: Annotated[Location, "the evidence"]
    suppressed: Annotated[str | None, "the reason a suppression gives, if one applies"]
    before: Annotated[Before | None, "the OLD finding of a changed one, else `null`"]


@dataclass(frozen=True, slots=True)
class DiffReport:
    """The JSON report of `imgaudit diff OLD NEW`."""

    schema: Annotated[str, Const(DIFF_FORMAT), "the format identifier"]
    old: Annotated[ComparedTarget, "OLD"]
    new: Annotated[ComparedTarget, "NEW"]
    complete: Annotated[bool, "`false` when either artefact was read only in part"]
    changes: Annotated[tuple[FactChange, ...], "fact changes, by section and subject"]
    findings: Annotated[tuple[DiffFinding, ...], "findings that came, went or changed"]
    not_compared: Annotated[tuple[str, ...], "sections that could not be compared, and why"]


DIFF_SCHEMA = PublishedSchema("diff", DiffReport, DIFF_VERSION, "imgaudit diff JSON report")


def build_diff_report(diff: Diff) -> DiffReport:
    """The public JSON report model of ``diff``."""
    return DiffReport(
        schema=DIFF_FORMAT,
        old=_target(diff.old),
        new=_target(diff.new),
        complete=diff.complete,
        changes=tuple(FactChange(c.section, c.subject, c.kind, c.old, c.new) for c in diff.changes),
        findings=tuple(_finding(change) for change in diff.findings),
        not_compared=diff.undecided,
    )


def _target(target: TargetInfo) -> ComparedTarget:
    return ComparedTarget(target.reference, target.source, target.kind)


def _finding(change: FindingChange) -> DiffFinding:
    finding, before = change.finding, change.before
    return DiffFinding(
        kind=change.kind,
        rule_id=finding.rule_id,
        level=finding.level,
        message=finding.message,
        location=location(finding.location),
        suppressed=None if finding.suppression is None else finding.suppression.reason,
        before=None if before is None else Before(before.level, before.message),
    )
