"""The ELF analyzer with ``read_at`` gives the record streaming gives, reading far less.

Compared on the built corpus (glibc, musl, static, static-pie, Go-like layouts, arm64, NSS),
on cut-short copies of it, and on a sample of this machine's ``/usr/bin`` and
``/usr/lib/x86_64-linux-gnu``: the record from the whole stream, from the stream stopped as
soon as the sink is complete, and from ``read_at`` must be equal.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from elfcorpus import Corpus

from analyzer.analyzers.elf import ElfAnalyzer
from analyzer.analyzers.elfparse import ELF_MAGIC
from analyzer.stream.elfrecord import ElfRecord
from analyzer.stream.entry import BLOCK_SIZE
from analyzer.stream.sink import HEAD_BYTES

HOST_DIRS = (Path("/usr/bin"), Path("/usr/lib/x86_64-linux-gnu"))
#: Host files compared per directory, and the largest one read.
HOST_SAMPLE, HOST_MAX_BYTES = 250, 4 << 20


def blocks(data: bytes, start: int = 0) -> Iterator[bytes]:
    return (data[at : at + BLOCK_SIZE] for at in range(start, len(data), BLOCK_SIZE))


def streamed(data: bytes, stop_early: bool) -> tuple[object, int]:
    """The record from the stream, and how many bytes were fed."""
    sink = ElfAnalyzer().open("/x", len(data), data[:BLOCK_SIZE])
    assert sink is not None
    fed = min(len(data), BLOCK_SIZE)
    for block in blocks(data, BLOCK_SIZE):
        if stop_early and sink.complete:
            break
        sink.feed(block)
        fed += len(block)
    return sink.close(), fed


def seeked(data: bytes) -> tuple[object, int]:
    """The record through ``read_at``, and how many bytes were read or fed."""
    reads: list[int] = []

    def read_at(offset: int, size: int) -> bytes:
        reads.append(size)
        return data[offset : offset + size]

    head = data[:HEAD_BYTES]
    sink = ElfAnalyzer().open("/x", len(data), head, read_at)
    assert sink is not None
    fed = len(head)
    if not sink.complete:
        for block in blocks(data, len(head)):
            sink.feed(block)
            fed += len(block)
            if sink.complete:
                break
    return sink.close(), fed + sum(reads)


def same_everywhere(data: bytes) -> tuple[ElfRecord, int]:
    """Assert the three records are equal; the record and the bytes ``read_at`` mode used."""
    whole, _ = streamed(data, stop_early=False)
    early, _ = streamed(data, stop_early=True)
    direct, used = seeked(data)
    assert early == whole
    assert direct == whole
    assert isinstance(direct, ElfRecord)
    return direct, used


def corpus_files(corpus: Corpus) -> list[Path]:
    return sorted(
        p for p in corpus.every().rglob("*") if p.is_file() and p.read_bytes()[:4] == ELF_MAGIC
    )


def test_corpus_records_equal(corpus: Corpus) -> None:
    files = corpus_files(corpus)
    assert len(files) >= 10
    for path in files:
        data = path.read_bytes()
        record, used = same_everywhere(data)
        if record.interp is not None:
            assert used < len(data), f"{path.name}: read {used} of {len(data)} bytes"


@pytest.mark.parametrize("fraction", [0.02, 0.3, 0.7, 0.99])
def test_cut_short_corpus_records_equal(corpus: Corpus, fraction: float) -> None:
    for path in corpus_files(corpus):
        data = path.read_bytes()
        same_everywhere(data[: max(int(len(data) * fraction), 20)])


def host_sample(directory: Path) -> list[Path]:
    found = []
    for path in sorted(directory.iterdir()):
        try:
            if path.is_symlink() or not path.is_file() or path.stat().st_size > HOST_MAX_BYTES:
                continue
            with open(path, "rb") as file:
                if file.read(4) == ELF_MAGIC:
                    found.append(path)
        except OSError:
            continue
    step = max(len(found) // HOST_SAMPLE, 1)
    return found[::step]


@pytest.mark.parametrize("directory", HOST_DIRS, ids=str)
def test_host_records_equal(directory: Path) -> None:
    files = host_sample(directory)
    if len(files) < 20:
        pytest.skip(f"fewer than 20 ELF files in {directory}")
    total = used = 0
    for path in files:
        data = path.read_bytes()
        used += same_everywhere(data)[1]
        total += len(data)
    assert used < total // 4, f"read {used} of {total} bytes"
