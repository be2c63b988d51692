"""ELF analyzer throughput on real binaries, next to ``scanelf -R`` (pax-utils) on the same tree.

Usage: ``python bench/elf_bench.py [DIR ...]`` (default: ``/usr/bin`` and the multiarch
library directory). Reports, for the ELF files found:

- ``analyzer``: files/s of the ELF analyzer alone (CPU time of ``open``/``feed``/``close``,
  file reading excluded), single core;
- ``pass``: files/s of a whole tree pass (reading + ELF analyzer) and the analyzer's share
  of that pass time;
- ``scanelf``: files/s of ``scanelf -R`` printing the same fields (wall time);
- ``linkage``: the linkage collector's time over the tree built by the pass.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import time
from collections.abc import Iterator

from analyzer.analyzers.elf import ElfAnalyzer
from analyzer.analyzers.text import TextCapture
from analyzer.collectors.base import CollectContext, CollectOptions
from analyzer.collectors.linkage.collect import LinkageCollector
from analyzer.model import FactStore, LayerInfo, Notification, TargetInfo, TargetKind
from analyzer.stream.entry import BLOCK_SIZE, Blocks, Entry, Kind, LayerStream
from analyzer.stream.sink import FileAnalyzer
from analyzer.vfs.build import TreeBuilder
from analyzer.vfs.tree import Tree

DEFAULT_DIRS = (
    "/usr/bin",
    "/usr/sbin",
    "/usr/lib/x86_64-linux-gnu",
    "/usr/lib64",
    "/usr/lib/man-db",
)
#: Host objects added to the tree so loader emulation sees the real layout.
CONTEXT = ("/bin", "/sbin", "/lib", "/lib64", "/etc/ld.so.conf", "/etc/ld.so.conf.d")
SCANELF_FORMAT = "%F %i %n %r %e %t %x"


def _blocks(path: str) -> Blocks:
    def read() -> Iterator[bytes]:
        with open(path, "rb") as handle:
            while block := handle.read(BLOCK_SIZE):
                yield block

    return read


def _entries(dirs: tuple[str, ...]) -> Iterator[tuple[Entry, Blocks]]:
    for top in CONTEXT:
        if os.path.islink(top):
            yield Entry(top, Kind.SYMLINK, link=os.readlink(top)), _blocks(top)
        elif os.path.isfile(top):
            yield Entry(top, Kind.FILE, size=os.path.getsize(top)), _blocks(top)
        elif os.path.isdir(top):
            for name in sorted(os.listdir(top)):
                path = os.path.join(top, name)
                if os.path.isfile(path):
                    yield Entry(path, Kind.FILE, size=os.path.getsize(path)), _blocks(path)
    for top in dirs:
        for base, subdirs, files in os.walk(top):
            subdirs.sort()
            if os.path.islink(base):
                continue
            for name in sorted(files) + subdirs:
                path = os.path.join(base, name)
                info = os.lstat(path)
                if stat.S_ISREG(info.st_mode):
                    entry = Entry(path, Kind.FILE, info.st_mode & 0o7777, size=info.st_size)
                    yield entry, _blocks(path)
                elif stat.S_ISLNK(info.st_mode):
                    yield Entry(path, Kind.SYMLINK, link=os.readlink(path)), _blocks(path)
                elif stat.S_ISDIR(info.st_mode):
                    yield Entry(path, Kind.DIR, info.st_mode & 0o7777), _blocks(path)


def analyzer_only(dirs: tuple[str, ...]) -> tuple[int, float]:
    """ELF files seen and the CPU seconds the analyzer spent on them."""
    analyzer = ElfAnalyzer()
    count, spent = 0, 0.0
    for entry, blocks in _entries(dirs):
        if entry.kind is not Kind.FILE:
            continue
        stream = blocks()
        head = next(stream, b"")
        started = time.process_time()
        sink = analyzer.open(entry.name, entry.size, head)
        spent += time.process_time() - started
        if sink is None:
            continue
        count += 1
        for block in stream:
            started = time.process_time()
            sink.feed(block)
            spent += time.process_time() - started
        started = time.process_time()
        sink.close()
        spent += time.process_time() - started
    return count, spent


def whole_pass(dirs: tuple[str, ...], with_elf: bool) -> tuple[float, Tree]:
    """Wall seconds of one tree pass over ``dirs``, and the tree it built."""
    analyzers: list[FileAnalyzer] = [ElfAnalyzer()] if with_elf else []
    builder = TreeBuilder([*analyzers, TextCapture(LinkageCollector.capture)])
    started = time.perf_counter()
    tree = builder.build([LayerStream(LayerInfo("bench"), _entries(dirs), random_access=True)])
    return time.perf_counter() - started, tree


def scanelf(dirs: tuple[str, ...]) -> tuple[int, float] | None:
    """ELF files scanelf reports and its wall seconds; ``None`` when it is not installed."""
    tool = shutil.which("scanelf")
    if tool is None:
        return None
    command = [tool, "-R", "-q", "-F", SCANELF_FORMAT, *dirs]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, check=False)
    elapsed = time.perf_counter() - started
    return len(done.stdout.splitlines()), elapsed


def main(argv: list[str]) -> int:
    """Run every measurement and print one line each."""
    dirs = tuple(argv) or DEFAULT_DIRS
    count, spent = analyzer_only(dirs)
    print(f"analyzer: {count} ELF files in {spent:.3f} s CPU = {count / spent:.0f} files/s")
    plain, _ = whole_pass(dirs, with_elf=False)
    timed, tree = whole_pass(dirs, with_elf=True)
    share = max(timed - plain, 0.0) / timed
    print(
        f"pass:     {count} ELF files in {timed:.3f} s = {count / timed:.0f} files/s; "
        f"reading + ELF analysis is {share:.0%} of the pass"
    )
    target = TargetInfo("bench", "dir", TargetKind.ROOTFS)
    ctx = CollectContext(tree, target, options=CollectOptions(all_binaries=True))
    notes: list[Notification] = []
    started = time.perf_counter()
    LinkageCollector().collect(ctx, FactStore(), notes)
    linkage = time.perf_counter() - started
    print(
        f"linkage:  all {count} ELF files resolved in {linkage:.3f} s = "
        f"{count / linkage:.0f} files/s"
    )
    result = scanelf(dirs)
    if result is None:
        print("scanelf:  not installed (Debian package pax-utils)")
    else:
        found, elapsed = result
        print(f"scanelf:  {found} ELF files in {elapsed:.3f} s = {found / elapsed:.0f} files/s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
