"""The small record the ELF analyzer keeps per ELF file, and the ELF constants it needs.

Every field that depends on bytes the analyzer may not have kept is tri-state: ``None`` means
"could not tell" (the range was beyond the capture cap, or the file is corrupt), never a guess.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from functools import cache

from analyzer.stream.records import RecordKey

PT_LOAD = 1
PT_DYNAMIC = 2
PT_INTERP = 3
PT_NOTE = 4
PT_GNU_STACK = 0x6474E551
PT_GNU_RELRO = 0x6474E552
PF_X = 1
PF_W = 2

DT_NULL = 0
DT_NEEDED = 1
DT_STRTAB = 5
DT_STRSZ = 10
DT_SONAME = 14
DT_RPATH = 15
DT_BIND_NOW = 24
DT_RUNPATH = 29
DT_FLAGS = 30
DT_FLAGS_1 = 0x6FFFFFFB
DT_VERNEED = 0x6FFFFFFE
DT_VERNEEDNUM = 0x6FFFFFFF
DF_BIND_NOW = 0x8
DF_1_NOW = 0x1
DF_1_PIE = 0x08000000

ET_REL = 1
ET_EXEC = 2
ET_DYN = 3
ET_CORE = 4

NT_GNU_ABI_TAG = 1
NT_GO_BUILDID = 4

EM_386 = 3
EM_X86_64 = 62

#: ``e_type`` values by name, as kept in :attr:`ElfRecord.type`.
TYPE_NAMES = {0: "NONE", ET_REL: "REL", ET_EXEC: "EXEC", ET_DYN: "DYN", ET_CORE: "CORE"}


class ElfKind(enum.StrEnum):
    """What an ELF file is (``UNKNOWN``: a ``ET_DYN`` file whose dynamic section was not read)."""

    EXECUTABLE = "executable"
    SHARED_LIBRARY = "shared-library"
    RELOCATABLE = "relocatable"
    CORE = "core"
    UNKNOWN = "unknown"
    OTHER = "other"


class Linking(enum.StrEnum):
    """How an executable or library is linked."""

    STATIC = "static"
    STATIC_PIE = "static-pie"
    DYNAMIC = "dynamic"


#: The linkings that need no program interpreter.
STATIC_LINKINGS = (Linking.STATIC, Linking.STATIC_PIE)


class Libc(enum.StrEnum):
    """The C library a binary was built against (also the loader flavour it expects)."""

    GLIBC = "glibc"
    MUSL = "musl"


class Relro(enum.StrEnum):
    """How much of the relocation data is read-only after start-up."""

    NONE = "none"
    PARTIAL = "partial"
    FULL = "full"


@cache
def _names() -> tuple[dict[int, str], dict[int, str]]:
    """Machine and OS/ABI names from pyelftools, loaded when a record is first shown."""
    from elftools.elf.enums import ENUM_E_MACHINE, ENUM_EI_OSABI

    machines = {value: name for name, value in ENUM_E_MACHINE.items() if isinstance(value, int)}
    osabis = {value: name for name, value in ENUM_EI_OSABI.items() if isinstance(value, int)}
    return machines, osabis


def machine_name(machine: int) -> str:
    """``EM_X86_64`` for 62; ``EM_<number>`` for machines pyelftools does not name."""
    return _names()[0].get(machine, f"EM_{machine}")


def osabi_name(osabi: int) -> str:
    """``ELFOSABI_SYSV`` for 0; ``ELFOSABI_<number>`` for unnamed values."""
    return _names()[1].get(osabi, f"ELFOSABI_{osabi}")


@dataclass(frozen=True, slots=True)
class ElfRecord:
    """What the pass learned about one ELF file.

    ``linking`` is ``None`` for objects that are not loaded, or when it cannot be told;
    ``libc`` is ``None`` when it cannot be told; ``go`` marks a Go build id note. ``fortified``
    lists the ``__*_chk`` names the dynamic string table holds; ``nss`` the NSS-using
    functions it names; ``nss_linked`` tells, for files without a dynamic section, whether
    glibc's NSS code is linked in (its ``nsswitch.conf`` path is in the file).
    ``corrupt`` explains why the file could not be parsed; the other fields then hold what
    was read before the problem.
    """

    elf_class: int
    little_endian: bool
    machine: int
    type: str
    osabi: int
    kind: ElfKind
    linking: Linking | None = None
    interp: str | None = None
    needed: tuple[str, ...] | None = None
    soname: str | None = None
    rpath: tuple[str, ...] | None = None
    runpath: tuple[str, ...] | None = None
    pie_flag: bool | None = None
    bind_now: bool | None = None
    libc: Libc | None = None
    go: bool = False
    pie: bool | None = None
    relro: Relro | None = None
    nx: bool | None = None
    canary: bool | None = None
    fortified: tuple[str, ...] | None = None
    nss: tuple[str, ...] | None = None
    nss_linked: bool | None = None
    corrupt: str | None = None

    @property
    def machine_name(self) -> str:
        """The machine as pyelftools names it (``EM_X86_64``)."""
        return machine_name(self.machine)

    @property
    def arch(self) -> tuple[int, bool, int]:
        """``(class, little_endian, machine)``: what a loader matches candidates on."""
        return (self.elf_class, self.little_endian, self.machine)

    @property
    def loadable(self) -> bool:
        """True for executables and shared libraries that parsed cleanly."""
        return self.corrupt is None and self.kind in (ElfKind.EXECUTABLE, ElfKind.SHARED_LIBRARY)

    @property
    def fortify(self) -> bool | None:
        """True when some fortified ``__*_chk`` function is used."""
        return None if self.fortified is None else bool(self.fortified)

    @property
    def has_rpath(self) -> bool | None:
        """True when a ``DT_RPATH`` or ``DT_RUNPATH`` is set."""
        if self.rpath is None or self.runpath is None:
            return None
        return bool(self.rpath or self.runpath)


#: The ELF analyzer's record of a file.
ELF: RecordKey[ElfRecord] = RecordKey("elf", ElfRecord)
