"""ELF linkage facts: every ELF record, and loader emulation for the binaries in scope.

Facts:

- ``elf_files``: ``{real path: ElfRecord}`` for every ELF file in the image;
- ``linkage``: ``{real path: Linkage}`` for the programs in scope (see
  :mod:`analyzer.collectors.linkage.scope`; the ``all_binaries`` collect option widens it) and the
  libraries they pull in;
- ``static_binaries``: a tuple of :class:`~analyzer.facts.linkage.StaticBinary` in scope;
- ``static_nss``: those of them that cannot use NSS (not glibc: musl, Go, unknown), so they
  resolve ``localhost`` only from ``/etc/hosts`` or DNS.

Corrupt ELF files become notifications.
"""

from __future__ import annotations

from analyzer.collectors.base import CollectContext
from analyzer.collectors.linkage.loader import Closure, Loader, Obj, flavour_of
from analyzer.collectors.linkage.scope import Candidate, elf_files, privilege, programs
from analyzer.facts import (
    ELF_FILES,
    IMAGE_ARCH,
    LINKAGE,
    STATIC_BINARIES,
    STATIC_NSS,
)
from analyzer.facts.linkage import Interp, InterpStatus, Linkage, Role, StaticBinary
from analyzer.facts.os import ImageArch
from analyzer.model import Fact, FactId, Facts, FactStore, Level, Location, Notification
from analyzer.stream.capture import CapturePattern
from analyzer.stream.elfrecord import STATIC_LINKINGS, ElfRecord, Libc, Linking
from analyzer.vfs.tree import Tree


class LinkageCollector:
    """Produces ``elf_files``, ``linkage``, ``static_binaries`` and ``static_nss``."""

    name = "linkage"
    provides: tuple[FactId, ...] = (ELF_FILES, LINKAGE, STATIC_BINARIES, STATIC_NSS)
    requires: tuple[FactId, ...] = (IMAGE_ARCH,)
    capture = (
        CapturePattern("/etc/ld.so.conf"),
        CapturePattern("/etc/ld.so.conf.d/**"),
        CapturePattern("/etc/ld-musl-*.path"),
    )

    def collect(self, ctx: CollectContext, facts: Facts, notes: list[Notification]) -> FactStore:
        """Resolve every program in scope and the libraries it pulls in."""
        tree = ctx.tree
        files = elf_files(tree)
        for path, record in files.items():
            if record.corrupt is not None:
                notes.append(
                    Notification(Level.WARNING, "elf.corrupt",
                                 f"{path}: corrupt ELF file: {record.corrupt}", Location(path))
                )  # fmt: skip
        candidates = programs(tree, files, ctx.options.all_binaries)
        arch = facts.value(IMAGE_ARCH)
        problems: list[str] = []
        linkage = _link_all(tree, candidates, arch, problems)
        for problem in dict.fromkeys(problems):
            notes.append(Notification(Level.WARNING, "linkage.search-path", problem))
        statics = tuple(
            StaticBinary(entry.path, entry.names, entry.record.linking or Linking.STATIC,
                         entry.record.libc, entry.record.go, entry.record.nss_linked)
            for entry in linkage.values()
            if entry.record.linking in STATIC_LINKINGS and entry.role is Role.PROGRAM
        )  # fmt: skip
        out = FactStore.one(ELF_FILES, Fact.present(files))
        out.put(LINKAGE, Fact.present(linkage))
        out.put(STATIC_BINARIES, Fact.present(statics))
        out.put(STATIC_NSS, Fact.present(tuple(s for s in statics if not s.nss)))
        return out


def _link_all(
    tree: Tree, candidates: list[Candidate], arch: ImageArch | None, problems: list[str]
) -> dict[str, Linkage]:
    """Linkage of every candidate program and of the libraries they pull in.

    Programs get their own closure; a library pulled in is judged by the part of its first
    program's closure below it, so what that program already loaded counts, as for ld.so.
    """
    loader = Loader(tree, problems)
    result: dict[str, Linkage] = {}
    pulled: dict[str, tuple[Obj, Libc, Closure]] = {}
    for candidate in candidates:
        record = candidate.record
        obj = Obj(candidate.path, candidate.path, record)
        flavour = flavour_of(record)
        if not record.loadable:
            interp = Interp(InterpStatus.NONE)
            if record.corrupt is not None:
                interp = Interp(InterpStatus.UNKNOWN, detail=f"corrupt ELF file: {record.corrupt}")
            result[obj.path] = _entry(tree, obj, candidate.names, Role.PROGRAM, flavour, interp,
                                      Closure(), arch, None)  # fmt: skip
            continue
        interp, interp_obj = loader.interpreter(record)
        closure = loader.closure(obj, (), flavour, interp_obj)
        result[obj.path] = _entry(tree, obj, candidate.names, Role.PROGRAM, flavour, interp,
                                  closure, arch, loader)  # fmt: skip
        for child, _ in closure.pulled:
            pulled.setdefault(child.path, (child, flavour, closure))
    for path in sorted(pulled):
        if path in result:
            continue
        child, flavour, closure = pulled[path]
        below = Closure(
            missing=[m for m in closure.missing if path in m.chain],
            unresolved=[u for u in closure.unresolved if u.startswith(f"{path}:")],
        )
        result[path] = _entry(tree, child, (child.found_as,), Role.LIBRARY, flavour,
                              Interp(InterpStatus.NONE), below, arch, loader)  # fmt: skip
    return dict(sorted(result.items()))


def _entry(
    tree: Tree,
    obj: Obj,
    names: tuple[str, ...],
    role: Role,
    flavour: Libc,
    interp: Interp,
    closure: Closure,
    arch: ImageArch | None,
    loader: Loader | None,
) -> Linkage:
    record: ElfRecord = obj.record
    setuid, setgid, caps = privilege(tree.stat(obj.path))
    known = arch is not None and arch.machine is not None and not record.corrupt
    matches = record.machine == arch.machine if known and arch is not None else None
    return Linkage(
        path=obj.path,
        names=names,
        role=role,
        record=record,
        location=tree.location(obj.path),
        flavour=flavour,
        interp=interp,
        libraries=tuple(closure.libraries),
        missing=tuple(closure.missing),
        unresolved=tuple(closure.unresolved),
        path_issues=loader.path_issues(obj, flavour) if loader else (),
        arch_matches=matches,
        image_machine=arch.name if arch else None,
        setuid=setuid,
        setgid=setgid,
        capabilities=caps,
    )
