"""The model of the public JSON report (``imgaudit/report/v2``), apart from the internal types.

Each class is one object of the document, each field one key, in the order written; the
strings in ``Annotated`` are the documentation of ``docs/json-report.md`` and of the committed
schema ``schema/report-v<REPORT_VERSION>.json``. Changing anything here changes the schema:
the tests then ask for a new :data:`REPORT_VERSION` (minor when keys are only added, major
otherwise, with a new :data:`REPORT_FORMAT`). :func:`analyzer.report.build.build_report`
fills the model from a :class:`~analyzer.model.RunResult`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from analyzer.model import BaselineState, Level, Outcome, TargetKind
from analyzer.report.document_facts import FactsSummary, Location
from analyzer.report.jsonmodel import Const, JsonObject

#: The format identifier in every document's ``schema`` key; a new major version changes it.
REPORT_FORMAT = "imgaudit/report/v2"
#: The version of the committed schema; the major part is that of :data:`REPORT_FORMAT`.
REPORT_VERSION = "2.0"


@dataclass(frozen=True, slots=True)
class Tool:
    """The program that wrote the document."""

    name: Annotated[str, '`"imgaudit"`']
    version: Annotated[str, "its version"]


@dataclass(frozen=True, slots=True)
class Layer:
    """A layer (container images) or mounted file system (disks) of the target."""

    id: Annotated[str, "the id that locations name in their `layer`"]
    digest: Annotated[str | None, "digest of the layer blob"]
    diff_id: Annotated[str | None, "digest of the uncompressed layer"]
    created_by: Annotated[str | None, "the image history line that made the layer"]
    description: Annotated[str | None, "a human label (`layer 2 of 3`, a partition)"]
    mountpoint: Annotated[str | None, "where a disk's file system is mounted"]


@dataclass(frozen=True, slots=True)
class Target:
    """What was scanned."""

    reference: Annotated[str, "the target as given (`docker:app:1.2`, `rootfs.tar`, `-`)"]
    source: Annotated[str, "how it was read (`dir`, `tar`, `docker-archive`, `oci`, `disk`...)"]
    kind: Annotated[TargetKind, "what it becomes"]
    layers: Annotated[tuple[Layer, ...], "layers or file systems, bottom (or root) first"]
    properties: Annotated[JsonObject, "source-specific identity: config digest, platform..."]


@dataclass(frozen=True, slots=True)
class Reason:
    """Why the run is incomplete: an error notification, by code and message."""

    code: Annotated[str, "stable identifier, e.g. `archive.corrupt`"]
    message: Annotated[str, "what could not be read"]


@dataclass(frozen=True, slots=True)
class Unverified:
    """Unknown outcomes of error- and warning-level rules: requirements not verified."""

    error: Annotated[int, "error-level checks not decided"]
    warning: Annotated[int, "warning-level checks not decided"]
    rule_ids: Annotated[tuple[str, ...], "their rules, in rule order"]


@dataclass(frozen=True, slots=True)
class Counts:
    """Counts over evaluations: findings by level, and the other outcomes."""

    error: Annotated[int, "error-level findings"]
    warning: Annotated[int, "warning-level findings"]
    note: Annotated[int, "note-level findings"]
    passed: Annotated[int, "passed evaluations"]
    unknown: Annotated[int, "evaluations that could not be decided"]
    not_applicable: Annotated[int, "evaluations that do not apply to the target"]


@dataclass(frozen=True, slots=True)
class Summary(Counts):
    """Counts over all evaluations, and the checks whose requirements were not verified."""

    unverified: Annotated[Unverified, "what `--strict` treats as incomplete"]


@dataclass(frozen=True, slots=True)
class Rule:
    """A rule that was evaluated."""

    id: Annotated[str, "stable rule id, e.g. `k0s.name-resolution.localhost`"]
    title: Annotated[str, "one-line title"]
    level: Annotated[Level, "default level"]
    profiles: Annotated[tuple[str, ...], "profiles that select the rule"]
    area: Annotated[str, "grouping (`kernel`, `name-resolution`...)"]
    parent: Annotated[str | None, "id of the rule it is shown under in text output"]
    tags: Annotated[tuple[str, ...], "tags from the rule pack"]
    security_severity: Annotated[str | None, '`"0.0"`-`"10.0"` for security rules']


@dataclass(frozen=True, slots=True)
class BuildStep:
    """The build instruction that made a finding's layer or file."""

    uri: Annotated[str, "the build file, relative to `--source-root`"]
    line: Annotated[int, "its first line (1-based)"]
    end_line: Annotated[int, "its last line"]
    instruction: Annotated[str, "the instruction as its first line reads"]


