"""The result model shared by the pipeline, the policy engine and the report writers.

Everything here is a frozen value: writers are pure functions of a :class:`RunResult`.
"""

from __future__ import annotations

import datetime
import enum
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Generic, Never, TypeAlias, TypeVar, cast

T = TypeVar("T")
V = TypeVar("V")
T_co = TypeVar("T_co", covariant=True)

#: A JSON value: what ``json.loads`` gives once checked, and what report writers build.
JSON: TypeAlias = "Mapping[str, JSON] | Sequence[JSON] | str | int | float | bool | None"
#: A value as a YAML document gives it (safe loader): JSON's values, dates and binary data.
YAML: TypeAlias = (
    "Mapping[str, YAML] | Sequence[YAML] | str | bytes | int | float | bool | datetime.date | None"
)
#: A JSON object under construction (a writer fills it key by key).
JSONObject: TypeAlias = dict[str, JSON]


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
    that caused what is found there: the one that added or last changed the object, or for
    something missing that a layer deleted, the one that deleted it; ``line`` a 1-based line
    number when one is known.
    """

    path: str
    line: int | None = None
    access_path: str | None = None
    layer: str | None = None

    def at_line(self, line: int | None) -> Location:
        """The same place at ``line`` (``None``: the whole object)."""
        return Location(self.path, line, self.access_path, self.layer)

    def describe(self) -> str:
        """Human form: ``/etc/hosts:3`` or ``/etc/os-release -> /usr/lib/os-release``."""
        text = self.path if self.line is None else f"{self.path}:{self.line}"
        if self.access_path and self.access_path != self.path:
            text = f"{self.access_path} -> {text}"
        return text


class FactState(enum.Enum):
    """Whether a fact was found, found missing, or could not be determined."""

    PRESENT = "present"
    ABSENT = "absent"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Fact(Generic[T_co]):
    """One fact with the location it came from (or the reason it is absent or unknown).

    A fact never pretends: "could not tell" is :attr:`FactState.UNKNOWN` with a reason, and
    rules turn it into an unknown outcome, never into pass or fail. A fact is a read-only
    value, so a ``Fact[dict[str, X]]`` is a ``Fact[Mapping[str, X]]``.
    """

    state: FactState
    value: T_co | None = None
    location: Location | None = None
    reason: str = ""

    @staticmethod
    def present(value: V, location: Location | None = None) -> Fact[V]:
        """A fact that was found."""
        return Fact(FactState.PRESENT, value, location)

    @staticmethod
    def absent(reason: str = "", location: Location | None = None) -> Fact[Never]:
        """A fact known not to hold (the file is not there, the key is not set)."""
        return Fact(FactState.ABSENT, None, location, reason)

    @staticmethod
    def unknown(reason: str, location: Location | None = None) -> Fact[Never]:
        """A fact that could not be determined, and why."""
        return Fact(FactState.UNKNOWN, None, location, reason)

    @property
    def is_present(self) -> bool:
        """True when the fact holds a value."""
        return self.state is FactState.PRESENT

    def get(self) -> T_co:
        """The value of a present fact."""
        if self.value is None:
            raise ValueError(f"fact is {self.state.value}: {self.reason}")
        return self.value


@dataclass(frozen=True, slots=True)
class FactId:
    """The name of a fact, whatever its type: what registries and reports list."""

    name: str
    doc: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True)
class FactKey(FactId, Generic[T]):
    """A typed key: reading ``facts.get(KEY)`` gives a ``Fact[T]`` checked by mypy.

    The keys themselves are declared once, in :mod:`analyzer.facts`.
    """


class Facts:
    """What the collectors learned, read through typed keys (read-only).

    A key nothing wrote reads as an unknown fact ("not collected"), so a reader never needs to
    tell "missing" from "unknown".
    """

    __slots__ = ("_facts",)

    def __init__(self) -> None:
        self._facts: dict[str, Fact[object]] = {}

    def get(self, key: FactKey[T]) -> Fact[T]:
        """The fact stored under ``key`` (unknown when nothing produced it)."""
        fact = self._facts.get(key.name)
        if fact is None:
            return Fact.unknown(f"{key.name} not determined")
        # The one place the value's type is restored: put() stores only a Fact[T] under a
        # FactKey[T], and each name has one key (declared once in analyzer.facts).
        return cast(Fact[T], fact)

    def value(self, key: FactKey[T]) -> T | None:
        """The value of a present fact, else ``None`` (absent, unknown or not collected)."""
        fact = self.get(key)
        return fact.value if fact.is_present else None

    def __contains__(self, key: FactId) -> bool:
        return key.name in self._facts

    def __len__(self) -> int:
        return len(self._facts)

    def names(self) -> tuple[str, ...]:
        """Names of the facts held, in the order they were written."""
        return tuple(self._facts)

    def untyped(self, key: FactId) -> Fact[object]:
        """The fact under ``key`` for a reader that does not use the value's type (reports)."""
        fact: Fact[object] | None = self._facts.get(key.name)
        return fact if fact is not None else Fact.unknown(f"{key.name} not determined")

    def items(self) -> Iterator[tuple[str, Fact[object]]]:
        """``(name, fact)`` pairs in the order they were written, for reports."""
        return iter(self._facts.items())


