"""Parse the parts of an ELF file the analyzer keeps: header, program headers, dynamic, notes.

Everything works on ``bytes`` the analyzer captured or read (:class:`SparseBytes` holds the
pieces); nothing here reads a file.
Malformed structures raise :class:`CorruptElf` with a short reason.
"""

from __future__ import annotations

import struct
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from analyzer.errors import SourceError
from analyzer.stream.elfrecord import PT_DYNAMIC, PT_INTERP, PT_LOAD, PT_NOTE

ELF_MAGIC = b"\x7fELF"
_CLASSES = {1: 32, 2: 64}
_HEADER = {32: ("HHIIIIIHHHHHH", 52), 64: ("HHIQQQIHHHHHH", 64)}
_PHDR = {32: ("IIIIIIII", 32), 64: ("IIQQQQQQ", 56)}
_DYN = {32: ("iI", 8), 64: ("qQ", 16)}
#: Segment types whose bytes the analyzer reads: they must lie inside the file.
_KEPT_TYPES = (PT_LOAD, PT_DYNAMIC, PT_INTERP, PT_NOTE)
#: Bytes gathered before the ELF header is decoded (the largest header, ELF64's).
HEADER_BYTES = _HEADER[64][1]
#: ``e_phnum`` value meaning "the real count is in section 0" (not supported when streaming).
PN_XNUM = 0xFFFF
#: Most program headers accepted; real files have a dozen.
MAX_PHNUM = 4096


class CorruptElf(SourceError):
    """An ELF structure is malformed or truncated."""


class ByteSource(Protocol):
    """Random access to the captured parts of one file."""

    def read(self, offset: int, size: int) -> bytes | None:
        """``size`` bytes at ``offset``, or ``None`` when they were not captured."""


class SparseBytes:
    """Captured pieces of one file; pieces may overlap and arrive in any order."""

    def __init__(self) -> None:
        self._starts: list[int] = []
        self._pieces: list[bytes] = []

    def add(self, start: int, data: bytes) -> None:
        """Keep ``data`` found at ``start``."""
        index = bisect_right(self._starts, start)
        self._starts.insert(index, start)
        self._pieces.insert(index, data)

    def read(self, offset: int, size: int) -> bytes | None:
        """``size`` bytes at ``offset``, or ``None`` when some of them were not kept."""
        if size < 0 or offset < 0:
            return None
        end = offset + size
        index = bisect_right(self._starts, offset) - 1
        if index >= 0 and self._starts[index] + len(self._pieces[index]) >= end:
            start = self._starts[index]
            return self._pieces[index][offset - start : end - start]
        parts: list[bytes] = []
        cursor = offset
        for later in range(bisect_left(self._starts, end)):
            start, piece = self._starts[later], self._pieces[later]
            if start + len(piece) <= cursor:
                continue
            if start > cursor:
                return None
            parts.append(piece[cursor - start :])
            cursor = start + len(piece)
            if cursor >= end:
                return b"".join(parts)[:size]
        return None if cursor < end else b""


@dataclass(frozen=True, slots=True)
class Header:
    """The fields of the ELF header the analyzer uses."""

    elf_class: int
    little: bool
    osabi: int
    type: int
    machine: int
    entry: int
    phoff: int
    phentsize: int
    phnum: int

    @property
    def order(self) -> str:
        """``struct`` byte-order prefix."""
        return "<" if self.little else ">"

    @property
    def phdr_range(self) -> tuple[int, int]:
        """File range of the program header table."""
        return self.phoff, self.phoff + self.phentsize * self.phnum


@dataclass(frozen=True, slots=True)
class Segment:
    """One program header."""

    type: int
    flags: int
    offset: int
    vaddr: int
    filesz: int
    align: int

    @property
    def end(self) -> int:
        """End of the segment's bytes in the file."""
        return self.offset + self.filesz


def parse_header(head: bytes, size: int) -> Header:
    """Decode the ELF header from the first bytes of a file of ``size`` bytes."""
    if len(head) < 16 or not head.startswith(ELF_MAGIC):
        raise CorruptElf("truncated ELF identification")
    elf_class = _CLASSES.get(head[4])
    if elf_class is None:
        raise CorruptElf(f"invalid ELF class {head[4]}")
    if head[5] not in (1, 2):
        raise CorruptElf(f"invalid ELF data encoding {head[5]}")
    little = head[5] == 1
    fmt, length = _HEADER[elf_class]
    if len(head) < length:
        raise CorruptElf("truncated ELF header")
    fields = struct.unpack_from(("<" if little else ">") + fmt, head, 16)
    e_type, machine, _, entry, phoff = fields[:5]
    phentsize, phnum = fields[8], fields[9]
    header = Header(elf_class, little, head[7], e_type, machine, entry, phoff, phentsize, phnum)
    if phnum:
        if phnum == PN_XNUM or phnum > MAX_PHNUM:
            raise CorruptElf(f"unsupported program header count {phnum}")
        if phentsize != _PHDR[elf_class][1]:
            raise CorruptElf(f"program header entry size {phentsize} is wrong for ELF{elf_class}")
        if header.phdr_range[1] > size:
            raise CorruptElf("program header table extends past the end of the file")
    return header


