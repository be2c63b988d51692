"""Turn the captured parts of an ELF file into its :class:`ElfRecord`.

Stack protector, FORTIFY and NSS use are read from the names in the dynamic string table
(``.dynstr``), as checksec does from the dynamic symbols; static and static-pie binaries
leave those fields unknown, except NSS, which is detected from glibc's ``nsswitch.conf``
path while the file streams by.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass

from analyzer.analyzers.elfparse import (
    ByteSource,
    Header,
    Segment,
    cstring,
    file_offset,
    notes,
    parse_dynamic,
    verneed_versions,
)
from analyzer.stream.elfrecord import (
    DF_1_NOW,
    DF_1_PIE,
    DF_BIND_NOW,
    DT_BIND_NOW,
    DT_FLAGS,
    DT_FLAGS_1,
    DT_NEEDED,
    DT_RPATH,
    DT_RUNPATH,
    DT_SONAME,
    DT_STRSZ,
    DT_STRTAB,
    DT_VERNEED,
    DT_VERNEEDNUM,
    EM_386,
    EM_X86_64,
    ET_CORE,
    ET_DYN,
    ET_EXEC,
    ET_REL,
    NT_GNU_ABI_TAG,
    NT_GO_BUILDID,
    PF_X,
    PT_DYNAMIC,
    PT_GNU_RELRO,
    PT_GNU_STACK,
    PT_INTERP,
    PT_NOTE,
    TYPE_NAMES,
    ElfKind,
    ElfRecord,
    Libc,
    Linking,
    Relro,
)

#: Machines whose kernels map the stack executable when ``PT_GNU_STACK`` is absent.
EXEC_STACK_BY_DEFAULT = frozenset({EM_386, EM_X86_64})
CANARY_SYMBOLS = (b"\0__stack_chk_fail\0", b"\0__stack_chk_guard\0")
_FORTIFIED = re.compile(rb"\0(__[A-Za-z0-9_]+_chk)(?=\0)")
#: Functions that go through glibc's NSS (hosts, passwd, group, services, shadow).
NSS_FUNCTIONS = (
    "getaddrinfo", "getnameinfo", "gethostbyname", "gethostbyname2", "gethostbyname_r",
    "gethostbyname2_r", "gethostbyaddr", "gethostbyaddr_r", "getpwnam", "getpwnam_r",
    "getpwuid", "getpwuid_r", "getpwent", "getgrnam", "getgrnam_r", "getgrgid", "getgrgid_r",
    "getgrent", "getgrouplist", "initgroups", "getservbyname", "getservbyname_r", "getspnam",
    "getspnam_r",
)  # fmt: skip
_NSS = re.compile(rb"\0(" + b"|".join(n.encode() for n in NSS_FUNCTIONS) + rb")(?=\0)")
#: Bytes present in every file that links glibc's NSS code in (its configuration path).
NSS_MARKER = b"/etc/nsswitch.conf"
#: The kinds ``e_type`` alone decides.
_HEADER_KINDS = {ET_EXEC: ElfKind.EXECUTABLE, ET_REL: ElfKind.RELOCATABLE, ET_CORE: ElfKind.CORE}


class MarkerScan:
    """Looks for :data:`NSS_MARKER` in consecutive blocks (it may straddle several of them)."""

    def __init__(self) -> None:
        self.found = False
        self._tail = b""

    def feed(self, block: bytes) -> None:
        """Search the next block, together with the bytes that came before it."""
        if self.found:
            return
        self.found = NSS_MARKER in self._tail + block[: len(NSS_MARKER) - 1] or (
            NSS_MARKER in block
        )
        self._tail = (self._tail + block)[1 - len(NSS_MARKER) :]


@dataclass(frozen=True, slots=True)
class Dynamic:
    """What the dynamic section says, each part ``None`` when its bytes were not captured."""

    present: bool
    needed: tuple[str, ...] | None = None
    soname: str | None = None
    rpath: tuple[str, ...] | None = None
    runpath: tuple[str, ...] | None = None
    flags: int | None = None
    flags_1: int | None = None
    bind_now_tag: bool | None = None
    strtab: bytes | None = None
    glibc_versions: bool | None = None


def first(segments: tuple[Segment, ...], p_type: int) -> Segment | None:
    """The first segment of a type."""
    return next((s for s in segments if s.type == p_type), None)


def needs_nss_scan(header: Header, interp: Segment | None, dynamic: Segment | None) -> bool:
    """True for files whose NSS use shows only as ``NSS_MARKER`` somewhere in their bytes.

    Those are executables without an interpreter (static, or static-pie with an entry point).
    """
    return (
        interp is None
        and header.type in (ET_EXEC, ET_DYN)
        and (dynamic is None or header.entry != 0)
    )


def read_dynamic(header: Header, segments: tuple[Segment, ...], src: ByteSource) -> Dynamic:
    """Decode ``PT_DYNAMIC`` and the strings it points at."""
    segment = first(segments, PT_DYNAMIC)
    if segment is None:
        return Dynamic(False, (), None, (), (), 0, 0, False, None, False)
    data = src.read(segment.offset, segment.filesz)
    if data is None:
        return Dynamic(True)
    entries = parse_dynamic(data, header)
    tags: dict[int, int] = {}
    for tag, value in entries:
        tags.setdefault(tag, value)
    flags, flags_1 = tags.get(DT_FLAGS, 0), tags.get(DT_FLAGS_1, 0)
    bind_now = DT_BIND_NOW in tags
    strtab = None
    if DT_STRTAB in tags and DT_STRSZ in tags:
        offset = file_offset(segments, tags[DT_STRTAB])
        if offset is not None:
            strtab = src.read(offset, tags[DT_STRSZ])
    if strtab is None:
        return Dynamic(True, flags=flags, flags_1=flags_1, bind_now_tag=bind_now)

    def strings(wanted: int) -> tuple[str, ...]:
        return tuple(cstring(strtab, value) for tag, value in entries if tag == wanted)

    def paths(wanted: int) -> tuple[str, ...]:
        return tuple(p for value in strings(wanted) for p in value.split(":"))

    soname = strings(DT_SONAME)
    glibc: bool | None = False
    if DT_VERNEED in tags:
        offset = file_offset(segments, tags[DT_VERNEED])
        found = (
            verneed_versions(src, offset, tags.get(DT_VERNEEDNUM, 0), strtab, header.little)
            if offset is not None
            else None
        )
        glibc = None if found is None else any(v.startswith("GLIBC_") for _, v in found)
    return Dynamic(
        True,
        strings(DT_NEEDED),
        soname[0] if soname else None,
        paths(DT_RPATH),
        paths(DT_RUNPATH),
        flags,
        flags_1,
        bind_now,
        strtab,
        glibc,
    )


def read_notes(segments: tuple[Segment, ...], src: ByteSource, little: bool) -> set[str] | None:
    """Kinds of notes found (``gnu-abi``, ``go``); ``None`` when a note segment was not kept."""
    found: set[str] = set()
    for segment in segments:
        if segment.type != PT_NOTE:
            continue
        data = src.read(segment.offset, segment.filesz)
        if data is None:
            return None
        for name, n_type, _ in notes(data, little, segment.align):
            if name == b"GNU" and n_type == NT_GNU_ABI_TAG:
                found.add("gnu-abi")
            elif name == b"Go" and n_type == NT_GO_BUILDID:
                found.add("go")
    return found


def read_interp(segments: tuple[Segment, ...], src: ByteSource) -> tuple[bool, str | None]:
    """Whether there is a ``PT_INTERP``, and its path (``None`` when not captured)."""
    segment = first(segments, PT_INTERP)
    if segment is None:
        return False, None
    data = src.read(segment.offset, segment.filesz)
    if data is None:
        return True, None
    return True, data.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")


def unreadable_record(reason: str | None) -> ElfRecord:
    """The record of a file whose ELF header could not be decoded."""
    return ElfRecord(0, True, 0, "NONE", 0, ElfKind.OTHER, corrupt=reason)


def base_record(header: Header, corrupt: str | None = None) -> ElfRecord:
    """A record holding only what the ELF header says."""
    kind = _HEADER_KINDS.get(header.type)
    if kind is None:
        kind = ElfKind.UNKNOWN if header.type == ET_DYN else ElfKind.OTHER
    type_name = TYPE_NAMES.get(header.type, f"{header.type:#x}")
    return ElfRecord(
        header.elf_class, header.little, header.machine, type_name, header.osabi, kind,
        corrupt=corrupt,
    )  # fmt: skip


def build_record(
    header: Header, segments: tuple[Segment, ...], src: ByteSource, nss_linked: bool | None
) -> ElfRecord:
    """The full record; raises ``CorruptElf`` on malformed structures."""
    record = base_record(header)
    if record.kind in (ElfKind.RELOCATABLE, ElfKind.CORE, ElfKind.OTHER):
        return record
    has_interp, interp = read_interp(segments, src)
    dyn = read_dynamic(header, segments, src)
    found_notes = read_notes(segments, src, header.little)
    pie_flag = None if dyn.flags_1 is None else bool(dyn.flags_1 & DF_1_PIE)
    bind_now = None
    if dyn.flags is not None and dyn.flags_1 is not None:
        bind_now = bool(dyn.bind_now_tag or dyn.flags & DF_BIND_NOW or dyn.flags_1 & DF_1_NOW)
    kind, linking = _kind(header, has_interp, dyn, pie_flag)
    relro_segment = first(segments, PT_GNU_RELRO) is not None
    relro = (
        Relro.NONE
        if not relro_segment
        else None
        if bind_now is None
        else (Relro.FULL if bind_now else Relro.PARTIAL)
    )
    stack = first(segments, PT_GNU_STACK)
    if stack is not None:
        nx: bool | None = not stack.flags & PF_X
    else:
        nx = False if header.machine in EXEC_STACK_BY_DEFAULT else None
    strtab = dyn.strtab if dyn.present and linking is Linking.DYNAMIC else b""
    return ElfRecord(
        elf_class=record.elf_class,
        little_endian=record.little_endian,
        machine=record.machine,
        type=record.type,
        osabi=record.osabi,
        kind=kind,
        linking=linking,
        interp=None if interp is None else sys.intern(interp),
        needed=_shared(dyn.needed),
        soname=dyn.soname,
        rpath=_shared(dyn.rpath),
        runpath=_shared(dyn.runpath),
        pie_flag=pie_flag,
        bind_now=bind_now,
        libc=_libc(interp, dyn, found_notes),
        go=bool(found_notes and "go" in found_notes),
        pie={ET_EXEC: False, ET_DYN: True}.get(header.type),
        relro=relro,
        nx=nx,
        canary=None if not strtab else any(s in strtab for s in CANARY_SYMBOLS),
        fortified=None if not strtab else _names(_FORTIFIED, strtab),
        nss=None if not strtab else _names(_NSS, strtab),
        nss_linked=nss_linked,
    )


def _names(pattern: re.Pattern[bytes], strtab: bytes) -> tuple[str, ...]:
    return tuple(sorted({sys.intern(m.decode()) for m in pattern.findall(strtab)}))


def _shared(names: tuple[str, ...] | None) -> tuple[str, ...] | None:
    """``names`` as the one copy of each string every record shares (library names repeat)."""
    return None if names is None else tuple(sys.intern(name) for name in names)


def _kind(
    header: Header, has_interp: bool, dyn: Dynamic, pie_flag: bool | None
) -> tuple[ElfKind, Linking | None]:
    if header.type == ET_EXEC:
        return ElfKind.EXECUTABLE, (
            Linking.DYNAMIC if has_interp or dyn.present else Linking.STATIC
        )
    if has_interp:
        return (ElfKind.SHARED_LIBRARY if dyn.soname else ElfKind.EXECUTABLE), Linking.DYNAMIC
    if pie_flag:
        return ElfKind.EXECUTABLE, Linking.STATIC_PIE
    if dyn.needed is None or pie_flag is None:
        return ElfKind.UNKNOWN, None
    if not dyn.needed and dyn.soname is None and header.entry:
        return ElfKind.EXECUTABLE, Linking.STATIC_PIE
    return ElfKind.SHARED_LIBRARY, Linking.DYNAMIC


def _libc(interp: str | None, dyn: Dynamic, found_notes: set[str] | None) -> Libc | None:
    names = [*(dyn.needed or ()), dyn.soname or ""]
    if (interp and interp.rsplit("/", 1)[-1].startswith("ld-musl-")) or any(
        n.startswith(("libc.musl-", "ld-musl-")) for n in names
    ):
        return Libc.MUSL
    if found_notes and "gnu-abi" in found_notes:
        return Libc.GLIBC
    if dyn.glibc_versions or "libc.so.6" in names or (dyn.soname or "").startswith("ld-linux"):
        return Libc.GLIBC
    return None
