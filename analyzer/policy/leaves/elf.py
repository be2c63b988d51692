"""Leaves about ELF linkage, evaluated per ``binary`` subject (a :class:`Linkage`).

``binary`` selects subjects (for ``when`` gates): by file name, directory, privilege or role.
``elf_interpreter``, ``elf_needed``, ``elf_arch`` and ``elf_rpath`` report what loader
emulation found.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import ClassVar

from analyzer.facts import IMAGE_ARCH, LINKAGE
from analyzer.facts.linkage import INTERP_OK, InterpStatus, Linkage, Role
from analyzer.model import FactId, Facts, Location, Outcome
from analyzer.policy.leaf import LeafResult, Subject, SubjectKind
from analyzer.policy.params import NO_PARAMS, Param, ParamSpec
from analyzer.policy.paramtypes import BOOL, DIRECTORY, FILE_NAME, STRING

ROLES = tuple(Role)
#: How an unusable interpreter is worded, by its status (every status but ok, none, unknown).
_INTERP_PROBLEMS = {
    InterpStatus.MISSING: "does not exist in the image",
    InterpStatus.DANGLING: "is a dangling link",
    InterpStatus.LOOP: "is a link loop",
    InterpStatus.NOT_A_DIRECTORY: "goes through a file that is not a directory",
    InterpStatus.NOT_A_FILE: "is not a file",
    InterpStatus.NOT_ELF: "is not an ELF file",
    InterpStatus.WRONG_ARCH: "is for another architecture",
    InterpStatus.RELATIVE: "is a relative path",
}


def caused_by(subject: Subject, deleted: Location | None) -> Location | None:
    """The subject's location, attributed to the layer that deleted what it needs (if one did).

    The finding stays at the binary, but the layer that caused it is the one whose deletion
    broke it, not the one that added the binary.
    """
    if deleted is None:
        return None
    return dataclasses.replace(subject.location, layer=deleted.layer)


def linkage_of(subject: Subject) -> Linkage:
    """The subject's linkage entry."""
    value = subject.value
    if not isinstance(value, Linkage):
        raise TypeError(f"subject {subject.key!r} is not a binary")
    return value


@dataclass(frozen=True, slots=True)
class BinarySelected:
    """``binary: {names: [mount], dirs: [/usr/sbin], privileged: true, roles: [program]}``.

    Passes when the binary has one of the roles (when given) and matches any of the other
    criteria given: a file name reached through one of its names, a directory holding one of
    its names, or set-uid/set-gid/file capabilities. Meant for ``when`` gates.
    """

    key: ClassVar[str] = "binary"
    needs: ClassVar[tuple[FactId, ...]] = (LINKAGE,)
    subjects: ClassVar[tuple[SubjectKind, ...]] = (SubjectKind.BINARY,)
    spec: ClassVar[ParamSpec] = ParamSpec(
        Param("names", FILE_NAME, many=True),
        Param("dirs", DIRECTORY, many=True),
        Param("privileged", BOOL),
        Param("roles", STRING, many=True, choices=ROLES),
        any_of=("names", "dirs", "privileged", "roles"),
    )
    names: tuple[str, ...] = ()
    dirs: tuple[str, ...] = ()
    privileged: bool = False
    roles: tuple[str, ...] = ()

    def evaluate(self, facts: Facts, subject: Subject) -> LeafResult:
        """Match the subject's names, directories, privileges and role."""
        del facts
        entry = linkage_of(subject)
        if self.roles and entry.role not in self.roles:
            return LeafResult(Outcome.FAIL, f"{entry.path} is a {entry.role}")
        paths = (*entry.names, entry.path)
        checks = []
        if self.names:
            checks.append(any(p.rsplit("/", 1)[-1] in self.names for p in paths))
        if self.dirs:
            checks.append(any((p.rsplit("/", 1)[0] or "/") in self.dirs for p in paths))
        if self.privileged:
            checks.append(entry.privileged)
        if checks and not any(checks):
            return LeafResult(Outcome.FAIL, f"{entry.path} is not selected")
        return LeafResult(Outcome.PASS, f"{entry.path} is selected")


