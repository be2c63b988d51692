"""The ELF analyzer: reads only the parts of each ELF file it needs.

Given ``read_at`` (directories, disk images), it reads exactly those parts
(:mod:`analyzer.analyzers.elfseek`). Otherwise it works as the file streams by: from the
first bytes it decodes the ELF header; once the program header table has streamed by it
decides which byte ranges to keep: ``PT_INTERP``, ``PT_DYNAMIC``, ``PT_NOTE`` and a capped
prefix that holds ``.dynsym``/``.dynstr`` in practice (the first ``PT_LOAD`` segment, plus the
first read-only one when the first is executable, as Go lays files out). When the dynamic
section names string or version tables that have not streamed by yet, they are added. Only
those bytes are kept, and the sink is :attr:`~ElfSink.complete` (the pass stops reading) once
every kept range is in and, for a file that needs it, the ``nsswitch.conf`` scan is settled;
the record is built when the sink is closed. A range that was not kept leaves the fields that
need it unknown. Corrupt files give a record whose ``corrupt`` says why; nothing is raised out
of the analyzer.
"""

from __future__ import annotations

import struct

from analyzer.analyzers.elfinfo import (
    MarkerScan,
    base_record,
    build_record,
    first,
    needs_nss_scan,
    unreadable_record,
)
from analyzer.analyzers.elfparse import (
    ELF_MAGIC,
    HEADER_BYTES,
    CorruptElf,
    Header,
    Segment,
    SparseBytes,
    file_offset,
    parse_dynamic,
    parse_header,
    parse_segments,
)
from analyzer.analyzers.elfseek import SeekSink
from analyzer.stream.elfrecord import (
    DT_STRSZ,
    DT_STRTAB,
    DT_VERNEED,
    ELF,
    PF_W,
    PF_X,
    PT_DYNAMIC,
    PT_INTERP,
    PT_LOAD,
    PT_NOTE,
)
from analyzer.stream.entry import ReadAt
from analyzer.stream.sink import Sink

#: Default cap on the prefix kept to find ``.dynsym``/``.dynstr`` (per kept segment).
DEFAULT_PREFIX_CAP = 16 << 20
#: Cap on each other kept range (dynamic section, notes, interpreter, string tables).
RANGE_CAP = 4 << 20
#: Size of the version-needs window kept when it has not streamed by yet.
VERNEED_WINDOW = 64 << 10


