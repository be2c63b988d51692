"""The ELF analyzer on a seekable source: read exactly the ranges the record needs.

With ``read_at`` the analyzer does not wait for bytes to stream by: it decodes the header from
the head, reads the program header table, then lets the record builder ask for what it needs
(interpreter, dynamic section, string table, version needs, notes) through a
:class:`SeekSource`, which reads each missing range once, in windows of at least
:data:`READ_WINDOW` bytes so neighbouring structures come with one read. The resulting sink is
complete at once, so the pass reads nothing more, except for static executables: whether
glibc's NSS code is linked in shows only as a path somewhere in the file, so their sink scans
the stream for it (:func:`~analyzer.analyzers.elfinfo.needs_nss_scan`).

The record equals the streamed one whenever streaming kept every range it needed; when it did
not (a table beyond a capture cap, or one that streamed by before it was known), this one
knows more. Reads are capped like the streamed capture (the prefix cap per range).
"""

from __future__ import annotations

import dataclasses
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
    HEADER_BYTES,
    CorruptElf,
    Segment,
    SparseBytes,
    parse_header,
    parse_segments,
)
from analyzer.stream.elfrecord import PT_DYNAMIC, PT_INTERP, ElfRecord
from analyzer.stream.entry import ReadAt

#: Least bytes read on a miss (a page: the header, program headers and notes usually share it).
READ_WINDOW = 4096


class SeekSource:
    """Random access to one file through ``read_at``, remembering what it read."""

    def __init__(self, read_at: ReadAt, size: int, head: bytes, cap: int) -> None:
        self._read_at = read_at
        self._size = size
        self._cap = cap
        self._kept = SparseBytes()
        self._kept.add(0, head[:size])
        self.reads = 0

    def read(self, offset: int, size: int) -> bytes | None:
        """``size`` bytes at ``offset``; ``None`` past the end of the file or over the cap."""
        if offset < 0 or size < 0 or offset + size > self._size or size > self._cap:
            return None
        found = self._kept.read(offset, size)
        if found is not None:
            return found
        length = min(max(size, READ_WINDOW), self._size - offset)
        data = self._read_at(offset, length)
        self.reads += 1
        if len(data) < size:
            return None
        self._kept.add(offset, data)
        return data[:size]


class SeekSink:
    """The record of one ELF file read through ``read_at``; see the module docstring."""

    def __init__(self, size: int, head: bytes, read_at: ReadAt, cap: int) -> None:
        self._source = SeekSource(read_at, size, head, cap)
        self._record = self._read(size)
        self._scan: MarkerScan | None = None
        if self._scan_needed:
            self._scan = MarkerScan()
            self._scan.feed(head)

    def _read(self, size: int) -> ElfRecord:
        self._scan_needed = False
        try:
            header = parse_header(self._source.read(0, min(HEADER_BYTES, size)) or b"", size)
        except CorruptElf as exc:
            return unreadable_record(str(exc))
        try:
            segments: tuple[Segment, ...] = ()
            if header.phnum:
                start, end = header.phdr_range
                table = self._source.read(start, end - start)
                if table is None:
                    return base_record(header, "program header table was not read")
                segments = parse_segments(table, header, size)
            self._scan_needed = needs_nss_scan(
                header, first(segments, PT_INTERP), first(segments, PT_DYNAMIC)
            )
            return build_record(header, segments, self._source, None)
        except (CorruptElf, struct.error) as exc:
            self._scan_needed = False
            return base_record(header, str(exc))

    @property
    def complete(self) -> bool:
        """True unless the ``nsswitch.conf`` scan of a static executable is still open."""
        return self._scan is None or self._scan.found

    def feed(self, block: bytes) -> None:
        """Look for the NSS marker in the next block."""
        if self._scan is not None:
            self._scan.feed(block)

    def close(self) -> object:
        """The record (with the scan's answer for a static executable)."""
        if self._scan is None:
            return self._record
        return dataclasses.replace(self._record, nss_linked=self._scan.found)
