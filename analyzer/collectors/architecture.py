"""The image's architecture, decided once: the ``image_arch`` fact every other reader uses.

In order of trust: the container image configuration's ``architecture``; the ELF machine of
a well-known program (:data:`WELL_KNOWN`, links followed); the most common machine among the
ELF executables of the PATH directories; the most common among all ELF executables. Names
are in the image-config (GOARCH) vocabulary of :data:`GOARCH`, the one table that maps them
to ELF machines.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from analyzer.collectors.base import CollectContext
from analyzer.collectors.executables import PATH_DIRS
from analyzer.facts import IMAGE_ARCH, IMAGE_CONFIG
from analyzer.facts.os import ImageArch
from analyzer.model import Fact, FactId, Facts, FactStore, Notification
from analyzer.stream.capture import CapturePattern
from analyzer.stream.elfrecord import ELF, ElfKind, ElfRecord, machine_name
from analyzer.vfs.tree import ResolveError, Tree

#: Programs whose ELF machine speaks for the whole image, in order of trust.
WELL_KNOWN = ("/sbin/init", "/bin/sh", "/usr/bin/env", "/bin/busybox", "/usr/bin/ls", "/bin/ls")
ELF_CLASS_32, ELF_CLASS_64 = 1, 2
#: GOARCH names and the ELF ``(e_machine, class, little-endian)`` each one means.
GOARCH: tuple[tuple[str, int, int, bool], ...] = (
    ("386", 3, ELF_CLASS_32, True),
    ("amd64", 62, ELF_CLASS_64, True),
    ("arm", 40, ELF_CLASS_32, True),
    ("arm64", 183, ELF_CLASS_64, True),
    ("riscv32", 243, ELF_CLASS_32, True),
    ("riscv64", 243, ELF_CLASS_64, True),
    ("ppc", 20, ELF_CLASS_32, False),
    ("ppc64", 21, ELF_CLASS_64, False),
    ("ppc64le", 21, ELF_CLASS_64, True),
    ("s390x", 22, ELF_CLASS_64, False),
    ("mips", 8, ELF_CLASS_32, False),
    ("mipsle", 8, ELF_CLASS_32, True),
    ("mips64", 8, ELF_CLASS_64, False),
    ("mips64le", 8, ELF_CLASS_64, True),
    ("loong64", 258, ELF_CLASS_64, True),
)
NO_ARCH = "no image config and no ELF executable with a known machine"


def arch_name(machine: int, elf_class: int, little_endian: bool) -> str:
    """``amd64`` for EM_X86_64; ``EM_<n>`` for machines not in :data:`GOARCH`."""
    same = [row for row in GOARCH if row[1] == machine]
    for rows in (
        [r for r in same if r[2] == elf_class and r[3] == little_endian],
        [r for r in same if r[2] == elf_class],
        same,
    ):
        if rows:
            return rows[0][0]
    return f"EM_{machine}"


def goarch_machine(name: str) -> int | None:
    """The ELF machine of a GOARCH name (``None`` for names not in :data:`GOARCH`)."""
    return next((row[1] for row in GOARCH if row[0] == name), None)


def _arch(record: ElfRecord, source: str, votes: int = 0) -> ImageArch:
    name = arch_name(record.machine, record.elf_class, record.little_endian)
    return ImageArch(record.machine, machine_name(record.machine), source, votes, name)


def _record(tree: Tree, path: str) -> ElfRecord | None:
    """The ELF record of the executable ``path`` leads to, when it parsed."""
    try:
        node = tree.resolve(path).node
    except ResolveError:
        return None
    record = node.records.get(ELF) if node.is_file else None
    return record if record is not None and record.corrupt is None else None


def _majority(records: Iterable[ElfRecord], what: str) -> ImageArch | None:
    """The most common machine among ``records`` (lowest machine number on a tie)."""
    votes = Counter(r.arch for r in records if r.kind is ElfKind.EXECUTABLE and r.corrupt is None)
    if not votes:
        return None
    ranked = sorted(votes.items(), key=lambda item: (-item[1], item[0]))
    (elf_class, little_endian, machine), count = ranked[0]
    total = sum(votes.values())
    name = arch_name(machine, elf_class, little_endian)
    source = f"most common among {total} {what} ({count})"
    return ImageArch(machine, machine_name(machine), source, count, name)


def image_arch(tree: Tree, declared: str | None) -> ImageArch | None:
    """The image's architecture and where it came from (``None`` when nothing tells)."""
    if declared:
        machine = goarch_machine(declared)
        return ImageArch(machine, machine_name(machine) if machine is not None else declared,
                         "image config", 0, declared)  # fmt: skip
    for path in WELL_KNOWN:
        record = _record(tree, path)
        if record is not None:
            return _arch(record, f"ELF {tree.resolve(path).real_path}")
    in_path: dict[str, ElfRecord] = {}
    for directory, name in tree.listdirs(PATH_DIRS):
        record = _record(tree, f"{directory}/{name}")
        if record is not None:
            in_path.setdefault(tree.resolve(f"{directory}/{name}").real_path, record)
    found = _majority(in_path.values(), "ELF executables in the PATH directories")
    if found is not None:
        return found
    every = (n.records.get(ELF) for _, n in tree.walk() if n.is_file and n.executable)
    return _majority((r for r in every if r is not None), "ELF executables")


class ArchitectureCollector:
    """Produces ``image_arch`` (unknown when nothing in the image tells)."""

    name = "architecture"
    provides: tuple[FactId, ...] = (IMAGE_ARCH,)
    requires: tuple[FactId, ...] = (IMAGE_CONFIG,)
    capture: tuple[CapturePattern, ...] = ()

    def collect(self, ctx: CollectContext, facts: Facts, notes: list[Notification]) -> FactStore:
        """Decide the architecture."""
        del notes
        config = facts.value(IMAGE_CONFIG)
        arch = image_arch(ctx.tree, config.architecture if config is not None else None)
        fact = Fact.present(arch) if arch is not None else Fact.unknown(NO_ARCH)
        return FactStore.one(IMAGE_ARCH, fact)
