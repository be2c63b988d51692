"""The result model shared by the pipeline, the policy engine and the report writers.

Everything here is a frozen value: writers are pure functions of a :class:`RunResult`.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class Level(enum.Enum):
    """Severity of a rule or notification, in SARIF's vocabulary."""

    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"

    @property
    def rank(self) -> int:
        """Higher is more severe (note=1, warning=2, error=3)."""
        return {"note": 1, "warning": 2, "error": 3}[self.value]


class Outcome(enum.Enum):
    """What evaluating a check on one subject gave."""

    PASS = "pass"
    FAIL = "fail"
    UNKNOWN = "unknown"
    NOT_APPLICABLE = "not_applicable"


class TargetKind(enum.Enum):
    """What the scanned artefact becomes: a host's root file system, a container, or a VM."""

    ROOTFS = "rootfs"
    CONTAINER = "container"
    VM = "vm"


@dataclass(frozen=True, slots=True)
class Location:
    """Where evidence was found inside the image.

    ``path`` is the real (fully resolved) absolute in-image path, ``access_path`` the path that
    was asked for when it differs (it went through links), ``layer`` the layer or partition id
    that supplied the object, ``line`` a 1-based line number when one is known.
    """

    path: str
    line: int | None = None
    access_path: str | None = None
    layer: str | None = None

    def describe(self) -> str:
        """Human form: ``/etc/hosts:3`` or ``/etc/os-release -> /usr/lib/os-release``."""
        text = self.path if self.line is None else f"{self.path}:{self.line}"
        if self.access_path and self.access_path != self.path:
            text = f"{self.access_path} -> {text}"
        return text


@dataclass(frozen=True, slots=True)
class Notification:
    """Something the analysis skipped, could not read or had to guess; never dropped.

    ``ERROR`` means part of the input was not analysed, so the run is incomplete (``--strict``
    exits 3); ``WARNING`` and ``NOTE`` are observations about the input that leave the
    analysis whole (a corrupt ELF file, a guessed root file system).
    """

    level: Level
    code: str
    message: str
    location: Location | None = None


@dataclass(frozen=True, slots=True)
class RuleInfo:
    """What a report needs to know about a rule."""

    id: str
    title: str
    description: str
    level: Level
    help_markdown: str
    tags: tuple[str, ...] = ()
    profiles: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    area: str = "general"
    parent: str | None = None
    security_severity: str | None = None


class BaselineState(enum.Enum):
    """A finding compared with the previous run's (SARIF ``result.baselineState``)."""

    NEW = "new"
    UNCHANGED = "unchanged"
    UPDATED = "updated"
    ABSENT = "absent"


@dataclass(frozen=True, slots=True)
class Suppression:
    """One entry of a suppression file: findings of ``rule`` at paths matching ``path``.

    ``rule`` and ``path`` are globs (``*`` matches ``/`` too); ``expires`` is an ISO date
    after which the entry no longer suppresses; ``source`` is the file and line it is on.
    """

    rule: str
    path: str
    reason: str
    source: Location
    expires: str | None = None


@dataclass(frozen=True, slots=True)
class PriorResult:
    """A finding of the baseline run that this run no longer has (state ``absent``).

    ``sarif_locations`` and ``sarif_related`` are the previous result's SARIF locations and
    related locations, carried over as they were (its message may link the related ones);
    ``content`` the hash of its level and message, when the log had one.
    """

    rule_id: str
    level: Level
    message: str
    location: Location
    fingerprint: str
    sarif_locations: tuple[Mapping[str, Any], ...] = ()
    content: str | None = None
    sarif_related: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class Evaluation:
    """The outcome of one rule on one subject (a kernel, a binary, a file, or the image).

    A failed evaluation at its rule's level (or a lower one the check chose) is a finding.
    ``discriminator`` tells apart several evaluations of one rule at one path; together with
    the rule id and the path it forms the stable fingerprint.
    """

    rule_id: str
    outcome: Outcome
    level: Level
    message: str
    location: Location
    subject: str = ""
    discriminator: str = ""
    evidence: tuple[str, ...] = ()
    properties: Mapping[str, Any] = field(default_factory=dict)
    #: Set by :mod:`analyzer.triage` for a finding: its state against a baseline run.
    baseline: BaselineState | None = None
    #: Set by :mod:`analyzer.triage` for a finding a suppression entry accepts.
    suppression: Suppression | None = None

    @property
    def is_finding(self) -> bool:
        """True when this evaluation is a reportable problem."""
        return self.outcome is Outcome.FAIL


@dataclass(frozen=True, slots=True)
class TargetInfo:
    """Identity of the scanned artefact, as shown in run properties."""

    reference: str
    source: str
    kind: TargetKind
    layers: tuple[Mapping[str, Any], ...] = ()
    properties: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RunResult:
    """Everything one analysis produced; the only input of the report writers."""

    target: TargetInfo
    rules: tuple[RuleInfo, ...]
    evaluations: tuple[Evaluation, ...]
    notifications: tuple[Notification, ...]
    facts: Mapping[str, Any]
    profiles: tuple[str, ...]
    roles: tuple[str, ...]
    tool_version: str
    #: False when part of the input could not be read (see :attr:`unverified` for checks).
    complete: bool = True
    #: The baseline file the findings were compared with (``None``: no comparison).
    baseline: str | None = None
    #: Findings of the baseline run that this run no longer has.
    absent: tuple[PriorResult, ...] = ()

    @property
    def findings(self) -> tuple[Evaluation, ...]:
        """Failed evaluations, in evaluation order (writers sort them)."""
        return tuple(e for e in self.evaluations if e.is_finding)

    @property
    def unverified(self) -> tuple[Evaluation, ...]:
        """Unknown outcomes of error- and warning-level checks, in evaluation order.

        What they require was not verified, so a gate must not take them as passed: every
        report counts them, and ``--strict`` treats a run with any as incomplete.
        """
        return tuple(
            e
            for e in self.evaluations
            if e.outcome is Outcome.UNKNOWN and e.level.rank >= Level.WARNING.rank
        )
