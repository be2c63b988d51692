"""Search directories as glibc's and musl's loaders build them, read from the image.

glibc: ``/etc/ld.so.conf`` (``include`` globs expanded in sorted order, relative includes
taken from the including file's directory, ``hwcap`` lines ignored) stands for the cache
``ldconfig`` builds from it, then the architecture's trusted directories. musl: the
``ld-musl-ARCH.path`` file next to the interpreter's prefix (newline- or colon-separated),
else ``/lib:/usr/local/lib:/usr/lib``. RPATH/RUNPATH entries expand ``$ORIGIN``
(both loaders) and ``$LIB``/``$PLATFORM`` (glibc only).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from analyzer.facts.linkage import PathIssue, PathProblem, SearchTag
from analyzer.stream.paths import fold
from analyzer.vfs.tree import NotCaptured, ResolveError, Tree

LD_SO_CONF = "/etc/ld.so.conf"
MUSL_DEFAULT = ("/lib", "/usr/local/lib", "/usr/lib")
#: Deepest ``include`` nesting followed in ld.so.conf (cycles stop here).
MAX_INCLUDE_DEPTH = 8
WORLD_WRITABLE = 0o002
_DST = re.compile(r"\$(?:\{(ORIGIN|LIB|PLATFORM)\}|(ORIGIN|LIB|PLATFORM)(?![A-Za-z0-9_]))")


@dataclass(frozen=True, slots=True)
class Arch:
    """Where one architecture's libraries live: multiarch triplet, ``$PLATFORM``, lib64."""

    triplet: str
    platform: str
    lib64: bool


#: By ``e_machine``: x86-64, i386, AArch64, ARM, PowerPC64, s390x, RISC-V, MIPS.
ARCHES = {
    62: Arch("x86_64-linux-gnu", "x86_64", True),
    3: Arch("i386-linux-gnu", "i686", False),
    183: Arch("aarch64-linux-gnu", "aarch64", True),
    40: Arch("arm-linux-gnueabihf", "v7l", False),
    21: Arch("powerpc64le-linux-gnu", "powerpc64le", True),
    22: Arch("s390x-linux-gnu", "s390x", True),
    243: Arch("riscv64-linux-gnu", "riscv64", True),
    8: Arch("mips-linux-gnu", "mips", False),
}


def default_dirs(machine: int, elf_class: int) -> tuple[str, ...]:
    """Glibc's trusted directories for an architecture, multiarch first."""
    arch = ARCHES.get(machine)
    dirs: list[str] = []
    if arch is not None:
        dirs += [f"/lib/{arch.triplet}", f"/usr/lib/{arch.triplet}"]
    if elf_class == 64:
        dirs += ["/lib64", "/usr/lib64"]
    return (*dirs, "/lib", "/usr/lib")


def lib_token(tree: Tree, machine: int, elf_class: int) -> str:
    """What ``$LIB`` expands to: ``lib/<triplet>`` on multiarch images, else lib64 or lib."""
    arch = ARCHES.get(machine)
    if arch is not None and tree.exists(f"/lib/{arch.triplet}"):
        return f"lib/{arch.triplet}"
    return "lib64" if elf_class == 64 else "lib"


def expand(entry: str, tokens: dict[str, str]) -> str:
    """Substitute ``$ORIGIN``-style tokens; a token missing from ``tokens`` stays literal."""

    def sub(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        return tokens.get(name, match.group(0))

    return _DST.sub(sub, entry)


def search_entries(
    entries: tuple[str, ...], tag: SearchTag, tokens: dict[str, str], tree: Tree
) -> tuple[tuple[str, ...], tuple[PathIssue, ...]]:
    """Directories an RPATH/RUNPATH contributes, and the hygiene problems of its entries."""
    dirs: list[str] = []
    issues: list[PathIssue] = []
    for entry in entries:
        if entry == "":
            issues.append(PathIssue(tag, entry, PathProblem.EMPTY))
            continue
        expanded = expand(entry, tokens)
        if not expanded.startswith("/"):
            issues.append(PathIssue(tag, entry, PathProblem.RELATIVE, expanded))
            continue
        path, escaped = fold(expanded)
        if escaped:
            issues.append(PathIssue(tag, entry, PathProblem.ESCAPES_ROOT, path))
        if _world_writable(tree, path):
            issues.append(PathIssue(tag, entry, PathProblem.WORLD_WRITABLE, path))
        dirs.append(path)
    return tuple(dirs), tuple(issues)


def _world_writable(tree: Tree, path: str) -> bool:
    try:
        node = tree.stat(path)
    except ResolveError:
        return False
    return node.is_dir and bool(node.mode & WORLD_WRITABLE)


def _read_text(tree: Tree, path: str, problems: list[str]) -> str | None:
    try:
        return tree.read(path).decode("utf-8", "replace")
    except ResolveError:
        return None
    except NotCaptured:
        problems.append(f"{path}: content not available, its directories are not searched")
        return None


def ld_so_conf(tree: Tree, problems: list[str]) -> tuple[str, ...]:
    """Directories listed by ``/etc/ld.so.conf`` and its includes, in order, deduplicated."""
    dirs: list[str] = []
    _conf_file(tree, LD_SO_CONF, dirs, problems, 0)
    return tuple(dict.fromkeys(dirs))


def _conf_file(tree: Tree, path: str, dirs: list[str], problems: list[str], depth: int) -> None:
    if depth > MAX_INCLUDE_DEPTH:
        problems.append(f"{path}: include nesting deeper than {MAX_INCLUDE_DEPTH}, not followed")
        return
    text = _read_text(tree, path, problems)
    if text is None:
        return
    here = path.rsplit("/", 1)[0] or "/"
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        words = line.split()
        if words[0] == "include" and len(words) > 1:
            for pattern in words[1:]:
                full = pattern if pattern.startswith("/") else f"{here}/{pattern}"
                for included in tree.glob(full):
                    _conf_file(tree, included, dirs, problems, depth + 1)
        elif words[0] != "hwcap":
            dirs += [d for d in re.split(r"[\s:,=]+", line) if d.startswith("/")]


def musl_path(tree: Tree, interp: str, problems: list[str]) -> tuple[str, ...]:
    """Musl's system search path for the loader at ``interp`` (``/lib/ld-musl-x86_64.so.1``)."""
    name = interp.rsplit("/", 1)[-1]
    match = re.fullmatch(r"ld-musl-(.+)\.so\.1", name)
    if match is None:
        return MUSL_DEFAULT
    slashes = [index for index, char in enumerate(interp) if char == "/"]
    prefix = interp[: slashes[-2]] if len(slashes) >= 2 else ""
    text = _read_text(tree, f"{prefix}/etc/ld-musl-{match.group(1)}.path", problems)
    if text is None:
        return MUSL_DEFAULT
    return tuple(dict.fromkeys(d for d in re.split(r"[\n:]+", text) if d.strip()))
