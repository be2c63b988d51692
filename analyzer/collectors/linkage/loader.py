"""Walk a binary's dependency closure inside the image the way its loader would.

glibc (``elf/dl-load.c``): for each ``DT_NEEDED`` name, unless the requesting object has a
``DT_RUNPATH``, the ``DT_RPATH`` of the requester and of every object up the loading chain to
the executable (an object with ``DT_RUNPATH`` has its ``DT_RPATH`` ignored); then the
requester's own ``DT_RUNPATH`` (never inherited); then the ld.so.conf directories; then the
trusted defaults. musl (``ldso/dynlink.c``): the RUNPATH, else RPATH, of the requester and
every object up the chain, then its system path; names of the libc itself (``libc.*``,
``libm.*``, ``libpthread.*``...) are the loader. Both load breadth first and reuse an object
already loaded under that name or soname. Every object that needs a missing library is
reported with its chain (the real loader stops at the first). A candidate of another class,
byte order or machine is skipped and the search goes on, as ``ld.so`` does.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from analyzer.collectors.linkage.search import (
    ARCHES,
    default_dirs,
    ld_so_conf,
    lib_token,
    musl_path,
    search_entries,
)
from analyzer.facts.linkage import Interp, InterpStatus, MissingLib, PathIssue, SearchTag
from analyzer.model import Location
from analyzer.stream.elfrecord import ELF, STATIC_LINKINGS, ElfKind, ElfRecord, Libc
from analyzer.stream.paths import Unresolved, parent
from analyzer.vfs.tree import ResolveError, Tree

#: Libraries musl's loader provides itself (``lib`` + one of these + ``.``).
MUSL_RESERVED = ("c.", "pthread.", "rt.", "m.", "dl.", "util.", "xnet.")
#: Directories an RPATH or RUNPATH contributes, and the problems of its entries.
_OwnDirs = tuple[tuple[str, ...], tuple[PathIssue, ...]]
#: The interpreter status of a path that leads nowhere, by why it does.
_UNRESOLVED = {
    Unresolved.MISSING: InterpStatus.MISSING,
    Unresolved.DANGLING: InterpStatus.DANGLING,
    Unresolved.LOOP: InterpStatus.LOOP,
    Unresolved.NOT_A_DIRECTORY: InterpStatus.NOT_A_DIRECTORY,
    Unresolved.NOT_A_FILE: InterpStatus.NOT_A_FILE,
}


@dataclass(frozen=True, slots=True)
class Obj:
    """An object in a closure: real path, the path it was found at, and its record."""

    path: str
    found_as: str
    record: ElfRecord


@dataclass
class Closure:
    """What one closure walk found (mutable while it is built, then read)."""

    libraries: list[tuple[str, str]] = field(default_factory=list)
    missing: list[MissingLib] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)
    pulled: list[tuple[Obj, tuple[Obj, ...]]] = field(default_factory=list)


def flavour_of(record: ElfRecord) -> Libc:
    """``musl`` for binaries whose interpreter (or libc) is musl's, ``glibc`` otherwise."""
    interp = record.interp or ""
    if interp.rsplit("/", 1)[-1].startswith("ld-musl-") or record.libc is Libc.MUSL:
        return Libc.MUSL
    return Libc.GLIBC


def is_musl_reserved(name: str) -> bool:
    """True for names musl's loader answers with itself (``libc.so``, ``libpthread.so.0``)."""
    return name.startswith("lib") and name[3:].startswith(MUSL_RESERVED)


