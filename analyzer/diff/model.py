"""What ``imgaudit diff`` found: changes of facts by section, and findings that came or went."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from analyzer.model import Evaluation, TargetInfo


class ChangeKind(enum.StrEnum):
    """How a fact subject changed: only in NEW, only in OLD, or in both with another value."""

    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"


class FindingKind(enum.StrEnum):
    """How a finding changed: only in NEW, only in OLD, or in both at another level or text."""

    NEW = "new"
    FIXED = "fixed"
    CHANGED = "changed"


class Section(enum.Enum):
    """A group of facts compared between two artefacts, in report order."""

    OS = "os"
    KERNEL = "kernel"
    KERNEL_CONFIG = "kernel-config"
    MODULES = "modules"
    EXECUTABLES = "executables"
    IDENTITY = "identity"
    CLONE_HYGIENE = "clone-hygiene"
    ELF_LINKAGE = "elf-linkage"
    ELF_HARDENING = "elf-hardening"

    @property
    def title(self) -> str:
        """The heading of the section in text and Markdown."""
        return _TITLES[self]


_TITLES = {
    Section.OS: "OS identity",
    Section.KERNEL: "Kernel",
    Section.KERNEL_CONFIG: "Kernel configuration",
    Section.MODULES: "Kernel modules",
    Section.EXECUTABLES: "Executables in PATH",
    Section.IDENTITY: "Machine identity",
    Section.CLONE_HYGIENE: "Clone hygiene",
    Section.ELF_LINKAGE: "ELF linkage",
    Section.ELF_HARDENING: "ELF hardening",
}


@dataclass(frozen=True, slots=True)
class Change:
    """One subject of a section that differs between the two artefacts.

    ``old`` is ``None`` when it was not there before (added), ``new`` is ``None`` when it is
    gone (removed); ``""`` is a bare presence (a module, a set member).
    """

    section: Section
    subject: str
    old: str | None
    new: str | None

    @property
    def kind(self) -> ChangeKind:
        """``added``, ``removed`` or ``changed``."""
        if self.old is None:
            return ChangeKind.ADDED
        return ChangeKind.REMOVED if self.new is None else ChangeKind.CHANGED


@dataclass(frozen=True, slots=True)
class FindingChange:
    """A finding present on one side only, or on both with another message or level.

    ``kind`` is ``new`` (only in NEW), ``fixed`` (only in OLD) or ``changed``; ``before`` is
    the OLD finding of a changed one.
    """

    kind: FindingKind
    finding: Evaluation
    before: Evaluation | None = None


@dataclass(frozen=True, slots=True)
class Diff:
    """Everything that differs between two runs.

    ``undecided`` names the sections that could not be compared (a fact unknown on one side)
    and why; ``complete`` is false when either artefact was read only in part.
    """

    old: TargetInfo
    new: TargetInfo
    changes: tuple[Change, ...]
    findings: tuple[FindingChange, ...]
    undecided: tuple[str, ...] = ()
    complete: bool = True

    def in_section(self, section: Section) -> tuple[Change, ...]:
        """The changes of one section, in subject order."""
        return tuple(change for change in self.changes if change.section is section)

    def of_kind(self, kind: FindingKind) -> tuple[FindingChange, ...]:
        """The finding changes of one kind (``new``, ``fixed``, ``changed``)."""
        return tuple(change for change in self.findings if change.kind is kind)