class ElfSink:
    """Streams one ELF file; see the module docstring."""

    def __init__(self, size: int, head: bytes, prefix_cap: int) -> None:
        self._size = size
        self._prefix_cap = prefix_cap
        self._pos = 0
        self._block_start = 0
        self._block = b""
        self._want: list[tuple[int, int]] = []
        self._store = SparseBytes()
        self._header: Header | None = None
        self._segments: tuple[Segment, ...] | None = None
        self._error: str | None = None
        self._dynamic_checked = False
        self._nss: MarkerScan | None = None
        self._nss_partial = False
        self._early: bytes | None = head
        if len(head) >= min(HEADER_BYTES, size):
            self._start()

    def _start(self) -> None:
        """Decode the ELF header from the bytes gathered so far, then take them as a block."""
        data, self._early = self._early or b"", None
        try:
            self._header = parse_header(data, self._size)
        except CorruptElf as exc:
            self._error = str(exc)
        else:
            if self._header.phnum:
                self._wanted(*self._header.phdr_range)
            else:
                self._segments = ()
        self._take(data)

    def _wanted(self, start: int, end: int, cap: int = RANGE_CAP) -> None:
        """Keep ``[start, end)``, at most ``cap`` bytes.

        Bytes of the current block are kept now, later ones as they come; bytes that already
        streamed by are lost (the fields needing them stay unknown).
        """
        end = min(end, start + cap, self._size)
        lo, hi = max(start, self._block_start), min(end, self._pos)
        if lo < hi:
            self._store.add(lo, self._block[lo - self._block_start : hi - self._block_start])
        start = max(start, self._pos)
        if start >= end:
            return
        merged: list[tuple[int, int]] = []
        for lo, hi in sorted([*self._want, (start, end)]):
            if merged and lo <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(hi, merged[-1][1]))
            else:
                merged.append((lo, hi))
        self._want = merged

    @property
    def complete(self) -> bool:
        """True once no later byte can change the record."""
        if self._error is not None:
            return True
        if self._early is not None or self._segments is None or not self._dynamic_checked:
            return False
        return not self._want and (self._nss is None or self._nss.found)

    def feed(self, block: bytes) -> None:
        """Keep the wanted parts of the next block and advance the parse."""
        if self._early is not None:
            self._early += block
            if len(self._early) >= min(HEADER_BYTES, self._size):
                self._start()
            return
        self._take(block)

    def _take(self, block: bytes) -> None:
        start = self._pos
        end = start + len(block)
        if self._error is not None:
            self._pos = end
            return
        if self._want:
            for want_lo, want_hi in self._want:
                if want_hi <= start:
                    continue
                if want_lo >= end:
                    break
                lo, hi = max(want_lo, start), min(want_hi, end)
                self._store.add(
                    lo, block if hi - lo == len(block) else block[lo - start : hi - start]
                )
            if self._want[0][1] <= end:
                self._want = [r for r in self._want if r[1] > end]
        self._block_start, self._block, self._pos = start, block, end
        if self._nss is not None:
            self._nss.feed(block)
        if self._segments is None or not self._dynamic_checked:
            try:
                self._advance()
            except (CorruptElf, struct.error) as exc:
                self._error = str(exc)

    def _advance(self) -> None:
        header = self._header
        if header is None:
            return
        if self._segments is None:
            phoff, phend = header.phdr_range
            table = self._store.read(phoff, phend - phoff)
            if table is None:
                return
            self._segments = parse_segments(table, header, self._size)
            self._plan(header, self._segments)
        if not self._dynamic_checked:
            self._plan_tables(header, self._segments)

    def _plan(self, header: Header, segments: tuple[Segment, ...]) -> None:
        """Decide which ranges to keep once the program headers are known."""
        for segment in segments:
            if segment.type in (PT_INTERP, PT_DYNAMIC, PT_NOTE):
                self._wanted(segment.offset, segment.end)
        loads = sorted((s for s in segments if s.type == PT_LOAD), key=lambda s: s.offset)
        if loads:
            self._wanted(0, loads[0].end, self._prefix_cap)
            if loads[0].flags & PF_X and first(segments, PT_DYNAMIC) is not None:
                rodata = next((s for s in loads if not s.flags & (PF_X | PF_W)), None)
                if rodata is not None:
                    self._wanted(rodata.offset, rodata.end, self._prefix_cap)
        interp = first(segments, PT_INTERP)
        dynamic = first(segments, PT_DYNAMIC)
        if needs_nss_scan(header, interp, dynamic):
            self._nss_partial = self._block_start > 0
            self._nss = MarkerScan()
            self._nss.feed(self._block)

    def _plan_tables(self, header: Header, segments: tuple[Segment, ...]) -> None:
        """Once the dynamic section is kept, also keep tables that have not streamed by yet."""
        dynamic = first(segments, PT_DYNAMIC)
        if dynamic is None:
            self._dynamic_checked = True
            return
        if self._pos < dynamic.end:
            return  # bytes come in order: not all of the dynamic section is here yet
        data = self._store.read(dynamic.offset, dynamic.filesz)
        if data is None:
            self._dynamic_checked = True
            return
        self._dynamic_checked = True
        tags = dict(reversed(parse_dynamic(data, header)))
        for tag, length in ((DT_STRTAB, tags.get(DT_STRSZ, 0)), (DT_VERNEED, VERNEED_WINDOW)):
            offset = file_offset(segments, tags[tag]) if tag in tags else None
            if offset is not None and offset + length > self._block_start:
                self._wanted(offset, offset + length)

    def close(self) -> object:
        """Build the record from the kept ranges."""
        if self._early is not None:
            self._start()
        if self._header is None:
            return unreadable_record(self._error)
        if self._error is None and self._pos < self._size and not self.complete:
            self._error = f"file ended after {self._pos} of {self._size} bytes"
        if self._error is None and self._segments is None:
            self._error = "program header table was not read"
        if self._error is not None or self._segments is None:
            return base_record(self._header, self._error)
        nss = self._nss.found if self._nss is not None else None
        if self._nss_partial and not nss:
            nss = None
        try:
            return build_record(self._header, self._segments, self._store, nss)
        except (CorruptElf, struct.error) as exc:
            return base_record(self._header, str(exc))


class ElfAnalyzer:
    """Per-file analyzer keeping an :class:`ElfRecord` as its ``ELF`` record."""

    name = ELF.name

    def __init__(self, prefix_cap: int = DEFAULT_PREFIX_CAP) -> None:
        self._prefix_cap = prefix_cap

    def wants(self, path: str, size: int) -> bool:
        """Every file: whether it is ELF shows only in its first bytes."""
        del path, size
        return True

    def open(self, path: str, size: int, head: bytes, read_at: ReadAt | None = None) -> Sink | None:
        """A sink for files starting with the ELF magic (complete at once given ``read_at``)."""
        del path
        if not head.startswith(ELF_MAGIC):
            return None
        if read_at is not None:
            return SeekSink(size, head, read_at, self._prefix_cap)
        return ElfSink(size, head, self._prefix_cap)
