"""The kernel command line a disk boots with, read from its boot configuration.

Looks where boot loaders and kernel-install keep it, on every readable file system: Boot
Loader Specification entries (``options``, with ``$kernelopts`` expanded from ``grubenv``),
GRUB configurations (``linux`` lines), ``/etc/default/grub`` (``GRUB_CMDLINE_LINUX*``) and
``/etc/kernel/cmdline``. Only what finding the root needs is kept: ``root=``, ``rootflags=``
and ``rd.luks.uuid=``, each with the file it came from.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from analyzer.sources.disk.fsbase import READ_ERRORS, FileSystem, lookup, read_file
from analyzer.stream.entry import Kind

_ENTRY_DIRS = ("/loader/entries", "/boot/loader/entries")
_GRUB_FILES = (
    "/grub/grub.cfg",
    "/grub2/grub.cfg",
    "/boot/grub/grub.cfg",
    "/boot/grub2/grub.cfg",
)
_GRUBENV = ("/grub2/grubenv", "/grub/grubenv", "/boot/grub2/grubenv", "/boot/grub/grubenv")
_EFI_DIR = "/EFI"
_DEFAULT_GRUB = re.compile(r'^GRUB_CMDLINE_LINUX(?:_DEFAULT)?=["\']?(.*?)["\']?\s*$')
_LINUX_LINE = re.compile(r"^\s*linux(?:efi|16)?\s+\S+\s+(.*)$")
#: Most boot entries read from one directory.
_MAX_ENTRIES = 256


@dataclass(frozen=True, slots=True)
class BootArgs:
    """``root=`` and friends from one command line, and where that line was read."""

    root: str | None
    rootflags: str | None
    luks_uuids: tuple[str, ...]
    source: str


def _parse(line: str, source: str, kernelopts: str) -> BootArgs | None:
    line = line.replace("$kernelopts", kernelopts).replace("${kernelopts}", kernelopts)
    try:
        words = shlex.split(line, comments=False)
    except ValueError:
        words = line.split()
    root = flags = None
    luks: list[str] = []
    for word in words:
        key, _, value = word.partition("=")
        if key == "root" and value and not value.startswith("$"):
            root = value
        elif key == "rootflags":
            flags = value
        elif key in ("rd.luks.uuid", "luks.uuid"):
            luks.append(value.removeprefix("luks-").lower())
    if root is None and not luks:
        return None
    return BootArgs(root, flags, tuple(luks), source)


def _names(fs: FileSystem, path: str) -> list[str]:
    found = lookup(fs, path)
    if found is None or found[1].kind is not Kind.DIR:
        return []
    return sorted(name for name, _ino in fs.listdir(found[0]))[:_MAX_ENTRIES]


def _text(fs: FileSystem, path: str) -> str:
    raw = read_file(fs, path, 1 << 20)
    return (raw or b"").decode("utf-8", "replace")


def _kernelopts(fs: FileSystem) -> str:
    for path in _GRUBENV:
        for line in _text(fs, path).splitlines():
            if line.startswith("kernelopts="):
                return line.removeprefix("kernelopts=")
    return ""


def boot_args(fs: FileSystem, where: str) -> list[BootArgs]:
    """Every command line of ``fs`` that says something about the root (``where`` names it)."""
    try:
        return _boot_args(fs, where)
    except READ_ERRORS:
        return []


def _boot_args(fs: FileSystem, where: str) -> list[BootArgs]:
    found: list[BootArgs | None] = []
    kernelopts = _kernelopts(fs)
    for directory in _ENTRY_DIRS:
        for name in _names(fs, directory):
            if not name.endswith(".conf"):
                continue
            path = f"{directory}/{name}"
            for line in _text(fs, path).splitlines():
                if line.strip().startswith("options"):
                    options = line.strip().removeprefix("options")
                    found.append(_parse(options, f"{where}:{path}", kernelopts))
    grub_files = list(_GRUB_FILES)
    grub_files += [f"{_EFI_DIR}/{n}/grub.cfg" for n in _names(fs, _EFI_DIR)]
    for path in grub_files:
        for line in _text(fs, path).splitlines():
            match = _LINUX_LINE.match(line)
            if match:
                found.append(_parse(match.group(1), f"{where}:{path}", kernelopts))
    for line in _text(fs, "/etc/default/grub").splitlines():
        match = _DEFAULT_GRUB.match(line.strip())
        if match:
            found.append(_parse(match.group(1), f"{where}:/etc/default/grub", kernelopts))
    cmdline = _text(fs, "/etc/kernel/cmdline")
    found.append(_parse(cmdline, f"{where}:/etc/kernel/cmdline", kernelopts))
    return [args for args in found if args is not None]
