"""The boot configuration of an image: which kernel boots by default, with which parameters.

Reads GRUB (``/etc/default/grub`` and drop-ins, ``grub.cfg``, ``grubenv``), boot-loader-spec
entries and ``loader.conf``, ``/etc/kernel/cmdline``, extlinux (``extlinux.conf`` and Alpine's
``/etc/update-extlinux.conf``), and the ``.cmdline`` section of unified kernel images
(``EFI/Linux/*.efi``, read during the pass) from the tree. The effective command line of a
release lists generated files first (UKIs, ``grub.cfg``, BLS entries, ``extlinux.conf``) and
the files they are generated from last (``/etc/default/grub``, ``update-extlinux.conf``,
``/etc/kernel/cmdline``), so the last occurrence of a parameter, the one that wins, points at
the file to edit.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field

from analyzer.collectors.textfiles import read_lines
from analyzer.kernel.cmdline import (
    BlsEntry,
    CmdlineSource,
    ExtlinuxEntry,
    MenuEntry,
    Param,
    parse_bls,
    parse_extlinux,
    parse_grub_cfg,
    parse_grub_defaults,
    parse_grubenv,
    parse_update_extlinux,
    split_params,
)
from analyzer.kerneldecode.uki import UKI, UkiInfo
from analyzer.model import Location
from analyzer.vfs.tree import ResolveError, Tree

GRUB_DEFAULTS = "/etc/default/grub"
GRUB_DROPINS = "/etc/default/grub.d/*.cfg"
GRUB_CFGS = ("/boot/grub/grub.cfg", "/boot/grub2/grub.cfg", "/boot/efi/EFI/*/grub.cfg")
GRUBENVS = ("/boot/grub/grubenv", "/boot/grub2/grubenv", "/boot/efi/EFI/*/grubenv")
BLS_DIRS = ("/boot/loader/entries", "/boot/efi/loader/entries", "/efi/loader/entries")
LOADER_CONFS = (
    "/boot/loader/loader.conf",
    "/boot/efi/loader/loader.conf",
    "/efi/loader/loader.conf",
)
KERNEL_CMDLINE = "/etc/kernel/cmdline"
EXTLINUX_CONFS = ("/boot/extlinux.conf", "/boot/extlinux/extlinux.conf", "/extlinux.conf")
UPDATE_EXTLINUX = "/etc/update-extlinux.conf"
UKI_GLOBS = ("/boot/efi/EFI/Linux/*.efi", "/efi/EFI/Linux/*.efi", "/boot/EFI/Linux/*.efi")


@dataclass(frozen=True, slots=True)
class UkiEntry:
    """A unified kernel image: its path, what its sections say, its command-line parameters."""

    path: str
    info: UkiInfo
    params: tuple[Param, ...]

    def boots(self, release: str) -> bool:
        """True when this image carries ``release`` (its ``.uname``, else its file name)."""
        if self.info.uname is not None:
            return self.info.uname == release
        return release in self.path.rsplit("/", 1)[-1]


def read_ukis(tree: Tree) -> tuple[UkiEntry, ...]:
    """Every UKI whose sections were read during the pass, in path order."""
    found = []
    for pattern in UKI_GLOBS:
        for path in tree.glob(pattern):
            try:
                record = tree.stat(path).records.get(UKI)
            except ResolveError:
                continue
            if record is not None:
                params = split_params(
                    record.cmdline or "", tree.location(path), None, CmdlineSource.UKI
                )
                found.append(UkiEntry(path, record, tuple(params)))
    return tuple(found)


@dataclass(frozen=True)
class BootConfig:
    """Everything the boot loaders say, parsed once per image."""

    grub_vars: dict[str, list[Param]] = field(default_factory=dict)
    menu: tuple[MenuEntry, ...] = ()
    grub_cfg: str | None = None
    set_default: tuple[str, int] | None = None
    grubenv: dict[str, Param] = field(default_factory=dict)
    bls: tuple[BlsEntry, ...] = ()
    bls_default: Param | None = None
    kernel_cmdline: tuple[Param, ...] = ()
    files: tuple[str, ...] = ()
    ukis: tuple[UkiEntry, ...] = ()
    extlinux: tuple[ExtlinuxEntry, ...] = ()
    extlinux_default: int | None = None
    extlinux_opts: tuple[Param, ...] = ()

    def grub_params(self) -> list[Param]:
        """``GRUB_CMDLINE_LINUX`` then ``GRUB_CMDLINE_LINUX_DEFAULT`` (grub-mkconfig's order)."""
        return [
            *self.grub_vars.get("GRUB_CMDLINE_LINUX", []),
            *self.grub_vars.get("GRUB_CMDLINE_LINUX_DEFAULT", []),
        ]

    def params_for(self, release: str) -> list[Param]:
        """The effective command line of ``release`` (see the module docstring)."""
        params: list[Param] = []
        uki = next((u for u in self.ukis if u.boots(release)), None)
        if uki is not None:
            params += uki.params
        entry = next((e for e in self.menu if e.kernel and _names(e.kernel, release)), None)
        if entry is not None:
            params += entry.params
        for bls in self.bls:
            if bls.version == release or (bls.kernel and _names(bls.kernel, release)):
                params += bls.params
                break
        label = self._extlinux_label(release)
        if label is not None:
            params += label.params
        params += self.grub_params()
        params += self.extlinux_opts
        params += self.kernel_cmdline
        return params

    def _extlinux_label(self, release: str) -> ExtlinuxEntry | None:
        """The default label if it boots ``release`` or no label does, else the first that does."""
        default = None if self.extlinux_default is None else self.extlinux[self.extlinux_default]
        named = [e for e in self.extlinux if e.kernel and _names(e.kernel, release)]
        if default is not None and (default in named or not named):
            return default
        return named[0] if named else None

    def default_release(self, releases: list[str]) -> tuple[str, str] | None:
        """The release that boots by default and why, when the boot loader says so."""
        chosen = self._grub_default(releases)
        if chosen is not None:
            return chosen
        if self.bls_default is not None and self.bls_default.value:
            pattern = self.bls_default.value
            for bls in self.bls:
                name = bls.path.rsplit("/", 1)[-1]
                if fnmatch.fnmatch(name, pattern) or fnmatch.fnmatch(name, pattern + ".conf"):
                    release = _release_of(bls.version, bls.kernel, releases)
                    if release:
                        where = f"{self.bls_default.path}:{self.bls_default.line}"
                        return release, f"default {pattern} ({where})"
            for uki in self.ukis:
                name = uki.path.rsplit("/", 1)[-1]
                if fnmatch.fnmatch(name, pattern):
                    release = next((r for r in releases if uki.boots(r)), None)
                    if release:
                        where = f"{self.bls_default.path}:{self.bls_default.line}"
                        return release, f"default {pattern} ({where})"
        return None

    def _grub_default(self, releases: list[str]) -> tuple[str, str] | None:
        if not self.menu:
            return None
        selector: str | None = None
        where = ""
        grub_default = self.grub_vars.get("GRUB_DEFAULT")
        if grub_default and grub_default[0].value is not None:
            selector = grub_default[0].value
            where = f"GRUB_DEFAULT={selector} ({grub_default[0].path}:{grub_default[0].line})"
        elif self.set_default is not None:
            selector = self.set_default[0]
            where = f"set default={selector} ({self.grub_cfg}:{self.set_default[1]})"
        if selector == "saved":
            saved = self.grubenv.get("saved_entry")
            selector = saved.value if saved else "0"
            where += f", saved_entry={selector}"
        if selector is None or selector == "":
            selector, where = "0", "the first menu entry (no default set)"
        last = selector.split(">")[-1]
        for entry in self.menu:
            if selector in (entry.position, entry.title, entry.entry_id) or last in (
                entry.title,
                entry.entry_id,
            ):
                release = _release_of(None, entry.kernel, releases)
                if release:
                    return release, where
        return None


def _names(kernel_path: str, release: str) -> bool:
    name = kernel_path.rsplit("/", 1)[-1]
    return name.endswith("-" + release) or f"/{release}/" in kernel_path


def _release_of(version: str | None, kernel: str | None, releases: list[str]) -> str | None:
    if version in releases:
        return version
    if kernel:
        for release in sorted(releases, key=len, reverse=True):
            if _names(kernel, release):
                return release
    return None


def _lines(tree: Tree, path: str) -> list[str] | None:
    return read_lines(tree, path).lines


def _kernel_cmdline(tree: Tree) -> list[Param]:
    """The parameters of ``/etc/kernel/cmdline`` (``#`` lines are comments)."""
    lines = _lines(tree, KERNEL_CMDLINE)
    if lines is None:
        return []
    where = tree.location(KERNEL_CMDLINE)
    params: list[Param] = []
    for number, line in enumerate(lines, start=1):
        if not line.lstrip().startswith("#"):
            params += split_params(line, where, number, CmdlineSource.KERNEL_CMDLINE)
    return params


def _update_extlinux(tree: Tree) -> list[Param]:
    """``default_kernel_opts`` of Alpine's ``/etc/update-extlinux.conf``."""
    lines = _lines(tree, UPDATE_EXTLINUX)
    if lines is None:
        return []
    return parse_update_extlinux(tree.location(UPDATE_EXTLINUX), lines)


def read_boot_config(tree: Tree) -> BootConfig:
    """Parse every boot-loader file of the image.

    Each parameter carries the location of its file from the tree lookup, at its line.
    """
    files: list[str] = []
    grub_files: list[tuple[Location, list[str]]] = []
    for path in [GRUB_DEFAULTS, *tree.glob(GRUB_DROPINS)]:
        lines = _lines(tree, path)
        if lines is not None:
            grub_files.append((tree.location(path), lines))
            files.append(path)
    grub_vars = parse_grub_defaults(grub_files)
    grubenv: dict[str, Param] = {}
    for pattern in GRUBENVS:
        for path in tree.glob(pattern):
            lines = _lines(tree, path)
            if lines is not None and not grubenv:
                grubenv = parse_grubenv(tree.location(path), lines)
                files.append(path)
    menu: list[MenuEntry] = []
    grub_cfg = None
    set_default = None
    for pattern in GRUB_CFGS:
        for path in tree.glob(pattern):
            lines = _lines(tree, path)
            if lines is not None and grub_cfg is None:
                menu, set_default = parse_grub_cfg(tree.location(path), lines)
                grub_cfg = path
                files.append(path)
    bls: list[BlsEntry] = []
    for directory in BLS_DIRS:
        for path in tree.glob(f"{directory}/*.conf"):
            lines = _lines(tree, path)
            if lines is not None:
                bls.append(parse_bls(path, tree.location(path), lines, grubenv))
                files.append(path)
    bls_default = grubenv.get("saved_entry")
    for path in LOADER_CONFS:
        for number, line in enumerate(_lines(tree, path) or [], start=1):
            key, _, value = line.strip().partition(" ")
            if key == "default" and value.strip():
                at = tree.location(path, number)
                bls_default = Param("default", value.strip(), at, CmdlineSource.LOADER_CONF)
    cmdline = _kernel_cmdline(tree)
    if cmdline:
        files.append(KERNEL_CMDLINE)
    ukis = read_ukis(tree)
    files += [uki.path for uki in ukis if uki.params]
    extlinux: list[ExtlinuxEntry] = []
    extlinux_default = None
    for path in EXTLINUX_CONFS:
        lines = _lines(tree, path)
        if lines is not None and not extlinux:
            extlinux, extlinux_default = parse_extlinux(tree.location(path), lines)
            files.append(path)
    opts = _update_extlinux(tree)
    if opts:
        files.append(UPDATE_EXTLINUX)
    return BootConfig(
        grub_vars,
        tuple(menu),
        grub_cfg,
        set_default,
        grubenv,
        tuple(bls),
        bls_default,
        tuple(cmdline),
        tuple(files),
        ukis,
        tuple(extlinux),
        extlinux_default,
        tuple(opts),
    )
