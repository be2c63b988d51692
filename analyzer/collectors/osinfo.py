"""Operating-system identity: ``os-release``, architecture and init system (the ``os`` fact).

``/etc/os-release`` is read first and ``/usr/lib/os-release`` is the fallback, as
os-release(5) prescribes. The architecture comes from the image configuration when there is
one, else from the ELF records of well-known programs, else from the most common machine among
all ELF executables. The init system is systemd when ``/sbin/init`` leads to systemd or
systemd's binary exists, OpenRC when ``/sbin/openrc`` exists, ``other`` for another
``/sbin/init``, and ``none`` without any.
"""

from __future__ import annotations

import shlex
from collections import Counter
from collections.abc import Mapping

from analyzer.collectors.base import CollectContext
from analyzer.collectors.textfiles import read_lines
from analyzer.facts import IMAGE_CONFIG, OS
from analyzer.facts.image import ImageConfig
from analyzer.facts.os import OsIdentity
from analyzer.model import Fact, FactId, Facts, FactStore, Notification
from analyzer.stream.capture import CapturePattern
from analyzer.stream.elfrecord import ElfRecord
from analyzer.stream.paths import basename
from analyzer.vfs.tree import ResolveError, Tree

OS_RELEASE = ("/etc/os-release", "/usr/lib/os-release")
#: Programs whose ELF machine speaks for the whole image, in order of trust.
WELL_KNOWN = ("/sbin/init", "/bin/sh", "/usr/bin/env", "/bin/busybox", "/usr/bin/ls", "/bin/ls")
SYSTEMD = ("/lib/systemd/systemd", "/usr/lib/systemd/systemd")
OPENRC = ("/sbin/openrc",)
#: ELF ``e_machine`` -> architecture name in the image-config (GOARCH) vocabulary; a tuple
#: maps (32-bit, 64-bit) or, for ppc64, (big-endian, little-endian).
ARCHES: Mapping[int, str | tuple[str, str]] = {
    3: "386", 62: "amd64", 40: "arm", 183: "arm64", 243: ("riscv32", "riscv64"),
    21: ("ppc64", "ppc64le"), 20: "ppc", 22: "s390x", 8: ("mips", "mips64"), 258: "loong64",
}  # fmt: skip
ELF_CLASS_64 = 2


def parse_os_release(lines: list[str]) -> dict[str, str]:
    """``KEY=value`` lines with shell quoting removed; comments and bad lines skipped."""
    fields: dict[str, str] = {}
    for line in lines:
        text = line.strip()
        if not text or text.startswith("#") or "=" not in text:
            continue
        key, raw = text.split("=", 1)
        if not key.isidentifier():
            continue
        try:
            words = shlex.split(raw)
        except ValueError:
            words = [raw.strip("\"'")]
        fields[key] = " ".join(words)
    return fields


def arch_name(machine: int, elf_class: int, little_endian: bool) -> str:
    """``amd64`` for EM_X86_64; ``EM_<n>`` for machines not in :data:`ARCHES`."""
    name = ARCHES.get(machine)
    if name is None:
        return f"EM_{machine}"
    if isinstance(name, tuple):
        pick = little_endian if machine == 21 else elf_class == ELF_CLASS_64
        return name[1] if pick else name[0]
    return name


def _record_arch(record: object) -> str | None:
    if not isinstance(record, ElfRecord) or record.corrupt:
        return None
    return arch_name(record.machine, record.elf_class, record.little_endian)


def architecture(tree: Tree, config: ImageConfig | None) -> tuple[str | None, str]:
    """The image's architecture and where it came from."""
    declared = config.architecture if config is not None else None
    if declared:
        return declared, "image config"
    for path in WELL_KNOWN:
        try:
            found = tree.resolve(path)
        except ResolveError:
            continue
        arch = _record_arch(found.node.records.get("elf"))
        if arch is not None:
            return arch, f"ELF {found.real_path}"
    counts: Counter[str] = Counter()
    for _, node in tree.walk():
        if node.is_file and node.executable:
            arch = _record_arch(node.records.get("elf"))
            if arch is not None:
                counts[arch] += 1
    if counts:
        arch, number = counts.most_common(1)[0]
        return arch, f"most common among {sum(counts.values())} ELF executables ({number})"
    return None, "no ELF executable with a known machine"


def init_system(tree: Tree) -> tuple[str, str]:
    """``systemd``, ``openrc``, ``other`` or ``none``, with the evidence."""
    try:
        init = tree.resolve("/sbin/init")
    except ResolveError:
        init = None
    if init is not None and basename(init.real_path) == "systemd":
        return "systemd", init.describe_chain()
    for path in SYSTEMD:
        if tree.exists(path):
            return "systemd", path
    for path in OPENRC:
        if tree.exists(path):
            return "openrc", path
    if init is not None:
        return "other", init.describe_chain()
    return "none", "no /sbin/init, systemd or OpenRC"


class OsCollector:
    """Produces the ``os`` fact (always present; unknown parts are ``None``)."""

    name = "os"
    provides: tuple[FactId, ...] = (OS,)
    requires: tuple[FactId, ...] = (IMAGE_CONFIG,)
    capture = (CapturePattern("/etc/os-release"), CapturePattern("/usr/lib/os-release"))

    def collect(self, ctx: CollectContext, facts: Facts, notes: list[Notification]) -> FactStore:
        """Read os-release, decide architecture and init."""
        del notes
        tree = ctx.tree
        fields: dict[str, str] = {}
        source = None
        for path in OS_RELEASE:
            text = read_lines(tree, path)
            if text.lines is not None:
                fields, source = parse_os_release(text.lines), tree.location(path)
                break
        arch, arch_source = architecture(tree, facts.value(IMAGE_CONFIG))
        init, init_evidence = init_system(tree)
        value = OsIdentity(
            id=fields.get("ID"),
            version_id=fields.get("VERSION_ID"),
            pretty_name=fields.get("PRETTY_NAME"),
            source=source,
            architecture=arch,
            architecture_source=arch_source,
            init=init,
            init_evidence=init_evidence,
            fields=fields,
        )
        return FactStore.one(OS, Fact.present(value, source))