class FactStore(Facts):
    """:class:`Facts` that collectors write, one typed key at a time."""

    __slots__ = ()

    @classmethod
    def one(cls, key: FactKey[T], fact: Fact[T]) -> FactStore:
        """A store holding one fact (what a collector of a single fact returns)."""
        store = cls()
        store.put(key, fact)
        return store

    def put(self, key: FactKey[T], fact: Fact[T]) -> None:
        """Store ``fact`` under ``key`` (a later write of the same key replaces it)."""
        self._facts[key.name] = fact

    def update(self, other: Facts) -> None:
        """Take every fact of ``other``."""
        self._facts.update(other._facts)

    def fail(self, keys: tuple[FactId, ...], reason: str) -> None:
        """Mark ``keys`` unknown with ``reason`` (a collector that crashed)."""
        for key in keys:
            self._facts[key.name] = Fact.unknown(reason)


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
    sarif_locations: tuple[Mapping[str, JSON], ...] = ()
    content: str | None = None
    sarif_related: tuple[Mapping[str, JSON], ...] = ()


@dataclass(frozen=True, slots=True)
class BuildStep:
    """The build instruction that made a finding's layer or file (a Dockerfile line, a provisioner).

    ``uri`` is the build file's path relative to the source root (``/``-separated), so code
    scanning shows the result on that line; ``line`` and ``end_line`` are 1-based and
    ``instruction`` is how the instruction reads on its first line.
    """

    uri: str
    line: int
    end_line: int
    instruction: str


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
    properties: Mapping[str, JSON] = field(default_factory=dict)
    #: Set by :mod:`analyzer.triage` for a finding: its state against a baseline run.
    baseline: BaselineState | None = None
    #: Set by :mod:`analyzer.triage` for a finding a suppression entry accepts.
    suppression: Suppression | None = None
    #: The build instruction that caused it, when a build file was given and one did.
    origin: BuildStep | None = None

    @property
    def is_finding(self) -> bool:
        """True when this evaluation is a reportable problem."""
        return self.outcome is Outcome.FAIL


@dataclass(frozen=True, slots=True)
class LayerInfo:
    """Where a group of entries comes from: a container layer, a partition, or the whole input.

    ``digest``, ``diff_id`` and ``created_by`` describe a container layer; ``mountpoint`` is
    where a disk's file system is mounted (``None`` for a layer or a plain tree, which sit
    at ``/``).
    """

    id: str
    description: str = ""
    digest: str | None = None
    diff_id: str | None = None
    created_by: str | None = None
    mountpoint: str | None = None


@dataclass(frozen=True, slots=True)
class TargetInfo:
    """Identity of the scanned artefact, as shown in run properties."""

    reference: str
    source: str
    kind: TargetKind
    layers: tuple[LayerInfo, ...] = ()
    properties: Mapping[str, JSON] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RunResult:
    """Everything one analysis produced; the only input of the report writers."""

    target: TargetInfo
    rules: tuple[RuleInfo, ...]
    evaluations: tuple[Evaluation, ...]
    notifications: tuple[Notification, ...]
    facts: Facts
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