@dataclass(frozen=True, slots=True)
class ElfInterpreter:
    """``elf_interpreter: {}``: the program interpreter resolves inside the image and fits.

    Static and static-pie binaries and libraries have none and pass.
    """

    key: ClassVar[str] = "elf_interpreter"
    needs: ClassVar[tuple[FactId, ...]] = (LINKAGE,)
    subjects: ClassVar[tuple[SubjectKind, ...]] = (SubjectKind.BINARY,)
    spec: ClassVar[ParamSpec] = NO_PARAMS

    def evaluate(self, facts: Facts, subject: Subject) -> LeafResult:
        """Report the interpreter status."""
        del facts
        entry = linkage_of(subject)
        interp = entry.interp
        if interp.status is InterpStatus.NONE:
            linking = entry.record.linking or entry.record.kind
            return LeafResult(Outcome.PASS, f"{entry.path} needs no interpreter ({linking})")
        if interp.status is InterpStatus.OK:
            return LeafResult(Outcome.PASS, f"interpreter {interp.path} -> {interp.real_path}")
        if interp.status is InterpStatus.UNKNOWN:
            return LeafResult(Outcome.UNKNOWN, interp.detail)
        problem = _INTERP_PROBLEMS[interp.status]
        evidence = (interp.detail,) if interp.detail else ()
        where = caused_by(subject, interp.deleted)
        gone = " (deleted by a later layer)" if interp.deleted else ""
        return LeafResult(
            Outcome.FAIL, f"interpreter {interp.path} {problem}{gone}", where, evidence
        )


@dataclass(frozen=True, slots=True)
class ElfNeeded:
    """``elf_needed: {}``: every ``DT_NEEDED`` in the closure resolves inside the image."""

    key: ClassVar[str] = "elf_needed"
    needs: ClassVar[tuple[FactId, ...]] = (LINKAGE,)
    subjects: ClassVar[tuple[SubjectKind, ...]] = (SubjectKind.BINARY,)
    spec: ClassVar[ParamSpec] = NO_PARAMS

    def evaluate(self, facts: Facts, subject: Subject) -> LeafResult:
        """Fail on missing libraries, naming each with the chain that needs it."""
        del facts
        entry = linkage_of(subject)
        if entry.interp.status not in (*INTERP_OK, InterpStatus.UNKNOWN):
            return LeafResult(Outcome.NOT_APPLICABLE, "the interpreter itself is not usable")
        if entry.missing:
            detail = "; ".join(m.describe() for m in entry.missing)
            properties = {"missing": [m.soname for m in entry.missing]}
            deleted = next((m.deleted for m in entry.missing if m.deleted), None)
            where = caused_by(subject, deleted)
            return LeafResult(Outcome.FAIL, detail, where, entry.unresolved, None, properties)
        if entry.unresolved:
            return LeafResult(Outcome.UNKNOWN, "; ".join(entry.unresolved))
        found = ", ".join(f"{name} => {path}" for name, path in entry.libraries)
        return LeafResult(Outcome.PASS, found or "no libraries needed")


@dataclass(frozen=True, slots=True)
class ElfArch:
    """``elf_arch: {}``: the binary's machine is the image's architecture."""

    key: ClassVar[str] = "elf_arch"
    needs: ClassVar[tuple[FactId, ...]] = (LINKAGE, IMAGE_ARCH)
    subjects: ClassVar[tuple[SubjectKind, ...]] = (SubjectKind.BINARY,)
    spec: ClassVar[ParamSpec] = NO_PARAMS

    def evaluate(self, facts: Facts, subject: Subject) -> LeafResult:
        """Compare machines."""
        del facts
        entry = linkage_of(subject)
        mine = entry.record.machine_name
        if entry.arch_matches is None:
            return LeafResult(Outcome.UNKNOWN, "the image's architecture is not known")
        detail = f"{mine} binary in an {entry.image_machine} image"
        return LeafResult(Outcome.PASS if entry.arch_matches else Outcome.FAIL, detail)


@dataclass(frozen=True, slots=True)
class ElfRpath:
    """``elf_rpath: {}``: every RPATH/RUNPATH entry is clean.

    Fails when an entry is relative, empty, escapes the image root
    through ``$ORIGIN/..``, or names a world-writable directory.
    """

    key: ClassVar[str] = "elf_rpath"
    needs: ClassVar[tuple[FactId, ...]] = (LINKAGE,)
    subjects: ClassVar[tuple[SubjectKind, ...]] = (SubjectKind.BINARY,)
    spec: ClassVar[ParamSpec] = NO_PARAMS

    def evaluate(self, facts: Facts, subject: Subject) -> LeafResult:
        """Report the path problems loader emulation found."""
        del facts
        entry = linkage_of(subject)
        if entry.path_issues:
            return LeafResult(Outcome.FAIL, "; ".join(i.describe() for i in entry.path_issues))
        if entry.record.rpath is None or entry.record.runpath is None:
            return LeafResult(Outcome.UNKNOWN, "the dynamic section was not read")
        paths = [*entry.record.rpath, *entry.record.runpath]
        return LeafResult(Outcome.PASS, f"search paths: {':'.join(paths)}" if paths else "none")