def parse_segments(data: bytes, header: Header, size: int) -> tuple[Segment, ...]:
    """Decode the program header table (``data`` is exactly its bytes)."""
    fmt = header.order + _PHDR[header.elf_class][0]
    segments = []
    for fields in struct.iter_unpack(fmt, data):
        if header.elf_class == 64:
            p_type, flags, offset, vaddr, _, filesz, _, align = fields
        else:
            p_type, offset, vaddr, _, filesz, _, flags, align = fields
        segment = Segment(p_type, flags, offset, vaddr, filesz, align)
        if p_type in _KEPT_TYPES and segment.end > size:
            raise CorruptElf(f"segment at offset {offset:#x} extends past the end of the file")
        segments.append(segment)
    return tuple(segments)


def parse_dynamic(data: bytes, header: Header) -> list[tuple[int, int]]:
    """Decode dynamic entries up to ``DT_NULL``; a missing terminator is corruption."""
    fmt, length = _DYN[header.elf_class]
    entries: list[tuple[int, int]] = []
    usable = len(data) - len(data) % length
    for tag, value in struct.iter_unpack(header.order + fmt, data[:usable]):
        if tag == 0:
            return entries
        entries.append((tag, value))
    raise CorruptElf("dynamic section has no DT_NULL terminator")


def file_offset(segments: tuple[Segment, ...], vaddr: int) -> int | None:
    """The file offset of virtual address ``vaddr``, through the ``PT_LOAD`` segments."""
    for segment in segments:
        if segment.type == PT_LOAD and segment.vaddr <= vaddr < segment.vaddr + segment.filesz:
            return vaddr - segment.vaddr + segment.offset
    return None


def notes(data: bytes, little: bool, align: int) -> Iterator[tuple[bytes, int, bytes]]:
    """``(name, type, desc)`` of each note in a ``PT_NOTE`` segment's bytes."""
    step = 8 if align == 8 else 4
    order = "<" if little else ">"
    pos = 0
    while pos + 12 <= len(data):
        namesz, descsz, n_type = struct.unpack_from(order + "III", data, pos)
        name_at = pos + 12
        desc_at = _pad(name_at + namesz, step)
        end = _pad(desc_at + descsz, step)
        if desc_at + descsz > len(data):
            raise CorruptElf("note extends past its segment")
        yield (
            data[name_at : name_at + namesz].rstrip(b"\0"),
            n_type,
            data[desc_at : desc_at + descsz],
        )
        pos = end


def _pad(value: int, step: int) -> int:
    return (value + step - 1) // step * step


def cstring(table: bytes, offset: int) -> str:
    """The NUL-terminated string at ``offset`` of a string table."""
    if offset >= len(table):
        raise CorruptElf(f"string offset {offset:#x} is outside the string table")
    end = table.find(b"\0", offset)
    if end < 0:
        raise CorruptElf("unterminated string in the dynamic string table")
    return table[offset:end].decode("utf-8", "surrogateescape")


def verneed_versions(
    src: ByteSource, offset: int, count: int, strtab: bytes, little: bool
) -> list[tuple[str, str]] | None:
    """``(file, version)`` pairs of ``DT_VERNEED``; ``None`` when not captured."""
    order = "<" if little else ">"
    found = []
    for _ in range(min(count, 4096)):
        entry = src.read(offset, 16)
        if entry is None:
            return None
        _, cnt, file_name, aux, next_entry = struct.unpack(order + "HHIII", entry)
        library = cstring(strtab, file_name)
        aux_at = offset + aux
        for _ in range(min(cnt, 4096)):
            vernaux = src.read(aux_at, 16)
            if vernaux is None:
                return None
            _, _, _, name, next_aux = struct.unpack(order + "IHHII", vernaux)
            found.append((library, cstring(strtab, name)))
            if not next_aux:
                break
            aux_at += next_aux
        if not next_entry:
            break
        offset += next_entry
    return found
