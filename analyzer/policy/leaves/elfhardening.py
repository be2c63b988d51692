"""Leaves about ELF hardening (checksec's columns) and static binaries' name resolution."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import ClassVar, assert_never

from analyzer.facts import LINKAGE
from analyzer.model import FactId, Facts, Outcome
from analyzer.policy.leaf import LeafResult, Subject, SubjectKind
from analyzer.policy.leaves.elf import linkage_of
from analyzer.policy.params import NO_PARAMS, Param, ParamSpec
from analyzer.policy.paramtypes import member_of
from analyzer.stream.elfrecord import STATIC_LINKINGS, ElfKind, Libc, Relro


class Hardening(enum.StrEnum):
    """A property ``elf_hardening`` checks."""

    PIE = "pie"
    RELRO = "relro"
    NX = "nx"
    CANARY = "canary"
    FORTIFY = "fortify"
    NO_RPATH = "no_rpath"


#: A property's name as a :class:`Hardening`.
HARDENING = member_of(Hardening, "a hardening property")


@dataclass(frozen=True, slots=True)
class ElfHardening:
    """``elf_hardening: pie | relro | nx | canary | fortify | no_rpath``.

    ``pie``: position-independent executable (libraries: not applicable); ``relro``: full
    RELRO (``PT_GNU_RELRO`` plus immediate binding); ``nx``: a non-executable stack from
    ``PT_GNU_STACK``; ``canary``: ``__stack_chk_fail`` is used; ``fortify``: some
    ``__*_chk`` function is used; ``no_rpath``: neither ``DT_RPATH`` nor ``DT_RUNPATH``.
    What could not be read (a static binary's symbols) is unknown.
    """

    key: ClassVar[str] = "elf_hardening"
    needs: ClassVar[tuple[FactId, ...]] = (LINKAGE,)
    subjects: ClassVar[tuple[SubjectKind, ...]] = (SubjectKind.BINARY,)
    spec: ClassVar[ParamSpec] = ParamSpec(
        Param("property", HARDENING, required=True, choices=tuple(Hardening), attr="prop"),
        scalar="property",
    )
    prop: Hardening

    def evaluate(self, facts: Facts, subject: Subject) -> LeafResult:
        """Read the property off the ELF record."""
        del facts
        record = linkage_of(subject).record
        if record.corrupt is not None:
            return LeafResult(Outcome.UNKNOWN, f"corrupt ELF file: {record.corrupt}")
        verdict: tuple[bool | None, str]
        match self.prop:
            case Hardening.PIE:
                if record.kind is ElfKind.SHARED_LIBRARY:
                    return LeafResult(Outcome.NOT_APPLICABLE, "a shared library")
                verdict = (record.pie, "not a position-independent executable (ET_EXEC)")
            case Hardening.RELRO:
                full = None if record.relro is None else record.relro is Relro.FULL
                verdict = (full, f"RELRO is {record.relro}")
            case Hardening.NX:
                verdict = (record.nx, "the stack is executable (PT_GNU_STACK missing or RWX)")
            case Hardening.CANARY:
                verdict = (record.canary, "no stack protector (__stack_chk_fail is not used)")
            case Hardening.FORTIFY:
                verdict = (record.fortify, "no fortified function (__*_chk) is used")
            case Hardening.NO_RPATH:
                has = record.has_rpath
                shown = ":".join([*(record.rpath or ()), *(record.runpath or ())])
                verdict = (None if has is None else not has, f"RPATH/RUNPATH is set: {shown}")
            case _:
                assert_never(self.prop)
        ok, failure = verdict
        if ok is None:
            return LeafResult(Outcome.UNKNOWN, f"{self.prop} cannot be told from this file")
        if ok:
            return LeafResult(Outcome.PASS, f"{self.prop}: yes")
        return LeafResult(Outcome.FAIL, failure)


@dataclass(frozen=True, slots=True)
class StaticGlibcNss:
    """``static_glibc_nss: {}``: fails for a static glibc binary that links NSS code in.

    Such a binary loads ``libnss_*`` modules of the glibc it was built with at run time; they
    must exist in the image at that exact version. Not applicable to other binaries.
    """

    key: ClassVar[str] = "static_glibc_nss"
    needs: ClassVar[tuple[FactId, ...]] = (LINKAGE,)
    subjects: ClassVar[tuple[SubjectKind, ...]] = (SubjectKind.BINARY,)
    spec: ClassVar[ParamSpec] = NO_PARAMS

    def evaluate(self, facts: Facts, subject: Subject) -> LeafResult:
        """Check linking, libc and the NSS marker."""
        del facts
        record = linkage_of(subject).record
        if record.linking not in STATIC_LINKINGS or record.libc is not Libc.GLIBC:
            return LeafResult(Outcome.NOT_APPLICABLE, "not a static glibc binary")
        if record.nss_linked is None:
            return LeafResult(Outcome.UNKNOWN, "whether NSS code is linked in was not read")
        if record.nss_linked:
            return LeafResult(
                Outcome.FAIL,
                f"{record.linking} glibc binary with NSS code linked in: it loads libnss_*"
                " modules at run time and needs them from the same glibc version",
            )
        return LeafResult(Outcome.PASS, "static glibc binary without NSS code")
