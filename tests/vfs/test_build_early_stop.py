"""The pass reads no more of a file than its sinks need.

Streamed sources: blocks stop being pulled (and the stream is closed) once every sink is
complete. Seekable sources: analyzers get a short head plus ``read_at``; a sink that is
complete from ``open`` costs no stream at all, and sinks that need the rest are fed the bytes
after the head, exactly once.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from analyzer.analyzers.elf import ElfAnalyzer
from analyzer.analyzers.text import TextCapture
from analyzer.model import LayerInfo
from analyzer.stream.capture import CapturePattern
from analyzer.stream.elfrecord import ELF
from analyzer.stream.entry import BLOCK_SIZE, Blocks, Entry, Kind, LayerStream, ReadAt
from analyzer.stream.records import TEXT, RecordKey
from analyzer.stream.sink import HEAD_BYTES, FileAnalyzer, Sink
from analyzer.vfs.build import TreeBuilder
from analyzer.vfs.tree import Tree

HOST_TRUE = Path("/usr/bin/true")
#: What the probe analyzer keeps: the bytes its sink saw.
PROBE: RecordKey[bytes] = RecordKey("probe", bytes)


@dataclass
class Counted:
    """A streamed file cut in blocks, counting what was pulled and whether it was closed."""

    blocks: list[bytes]
    pulled: int = 0
    closed: bool = False

    def __call__(self) -> Iterator[bytes]:
        try:
            for block in self.blocks:
                self.pulled += 1
                yield block
        finally:
            self.closed = True


@dataclass
class Seekable(Counted):
    """The same file on a seekable source, also counting ``read_at`` calls."""

    reads: list[tuple[int, int]] = field(default_factory=list)

    def read_at(self, offset: int, size: int) -> bytes:
        self.reads.append((offset, size))
        return b"".join(self.blocks)[offset : offset + size]


class StopAfter:
    """A sink complete after ``count`` fed blocks; remembers what it saw."""

    def __init__(self, head: bytes, count: int) -> None:
        self.seen = [head]
        self._left = count

    @property
    def complete(self) -> bool:
        return self._left <= 0

    def feed(self, block: bytes) -> None:
        self.seen.append(block)
        self._left -= 1

    def close(self) -> object:
        return b"".join(self.seen)


@dataclass
class Probe:
    """An analyzer whose sinks are complete after ``count`` blocks."""

    count: int
    name: str = "probe"
    heads: list[tuple[bytes, bool]] = field(default_factory=list)

    def wants(self, path: str, size: int) -> bool:
        return True

    def open(self, path: str, size: int, head: bytes, read_at: ReadAt | None = None) -> Sink:
        self.heads.append((head, read_at is not None))
        return StopAfter(head, self.count)


def build(data: Blocks, size: int, *analyzers: FileAnalyzer, random_access: bool = False) -> Tree:
    entry = Entry("f", Kind.FILE, size=size)
    layer = LayerStream(LayerInfo("t"), iter([(entry, data)]), random_access=random_access)
    return TreeBuilder(analyzers).build([layer])


def chunks(data: bytes, size: int = BLOCK_SIZE) -> list[bytes]:
    return [data[at : at + size] for at in range(0, len(data), size)]


CONTENT = bytes(range(256)) * 1024  # 256 KiB: four blocks


def test_sink_complete_after_the_head_stops_the_reader() -> None:
    data = Counted(chunks(CONTENT))
    tree = build(data, len(CONTENT), Probe(0))
    assert data.pulled == 1
    assert data.closed
    assert tree.lstat("/f").records.get(PROBE) == CONTENT[:BLOCK_SIZE]


def test_reading_stops_at_the_block_that_completes_the_sink() -> None:
    data = Counted(chunks(CONTENT))
    tree = build(data, len(CONTENT), Probe(2))
    assert data.pulled == 3
    assert data.closed
    assert tree.lstat("/f").records.get(PROBE) == CONTENT[: 3 * BLOCK_SIZE]


def test_an_incomplete_sink_keeps_the_whole_file_flowing() -> None:
    data = Counted(chunks(CONTENT))
    capture = TextCapture([CapturePattern("/f", cap=1 << 20)])
    tree = build(data, len(CONTENT), Probe(0), capture)
    assert data.pulled == 4
    assert tree.lstat("/f").records.get(TEXT) == CONTENT
    assert tree.lstat("/f").records.get(PROBE) == CONTENT[:BLOCK_SIZE]


def test_a_file_over_the_capture_cap_is_not_read_past_its_head() -> None:
    data = Counted(chunks(CONTENT))
    build(data, len(CONTENT), TextCapture([CapturePattern("/f", cap=100)]))
    assert data.pulled == 1


def test_seekable_source_gives_a_short_head_and_the_rest_after_it() -> None:
    data = Seekable(chunks(CONTENT))
    probe = Probe(10)
    tree = build(data, len(CONTENT), probe, random_access=True)
    assert probe.heads == [(CONTENT[:HEAD_BYTES], True)]
    assert data.reads == [(0, HEAD_BYTES)]
    assert tree.lstat("/f").records.get(PROBE) == CONTENT
    assert data.closed


def test_seekable_source_complete_at_open_never_streams() -> None:
    data = Seekable(chunks(CONTENT))
    build(data, len(CONTENT), Probe(0), random_access=True)
    assert data.pulled == 0
    assert data.reads == [(0, HEAD_BYTES)]


def test_small_file_on_a_seekable_source_is_read_once() -> None:
    data = Seekable([b"#!/bin/sh\n"])
    capture = TextCapture([CapturePattern("/f")])
    tree = build(data, 10, capture, random_access=True)
    assert tree.lstat("/f").records.get(TEXT) == b"#!/bin/sh\n"
    assert data.reads == [(0, 10)]
    assert data.pulled == 0


@pytest.mark.skipif(not HOST_TRUE.is_file(), reason="needs the host's /usr/bin/true")
def test_elf_on_a_seekable_source_reads_only_its_structures() -> None:
    binary = HOST_TRUE.read_bytes()
    streamed = build(Counted(chunks(binary, 4096)), len(binary), ElfAnalyzer())
    data = Seekable(chunks(binary, 4096))
    seeked = build(data, len(binary), ElfAnalyzer(), random_access=True)
    record = seeked.lstat("/f").records.get(ELF)
    assert record == streamed.lstat("/f").records.get(ELF)
    assert record is not None and record.kind == "executable"
    assert record.needed
    assert data.pulled == 0
    assert sum(size for _, size in data.reads) < len(binary) // 2


@pytest.mark.skipif(not HOST_TRUE.is_file(), reason="needs the host's /usr/bin/true")
def test_streamed_elf_stops_once_its_ranges_are_in() -> None:
    binary = HOST_TRUE.read_bytes() + bytes(1 << 20)  # a long tail nothing needs
    data = Counted(chunks(binary, 4096))
    tree = build(data, len(binary), ElfAnalyzer())
    assert data.closed
    assert data.pulled < len(chunks(binary, 4096)) // 4
    record = tree.lstat("/f").records.get(ELF)
    assert record is not None and record.corrupt is None


def test_relocatable_object_is_done_after_its_header(tmp_path: Path) -> None:
    """Kernel modules are ET_REL objects: nothing after the ELF header is read."""
    source = Path(__file__).resolve().parents[2] / "fixtures" / "elf" / "lib.c"
    subprocess.run(["gcc", "-c", "-DNAME=v", "-o", str(tmp_path / "m.ko"), str(source)], check=True)
    module = (tmp_path / "m.ko").read_bytes() + bytes(256 << 10)
    data = Counted(chunks(module, 4096))
    tree = build(data, len(module), ElfAnalyzer())
    assert data.pulled == 1
    record = tree.lstat("/f").records.get(ELF)
    assert record is not None and (record.kind, record.corrupt) == ("relocatable", None)
    seekable = Seekable(chunks(module, 4096))
    assert (
        build(seekable, len(module), ElfAnalyzer(), random_access=True).lstat("/f").records.get(ELF)
        == record
    )
    assert seekable.reads == [(0, HEAD_BYTES)]
    assert seekable.pulled == 0
