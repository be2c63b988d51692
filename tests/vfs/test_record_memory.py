"""What analyzers keep on nodes is part of the tree's memory: measured, metered and capped.

An ELF record is measured with ``tracemalloc`` (the tree built with the ELF analyzer against
the same tree without it) and must cost no more than the meter counts; the record cap stops
the pass with a ``limit`` notification; and a hostile archive of ELF files whose dynamic
sections name megabytes of distinct libraries (each record would hold them all) is scanned
in a child process within the documented memory budget.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import struct
import tracemalloc
from collections.abc import Sequence
from pathlib import Path

from builders import File, make_tree, to_layer, to_tar
from memrun import BUDGET_MIB, measure

from analyzer.analyzers.elf import ElfAnalyzer
from analyzer.stream.elfrecord import ELF, ElfRecord
from analyzer.stream.entry import LayerStream
from analyzer.stream.records import Records
from analyzer.stream.sink import FileAnalyzer
from analyzer.vfs.build import MAX_RECORD_BYTES, Limits, TreeBuilder

#: Copies of a real dynamically linked executable in the measured tree.
COPIES = 400
#: What an ELF record of an ordinary executable may cost (docs/safety.md gives the figure).
ELF_RECORD_BYTES = 1024


def tiny_elf(needed: Sequence[str]) -> bytes:
    """A 64-bit x86-64 shared object whose dynamic section names ``needed`` (nothing else)."""
    names = [name.encode() + b"\0" for name in needed]
    offsets = list(itertools.accumulate((len(n) for n in names[:-1]), initial=1))
    strtab = b"\0" + b"".join(names)
    dyn_at = 64 + 2 * 56
    tags = [(1, offset) for offset in offsets]
    str_at = dyn_at + 16 * (len(tags) + 3)
    tags += [(5, str_at), (10, len(strtab)), (0, 0)]
    dynamic = b"".join(struct.pack("<qQ", tag, value) for tag, value in tags)
    total = str_at + len(strtab)
    header = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
    header += struct.pack("<HHIQQQIHHHHHH", 3, 62, 1, 0, 64, 0, 0, 64, 56, 2, 64, 0, 0)
    load = struct.pack("<IIQQQQQQ", 1, 4, 0, 0, 0, total, total, 0x1000)
    dyn = struct.pack("<IIQQQQQQ", 2, 6, dyn_at, dyn_at, dyn_at, len(dynamic), len(dynamic), 8)
    return header + load + dyn + dynamic + strtab


def _layer(data: bytes, count: int) -> LayerStream:
    layer = to_layer(make_tree({f"bin/d{i // 100}/f{i}": File(data, 0o755) for i in range(count)}))
    # the input itself is not the tree's memory
    return dataclasses.replace(layer, entries=iter(list(layer.entries)))


def _traced(data: bytes, analyzers: list[FileAnalyzer]) -> tuple[int, TreeBuilder]:
    layer = _layer(data, COPIES)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        builder = TreeBuilder(analyzers)
        tree = builder.build([layer])
        used = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(tree.listdir("/bin/d0")) == 100
    return used, builder


def test_an_elf_record_costs_no_more_than_the_meter_counts() -> None:
    data = Path("/usr/bin/true").read_bytes()
    without, _ = _traced(data, [])
    with_elf, builder = _traced(data, [ElfAnalyzer()])
    per_record = (with_elf - without) / COPIES
    metered = builder.record_bytes / COPIES
    assert 0 < per_record <= metered <= ELF_RECORD_BYTES, (per_record, metered)


def _elf(records: Records) -> ElfRecord:
    record = records.get(ELF)
    assert record is not None
    return record


def test_distinct_names_are_metered_in_full() -> None:
    names = [[f"lib{n}-{i}-{'x' * 200}.so" for i in range(20)] for n in range(50)]
    spec = {f"lib/f{n}": File(tiny_elf(names[n]), 0o755) for n in range(50)}
    builder = TreeBuilder([ElfAnalyzer()])
    tree = builder.build([to_layer(make_tree(spec))])
    assert _elf(tree.lstat("/lib/f7").records).needed == tuple(names[7])
    assert builder.record_bytes >= 50 * 20 * 250


def test_the_record_cap_stops_the_pass() -> None:
    data = Path("/usr/bin/true").read_bytes()
    builder = TreeBuilder([ElfAnalyzer()], Limits(max_record_bytes=200_000))
    tree = builder.build([_layer(data, COPIES)])
    assert builder.report.complete is False
    [note] = builder.report.notifications
    assert (note.code, note.message) == (
        "limit",
        "test: analyzer records (ELF, captured text) over 200000 bytes; stopped reading",
    )
    kept = sum(1 for _path, node in tree.walk("/") if node.records.get(ELF) is not None)
    assert 0 < kept < COPIES
    assert builder.record_bytes <= 200_000 + ELF_RECORD_BYTES


def test_elf_files_naming_megabytes_of_libraries_stay_within_the_budget(tmp_path: Path) -> None:
    # each file names 1 MiB of distinct libraries: 40 of them hold more than the record cap
    files = {
        f"usr/lib/f{n:03d}.so": File(
            tiny_elf([f"lib{n}-{i}-" + "x" * 1000 + ".so" for i in range(1000)]), 0o755
        )
        for n in range(40)
    }
    archive = to_tar(make_tree(files), tmp_path / "elves.tar.gz", "gzip")
    report = tmp_path / "report.json"
    scan = measure("scan", str(archive), "--format", "json", "-o", str(report), "--fail-on", "none")
    assert (scan.code, scan.stderr) == (0, "")
    found = json.loads(report.read_text())
    limits = [n["message"] for n in found["notifications"] if n["code"] == "limit"]
    assert limits == [
        f"rootfs: analyzer records (ELF, captured text) over {MAX_RECORD_BYTES} bytes; "
        "stopped reading"
    ]
    assert scan.peak_mib < BUDGET_MIB, f"peak RSS {scan.peak_mib:.0f} MiB"