class Loader:
    """Resolves interpreters and closures in one tree, caching probes and search results."""

    def __init__(self, tree: Tree, problems: list[str]) -> None:
        self._tree = tree
        self._problems = problems
        self._conf: tuple[str, ...] | None = None
        self._musl: dict[str, tuple[str, ...]] = {}
        self._probes: dict[tuple[str, str, tuple[int, bool, int]], Obj | None] = {}
        self._searches: dict[tuple[str, tuple[str, ...], tuple[int, bool, int]], Obj | None] = {}
        self._own: dict[tuple[str, SearchTag, Libc], _OwnDirs] = {}

    def record(self, path: str) -> tuple[str, ElfRecord | None]:
        """Real path of ``path`` and its ELF record (``None`` when it is not an ELF file)."""
        found = self._tree.resolve(path)
        return found.real_path, found.node.records.get(ELF) if found.node.is_file else None

    def interpreter(self, record: ElfRecord) -> tuple[Interp, Obj | None]:
        """Whether the program interpreter resolves inside the image and fits the binary."""
        if record.linking in STATIC_LINKINGS or record.kind is ElfKind.SHARED_LIBRARY:
            return Interp(InterpStatus.NONE), None
        if record.interp is None:
            detail = "the interpreter path was not read"
            return Interp(InterpStatus.UNKNOWN, detail=detail), None
        path = record.interp
        if not path.startswith("/"):
            return Interp(InterpStatus.RELATIVE, path, detail=f"{path} is a relative path"), None
        try:
            real, found = self.record(path)
        except ResolveError as exc:
            status = _UNRESOLVED.get(exc.reason, InterpStatus.UNKNOWN)
            if not self._tree.exists(path, follow=False):
                status = InterpStatus.MISSING
            gone = self._tree.deleted_by(path)
            deleted = Location(gone[0], layer=gone[1]) if gone else None
            return Interp(status, path, detail=str(exc), deleted=deleted), None
        if found is None:
            node = self._tree.stat(path)
            status = InterpStatus.NOT_ELF if node.is_file else InterpStatus.NOT_A_FILE
            return Interp(status, path, real, f"{real} is not an ELF file"), None
        if found.arch != record.arch or found.corrupt:
            detail = f"{real} is {found.machine_name}/ELF{found.elf_class}"
            return Interp(InterpStatus.WRONG_ARCH, path, real, detail), None
        return Interp(InterpStatus.OK, path, real), Obj(real, path, found)

    def own_dirs(self, obj: Obj, tag: SearchTag, flavour: Libc) -> _OwnDirs:
        """Directories an object's RPATH or RUNPATH contributes, and their problems."""
        key = (obj.found_as, tag, flavour)
        cached = self._own.get(key)
        if cached is not None:
            return cached
        entries = (obj.record.rpath if tag is SearchTag.RPATH else obj.record.runpath) or ()
        tokens = {"ORIGIN": parent(obj.found_as)}
        if flavour is Libc.GLIBC:
            rec = obj.record
            tokens["LIB"] = lib_token(self._tree, rec.machine, rec.elf_class)
            arch = ARCHES.get(rec.machine)
            if arch is not None:
                tokens["PLATFORM"] = arch.platform
        result = search_entries(entries, tag, tokens, self._tree)
        self._own[key] = result
        return result

    def path_issues(self, obj: Obj, flavour: Libc) -> tuple[PathIssue, ...]:
        """Hygiene problems of the object's own RPATH and RUNPATH entries."""
        own = self.own_dirs
        return own(obj, SearchTag.RPATH, flavour)[1] + own(obj, SearchTag.RUNPATH, flavour)[1]

    def _search_dirs(
        self, obj: Obj, chain: tuple[Obj, ...], flavour: Libc, interp: str
    ) -> tuple[str, ...]:
        dirs: list[str] = []
        rec = obj.record
        if flavour is Libc.MUSL:
            for link in chain:
                tag = SearchTag.RUNPATH if link.record.runpath else SearchTag.RPATH
                dirs += self.own_dirs(link, tag, flavour)[0]
            if interp not in self._musl:
                self._musl[interp] = musl_path(self._tree, interp, self._problems)
            dirs += self._musl[interp]
            return tuple(dict.fromkeys(dirs))
        if not rec.runpath:
            for link in chain:
                if not link.record.runpath:
                    dirs += self.own_dirs(link, SearchTag.RPATH, flavour)[0]
        dirs += self.own_dirs(obj, SearchTag.RUNPATH, flavour)[0]
        if self._conf is None:
            self._conf = ld_so_conf(self._tree, self._problems)
        dirs += self._conf
        dirs += default_dirs(rec.machine, rec.elf_class)
        return tuple(dict.fromkeys(dirs))

    def _probe(self, directory: str, name: str, arch: tuple[int, bool, int]) -> Obj | None:
        """The usable object ``directory/name`` of architecture ``arch``, if there is one."""
        key = (directory, name, arch)
        if key in self._probes:
            return self._probes[key]
        path = f"{directory.rstrip('/')}/{name}"
        hit = None
        try:
            real, record = self.record(path)
        except ResolveError:
            record = None
        if record is not None and record.corrupt is None and record.arch == arch:
            hit = Obj(real, path, record)
        self._probes[key] = hit
        return hit

    def find(
        self, name: str, obj: Obj, chain: tuple[Obj, ...], flavour: Libc, interp: str
    ) -> Obj | None:
        """The object ``obj`` (loaded through ``chain``) gets for ``DT_NEEDED`` ``name``."""
        arch = obj.record.arch
        name, dirs = self._where(name, obj, chain, flavour, interp)
        key = (name, dirs, arch)
        if key in self._searches:
            return self._searches[key]
        found = None
        for directory in dirs:
            found = self._probe(directory, name, arch)
            if found is not None:
                break
        self._searches[key] = found
        return found

    def _where(
        self, name: str, obj: Obj, chain: tuple[Obj, ...], flavour: Libc, interp: str
    ) -> tuple[str, tuple[str, ...]]:
        """The file name ``DT_NEEDED`` ``name`` stands for and the directories searched for it."""
        if "/" in name:
            dirs: tuple[str, ...] = (parent(name),) if name.startswith("/") else ()
            return name.rsplit("/", 1)[-1], dirs
        return name, self._search_dirs(obj, chain, flavour, interp)

    def deleted(
        self, name: str, obj: Obj, chain: tuple[Obj, ...], flavour: Libc, interp: str
    ) -> Location | None:
        """Where a missing ``name`` was until a layer deleted it, with that layer.

        The first search directory (in search order) whose copy a later layer removed; ``None``
        when no directory ever held it.
        """
        name, dirs = self._where(name, obj, chain, flavour, interp)
        for directory in dirs:
            gone = self._tree.deleted_by(f"{directory.rstrip('/')}/{name}")
            if gone is not None:
                return Location(gone[0], layer=gone[1])
        return None

    def closure(
        self, root: Obj, ancestors: tuple[Obj, ...], flavour: Libc, interp: Obj | None
    ) -> Closure:
        """Breadth-first closure of ``root``, loaded through ``ancestors`` (nearest first)."""
        result = Closure()
        loaded: dict[str, str] = {}
        missing: dict[str, Location | None] = {}
        seen = {root.path, *(a.path for a in ancestors)}
        for known in (root, *ancestors, *((interp,) if interp else ())):
            if known.record.soname:
                loaded.setdefault(known.record.soname, known.path)
        if interp is not None:
            loaded.setdefault(interp.found_as.rsplit("/", 1)[-1], interp.path)
        interp_path = interp.found_as if interp else (root.record.interp or "")
        queue = deque([(root, (root, *ancestors))])
        while queue:
            obj, chain = queue.popleft()
            if obj.record.needed is None:
                result.unresolved.append(f"{obj.path}: its DT_NEEDED entries were not read")
                continue
            for name in obj.record.needed:
                if name in missing:
                    result.missing.append(MissingLib(name, tuple(o.path for o in chain),
                                                     missing[name]))  # fmt: skip
                if name in loaded or name in missing:
                    continue
                if flavour is Libc.MUSL and is_musl_reserved(name):
                    loaded[name] = interp.path if interp else ""
                    continue
                found = self.find(name, obj, chain, flavour, interp_path)
                if found is None:
                    gone = self.deleted(name, obj, chain, flavour, interp_path)
                    result.missing.append(MissingLib(name, tuple(o.path for o in chain), gone))
                    missing[name] = gone
                    continue
                loaded[name] = found.path
                if found.record.soname:
                    loaded.setdefault(found.record.soname, found.path)
                result.libraries.append((name, found.path))
                if found.path in seen:
                    continue
                seen.add(found.path)
                child_chain = (found, *chain)
                result.pulled.append((found, child_chain))
                queue.append((found, child_chain))
        return result
