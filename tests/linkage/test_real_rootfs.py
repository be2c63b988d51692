"""The issue's acceptance scenario on this machine's own Debian ``/usr`` (read, never changed).

A tree of the host's PATH directories, library directories, root links and ld.so.conf: the
elf-linkage profile reports nothing at warning or above; dropping in a dynamic musl binary,
an arm64 binary and a static-pie binary reports exactly the first two; removing a shared
library reports every binary that needs it directly, with that soname.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

from elfcorpus import Corpus

from analyzer.analyzers.elf import ElfAnalyzer
from analyzer.analyzers.text import TextCapture
from analyzer.collectors.architecture import ArchitectureCollector
from analyzer.collectors.base import CollectContext
from analyzer.collectors.linkage.collect import LinkageCollector
from analyzer.facts import LINKAGE, TARGET
from analyzer.model import (
    Evaluation,
    Fact,
    FactStore,
    LayerInfo,
    Level,
    Notification,
    Outcome,
    TargetInfo,
    TargetKind,
)
from analyzer.policy.engine import evaluate, select
from analyzer.policy.loader import load_pack
from analyzer.stream.entry import BLOCK_SIZE, Blocks, Entry, Kind, LayerStream
from analyzer.vfs.build import TreeBuilder

RULES = Path(__file__).resolve().parents[2] / "rules"
DIRS = ("/usr/bin", "/usr/sbin", "/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib/man-db")
LINKS = ("/bin", "/sbin", "/lib", "/lib64")
CONF = ("/etc/ld.so.conf", "/etc/ld.so.conf.d")
REMOVED = "/usr/lib/x86_64-linux-gnu/libselinux.so.1"


def _blocks(path: str) -> Blocks:
    def read() -> Iterator[bytes]:
        with open(path, "rb") as handle:
            while block := handle.read(BLOCK_SIZE):
                yield block

    return read


def _host(skip: str | None, extra: dict[str, Path]) -> Iterator[tuple[Entry, Blocks]]:
    for link in LINKS:
        if os.path.islink(link):
            yield Entry(link, Kind.SYMLINK, link=os.readlink(link)), _blocks(link)
    tops = [*CONF, *DIRS]
    for top in tops:
        for base, subdirs, files in (
            os.walk(top) if os.path.isdir(top) else [("/etc", [], ["ld.so.conf"])]
        ):
            subdirs.sort()
            for name in sorted(files + subdirs):
                path = os.path.join(base, name)
                if path == skip:
                    continue
                info = os.lstat(path)
                if stat.S_ISLNK(info.st_mode):
                    yield Entry(path, Kind.SYMLINK, link=os.readlink(path)), _blocks(path)
                elif stat.S_ISREG(info.st_mode):
                    yield (
                        Entry(path, Kind.FILE, info.st_mode & 0o7777, size=info.st_size),
                        _blocks(path),
                    )
                elif stat.S_ISDIR(info.st_mode):
                    yield Entry(path, Kind.DIR, info.st_mode & 0o7777), _blocks(path)
    for name, source in extra.items():
        yield Entry(name, Kind.FILE, 0o755, size=source.stat().st_size), _blocks(str(source))


def _scan(
    skip: str | None = None, extra: dict[str, Path] | None = None
) -> tuple[list[Evaluation], FactStore]:
    builder = TreeBuilder([TextCapture(LinkageCollector.capture), ElfAnalyzer()])
    tree = builder.build(
        [LayerStream(LayerInfo("host"), _host(skip, extra or {}), random_access=True)]
    )
    notes: list[Notification] = []
    ctx = CollectContext(tree, TargetInfo("host", "dir", TargetKind.ROOTFS))
    facts = FactStore.one(TARGET, Fact.present(TargetKind.ROOTFS))
    facts.update(ArchitectureCollector().collect(ctx, facts, notes))
    facts.update(LinkageCollector().collect(ctx, facts, notes))
    rules = select(load_pack(RULES / "elf-linkage.yaml"), ["elf-linkage"], ["worker"])
    return evaluate(rules, facts, TargetKind.ROOTFS, notes), facts


def _serious(evals: list[Evaluation]) -> list[tuple[str, str, str]]:
    return sorted(
        (e.rule_id, e.location.path, e.message)
        for e in evals
        if e.outcome is Outcome.FAIL and e.level.rank >= Level.WARNING.rank
    )


def test_host_rootfs_is_quiet() -> None:
    evals, facts = _scan()
    assert len(facts.get(LINKAGE).get()) > 100, "the host tree must hold real binaries"
    assert _serious(evals) == []


def test_dropped_in_musl_and_arm64_reported_static_pie_not(corpus: Corpus) -> None:
    extra = {
        "/usr/bin/zz-musl": corpus / "hello-musl",
        "/usr/bin/zz-arm64": corpus / "hello-arm64",
        "/usr/bin/zz-static-pie": corpus / "hello-static-pie",
    }
    evals, _ = _scan(extra=extra)
    assert sorted({path for _, path, _ in _serious(evals)}) == [
        "/usr/bin/zz-arm64",
        "/usr/bin/zz-musl",
    ]


def test_removed_library_reports_its_direct_users() -> None:
    evals, facts = _scan(skip=REMOVED)
    soname = REMOVED.rsplit("/", 1)[1]
    direct = sorted(
        path
        for path, entry in facts.get(LINKAGE).get().items()
        if entry.record.needed and soname in entry.record.needed
    )
    assert direct, "some host binary must need libselinux.so.1"
    messages = {
        e.location.path: e.message
        for e in evals
        if e.rule_id == "elf.linkage.needed" and e.outcome is Outcome.FAIL
    }
    for path in direct:
        assert f"{soname} (needed by {path}" in messages[path]
