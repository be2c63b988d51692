"""What loader emulation found for one binary: interpreter, closure, missing libraries, paths."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from analyzer.model import Location
from analyzer.stream.elfrecord import ElfRecord, Libc, Linking


class Role(enum.StrEnum):
    """Why a binary is in linkage scope.

    A program is in a PATH directory, privileged, or any ELF with ``--all-binaries``; a library
    is pulled in by a program.
    """

    PROGRAM = "program"
    LIBRARY = "library"


class InterpStatus(enum.StrEnum):
    """Whether a binary's program interpreter resolves inside the image, or why not.

    ``NONE``: the binary needs none (static, static-pie, or a library); ``UNKNOWN``: its path
    was not read; the others say why the path leads to no usable interpreter.
    """

    OK = "ok"
    NONE = "none"
    UNKNOWN = "unknown"
    MISSING = "missing"
    DANGLING = "dangling"
    LOOP = "loop"
    NOT_A_DIRECTORY = "not-a-directory"
    NOT_A_FILE = "not-a-file"
    NOT_ELF = "not-elf"
    WRONG_ARCH = "wrong-arch"
    RELATIVE = "relative"


#: The statuses of a binary whose interpreter is usable (or not needed).
INTERP_OK = (InterpStatus.OK, InterpStatus.NONE)


class SearchTag(enum.StrEnum):
    """The dynamic tag a library search-path entry comes from."""

    RPATH = "RPATH"
    RUNPATH = "RUNPATH"


class PathProblem(enum.StrEnum):
    """What is wrong with an RPATH/RUNPATH entry."""

    RELATIVE = "relative"
    EMPTY = "empty"
    ESCAPES_ROOT = "escapes-root"
    WORLD_WRITABLE = "world-writable"


#: How each problem is worded after the entry.
_PATH_PROBLEMS = {
    PathProblem.RELATIVE: "is relative (resolved against the working directory)",
    PathProblem.EMPTY: "is empty (the working directory)",
    PathProblem.ESCAPES_ROOT: "escapes the image root",
    PathProblem.WORLD_WRITABLE: "names a world-writable directory",
}


@dataclass(frozen=True, slots=True)
class Interp:
    """The program interpreter (``PT_INTERP``) and whether it resolves inside the image.

    ``deleted`` is where a missing interpreter was until a layer deleted it, with that layer.
    """

    status: InterpStatus
    path: str | None = None
    real_path: str | None = None
    detail: str = ""
    deleted: Location | None = None


@dataclass(frozen=True, slots=True)
class MissingLib:
    """A ``DT_NEEDED`` name the loader would not find, and who needs it.

    ``chain`` starts with the object whose ``DT_NEEDED`` names the library and ends with the
    object the closure started from. ``deleted`` is where the library was until a layer
    deleted it (its real path and that layer), when one did.
    """

    soname: str
    chain: tuple[str, ...]
    deleted: Location | None = None

    def describe(self) -> str:
        """``libfoo.so.1 (needed by /usr/lib/libbar.so.2 <- /usr/bin/app)``, and its deletion."""
        gone = f"; {self.deleted.path} was deleted by a later layer" if self.deleted else ""
        return f"{self.soname} (needed by {' <- '.join(self.chain)}{gone})"


@dataclass(frozen=True, slots=True)
class PathIssue:
    """An RPATH/RUNPATH entry that is relative, escapes the root, or is world-writable."""

    tag: SearchTag
    entry: str
    problem: PathProblem
    expanded: str | None = None

    def describe(self) -> str:
        """``RUNPATH entry '$ORIGIN/../../..' escapes the image root``."""
        what = _PATH_PROBLEMS[self.problem]
        shown = f" ({self.expanded})" if self.expanded and self.expanded != self.entry else ""
        return f"{self.tag} entry {self.entry!r}{shown} {what}"


@dataclass(frozen=True, slots=True)
class Linkage:
    """One binary in scope with everything loader emulation found about it.

    ``names`` are the in-image paths that reach it (PATH entries, links); ``role`` is
    ``program`` (found in a PATH directory or privileged, or any ELF with ``--all-binaries``)
    or ``library`` (pulled in by a program). ``libraries`` lists ``(name, real path)`` in
    load order; ``unresolved`` says why parts of the closure could not be followed.
    ``arch_matches`` compares the machine with the image's architecture.
    """

    path: str
    names: tuple[str, ...]
    role: Role
    record: ElfRecord
    location: Location
    flavour: Libc
    interp: Interp
    libraries: tuple[tuple[str, str], ...] = ()
    missing: tuple[MissingLib, ...] = ()
    unresolved: tuple[str, ...] = ()
    path_issues: tuple[PathIssue, ...] = ()
    arch_matches: bool | None = None
    image_machine: str | None = None
    setuid: bool = False
    setgid: bool = False
    capabilities: bool = False

    @property
    def privileged(self) -> bool:
        """True for set-uid, set-gid or file-capability binaries."""
        return self.setuid or self.setgid or self.capabilities


@dataclass(frozen=True, slots=True)
class StaticBinary:
    """A statically linked binary in scope, and what it can do for name resolution.

    ``nss`` is true when it can load NSS modules (static glibc), false when it cannot (musl,
    Go, anything else), ``None`` when its libc is unknown but it is not glibc.
    """

    path: str
    names: tuple[str, ...]
    linking: Linking
    libc: Libc | None
    go: bool
    nss_linked: bool | None

    @property
    def nss(self) -> bool:
        """True when the binary can use glibc's NSS plugins (it is static glibc)."""
        return self.libc is Libc.GLIBC