@dataclass(frozen=True, slots=True)
class Suppression:
    """The suppression-file entry that suppresses a finding."""

    rule: Annotated[str, "rule id glob"]
    path: Annotated[str, "path glob"]
    reason: Annotated[str, "why it is suppressed"]
    expires: Annotated[str | None, "ISO date after which it no longer suppresses"]
    source: Annotated[str, "the file and line of the entry"]


@dataclass(frozen=True, slots=True)
class AbsentFinding:
    """A finding of the baseline run that this run no longer has."""

    rule_id: Annotated[str, "its rule"]
    level: Annotated[Level, "its level"]
    message: Annotated[str, "its message"]
    location: Annotated[Location, "where it was"]
    fingerprint: Annotated[str, "its fingerprint"]


@dataclass(frozen=True, slots=True)
class Baseline:
    """The comparison with `--baseline`."""

    file: Annotated[str, "the baseline file"]
    new: Annotated[int, "findings not in the baseline"]
    unchanged: Annotated[int, "findings in it as they were"]
    updated: Annotated[int, "findings in it with another level or message"]
    absent: Annotated[int, "baseline findings this run no longer has"]
    absent_findings: Annotated[tuple[AbsentFinding, ...], "those findings"]


@dataclass(frozen=True, slots=True)
class Evaluation:
    """One rule on one subject; a finding when `outcome` is `fail`."""

    rule_id: Annotated[str, "the rule evaluated"]
    outcome: Annotated[Outcome, "what evaluating it gave"]
    level: Annotated[Level, "the level a failure is reported at"]
    finding: Annotated[bool, "`true` exactly when `outcome` is `fail`"]
    message: Annotated[str, "the finding; the detail of a pass; why unknown or not applicable"]
    location: Annotated[Location, "the evidence (`/` when the rule is about the whole image)"]
    layer: Annotated[Layer | None, "the target layer named by `location.layer`, if any"]
    build: Annotated[
        BuildStep | None,
        "the step that caused it (`--dockerfile`, `--packer-template`), `null` when none maps",
    ]
    baseline_state: Annotated[BaselineState | None, "compared with `--baseline`, else `null`"]
    suppression: Annotated[Suppression | None, "the entry that suppresses it, else `null`"]
    subject: Annotated[str, "what was evaluated: `image`, a kernel release, a binary path..."]
    discriminator: Annotated[str, "tells apart several evaluations of one rule at one path"]
    evidence: Annotated[tuple[str, ...], "human-readable evidence lines"]
    properties: Annotated[JsonObject, "check-specific details"]


@dataclass(frozen=True, slots=True)
class Notification:
    """Something the analysis skipped, could not read or had to guess."""

    level: Annotated[Level, "`error` means part of the input was not analysed"]
    code: Annotated[str, "stable identifier, e.g. `capture.truncated`"]
    message: Annotated[str, "what happened"]
    location: Annotated[Location | None, "where, when it is about one object"]


@dataclass(frozen=True, slots=True)
class Report:
    """The JSON report of one target (`imgaudit scan TARGET --format json`)."""

    schema: Annotated[str, Const(REPORT_FORMAT), "the format identifier"]
    tool: Annotated[Tool, "the program that wrote it"]
    target: Annotated[Target, "what was scanned"]
    profiles: Annotated[tuple[str, ...], "the `--profile` values that selected the rules"]
    roles: Annotated[tuple[str, ...], "the roles the rules were selected for"]
    complete: Annotated[bool, "`false` when part of the input could not be read"]
    incomplete_reasons: Annotated[tuple[Reason, ...], "why `complete` is `false`"]
    summary: Annotated[Summary, "counts"]
    baseline: Annotated[Baseline | None, "the comparison with `--baseline`, else `null`"]
    rules: Annotated[tuple[Rule, ...], "the rules evaluated, without duplicates"]
    evaluations: Annotated[tuple[Evaluation, ...], "every evaluation, in rule order"]
    notifications: Annotated[tuple[Notification, ...], "in the order the analysis made them"]
    facts: Annotated[FactsSummary, "what the collectors found, as a summary"]


__all__ = [
    "REPORT_FORMAT",
    "REPORT_VERSION",
    "BuildStep",
    "Counts",
    "Evaluation",
    "Layer",
    "Location",
    "Notification",
    "Reason",
    "Report",
    "Rule",
    "Summary",
    "Target",
    "Tool",
    "Unverified",
]
