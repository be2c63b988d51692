"""Kernel command-line parameters with the file and line each one comes from.

Sources: ``/etc/default/grub`` and ``/etc/default/grub.d/*.cfg`` (``GRUB_CMDLINE_LINUX`` and
``GRUB_CMDLINE_LINUX_DEFAULT``, with ``$VAR`` expansion so a drop-in that appends keeps the
earlier parameters at their own lines), ``linux`` lines of ``grub.cfg``, boot-loader-spec
entries (``options``), ``/etc/kernel/cmdline``, ``APPEND`` lines of ``extlinux.conf`` and
``default_kernel_opts`` of Alpine's ``/etc/update-extlinux.conf``, and the ``.cmdline``
section of a unified kernel image (no line: the whole section is one command line).
"""

from __future__ import annotations

import enum
import re
import shlex
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from analyzer.model import Location

GRUB_VARIABLES = ("GRUB_CMDLINE_LINUX", "GRUB_CMDLINE_LINUX_DEFAULT")
_ASSIGN = re.compile(r"\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)")
_REFERENCE = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")


class CmdlineSource(enum.StrEnum):
    """The kind of file (or section) a parameter was written in.

    Besides the command-line sources, a boot-loader setting (``loader.conf``'s ``default``)
    and OpenRC's ``rc_cgroup_mode`` are kept as parameters too.
    """

    GRUB_DEFAULT = "grub-default"
    GRUB_CFG = "grub.cfg"
    BLS = "bls"
    KERNEL_CMDLINE = "kernel-cmdline"
    GRUBENV = "grubenv"
    EXTLINUX = "extlinux"
    UPDATE_EXTLINUX = "update-extlinux"
    UKI = "uki"
    LOADER_CONF = "loader.conf"
    RC_CONF = "rc.conf"


@dataclass(frozen=True, slots=True)
class Param:
    """One parameter: ``name``, ``value`` (``None`` for a bare flag), and where it was written.

    ``location`` is the file's location from the tree lookup (its layer or partition
    included) at the parameter's line; ``source`` the kind of file it is.
    """

    name: str
    value: str | None
    location: Location
    source: CmdlineSource

    @property
    def path(self) -> str:
        """The in-image path of the file that holds the parameter."""
        return self.location.path

    @property
    def line(self) -> int | None:
        """The parameter's 1-based line, ``None`` when the source has no lines (a UKI)."""
        return self.location.line

    def text(self) -> str:
        """``name=value`` or ``name``."""
        return self.name if self.value is None else f"{self.name}={self.value}"


def split_params(
    text: str, where: Location, line: int | None, source: CmdlineSource
) -> list[Param]:
    """Parameters of one command-line string (quotes as the kernel reads them).

    ``where`` is the location of the file the string is in, ``line`` its line there.
    """
    try:
        words = shlex.split(text, comments=False, posix=True)
    except ValueError:
        words = text.split()
    params = []
    for word in words:
        if not word or word.startswith("$"):
            continue
        name, sep, value = word.partition("=")
        params.append(Param(name, value if sep else None, where.at_line(line), source))
    return params


def shell_assignment(line: str) -> tuple[str, str] | None:
    """``NAME="value"`` (shell syntax, ``export`` allowed) as ``(NAME, value)``, else ``None``."""
    match = _ASSIGN.match(line)
    return (match.group(1), _shell_value(match.group(2))) if match else None


def _shell_value(raw: str) -> str:
    raw = raw.strip()
    if raw.startswith("'"):
        return raw[1:].split("'", 1)[0]
    if raw.startswith('"'):
        body = raw[1:]
        end = re.search(r'(?<!\\)"', body)
        return body[: end.start()] if end else body
    return raw.split("#", 1)[0].split()[0] if raw.split("#", 1)[0].split() else ""


def parse_grub_defaults(
    files: Sequence[tuple[Location, Sequence[str]]],
) -> dict[str, list[Param]]:
    """``GRUB_*`` assignments of ``/etc/default/grub`` then its drop-ins, as parameters.

    Other variables (``GRUB_DEFAULT``) are kept as a single pseudo-parameter whose value is
    the assigned text, so the boot default can be located too.
    """
    variables: dict[str, list[Param]] = {}
    for where, lines in files:
        for number, line in enumerate(lines, start=1):
            if line.lstrip().startswith("#"):
                continue
            match = _ASSIGN.match(line)
            if not match or not match.group(1).startswith("GRUB_"):
                continue
            name, value = match.group(1), _shell_value(match.group(2))
            if name not in GRUB_VARIABLES:
                variables[name] = [
                    Param(name, value, where.at_line(number), CmdlineSource.GRUB_DEFAULT)
                ]
                continue
            params: list[Param] = []
            for piece in re.split(r"(\$\{?[A-Za-z_][A-Za-z0-9_]*\}?)", value):
                reference = _REFERENCE.fullmatch(piece)
                if reference:
                    params.extend(variables.get(reference.group(1), []))
                else:
                    params.extend(split_params(piece, where, number, CmdlineSource.GRUB_DEFAULT))
            variables[name] = params
    return variables


@dataclass(frozen=True, slots=True)
class MenuEntry:
    """A ``menuentry`` of ``grub.cfg``: its title, id, position and ``linux`` line."""

    title: str
    entry_id: str | None
    position: str
    kernel: str | None
    params: tuple[Param, ...]


_MENU = re.compile(r"\s*(menuentry|submenu)\s+(?:'([^']*)'|\"([^\"]*)\"|(\S+))(.*)\{\s*\Z")
_LINUX = re.compile(r"\s*(?:linux|linuxefi|linux16)\s+(\S+)(.*)")
_ID = re.compile(r"\$menuentry_id_option\s+'([^']*)'")
_SET_DEFAULT = re.compile(r"\s*set\s+default=[\"']?([^\"'\s]*)")


def parse_grub_cfg(
    where: Location, lines: Sequence[str]
) -> tuple[list[MenuEntry], tuple[str, int] | None]:
    """Menu entries (``1>2`` positions inside submenus) and the first ``set default=``."""
    entries: list[MenuEntry] = []
    default: tuple[str, int] | None = None
    stack: list[tuple[str, int]] = []
    counters = [0]
    current: dict[str, object] | None = None
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        set_default = _SET_DEFAULT.match(line)
        if set_default and default is None and not stack and "${" not in set_default.group(1):
            default = (set_default.group(1), number)
        menu = _MENU.match(line)
        if menu:
            title = menu.group(2) or menu.group(3) or menu.group(4) or ""
            ident = _ID.search(menu.group(5))
            position = ">".join([*(str(p) for _, p in stack), str(counters[-1])])
            counters[-1] += 1
            if menu.group(1) == "submenu":
                stack.append((title, counters[-1] - 1))
                counters.append(0)
                continue
            current = {"title": title, "id": ident.group(1) if ident else None, "pos": position}
            current["kernel"], current["params"] = None, ()
            continue
        linux = _LINUX.match(line)
        if linux and current is not None:
            current["kernel"] = linux.group(1)
            current["params"] = tuple(
                split_params(linux.group(2), where, number, CmdlineSource.GRUB_CFG)
            )
            continue
        if stripped == "}":
            if current is not None:
                entries.append(_entry(current))
                current = None
            elif stack:
                stack.pop()
                counters.pop()
    return entries, default


def _entry(raw: dict[str, object]) -> MenuEntry:
    params = raw["params"]
    return MenuEntry(
        str(raw["title"]),
        raw["id"] if isinstance(raw["id"], str) else None,
        str(raw["pos"]),
        raw["kernel"] if isinstance(raw["kernel"], str) else None,
        params if isinstance(params, tuple) else (),
    )


@dataclass(frozen=True, slots=True)
class BlsEntry:
    """A boot-loader-spec entry: file, version, kernel path and ``options`` parameters."""

    path: str
    version: str | None
    kernel: str | None
    params: tuple[Param, ...]


def parse_bls(
    path: str, where: Location, lines: Iterable[str], env: dict[str, Param] | None = None
) -> BlsEntry:
    """One ``loader/entries/*.conf`` file at ``path`` (found at ``where``).

    ``$kernelopts`` expands from ``grubenv``.
    """
    version = kernel = None
    params: list[Param] = []
    for number, line in enumerate(lines, start=1):
        key, _, value = line.strip().partition(" ")
        value = value.strip()
        if key == "version":
            version = value
        elif key == "linux":
            kernel = value
        elif key == "options":
            for word in value.split():
                reference = _REFERENCE.fullmatch(word)
                if reference and env and reference.group(1) in env:
                    grubenv = env[reference.group(1)]
                    params += split_params(
                        grubenv.value or "", grubenv.location, grubenv.line, CmdlineSource.GRUBENV
                    )
                else:
                    params += split_params(word, where, number, CmdlineSource.BLS)
    return BlsEntry(path, version, kernel, tuple(params))


def parse_grubenv(where: Location, lines: Iterable[str]) -> dict[str, Param]:
    """``key=value`` lines of a ``grubenv`` block, each remembered with its line."""
    env: dict[str, Param] = {}
    for number, line in enumerate(lines, start=1):
        if line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        env[key.strip()] = Param(
            key.strip(), value.rstrip("\n"), where.at_line(number), CmdlineSource.GRUBENV
        )
    return env


@dataclass(frozen=True, slots=True)
class ExtlinuxEntry:
    """A ``LABEL`` of ``extlinux.conf``: its name, ``LINUX`` (or ``KERNEL``) and ``APPEND``."""

    label: str
    kernel: str | None
    params: tuple[Param, ...]


def parse_extlinux(where: Location, lines: Iterable[str]) -> tuple[list[ExtlinuxEntry], int | None]:
    """The labels of an ``extlinux.conf`` and the index of the one that boots by default.

    The default is the label ``DEFAULT`` names, else the one marked ``MENU DEFAULT``, else the
    first (``DEFAULT menu.c32`` names a menu module, not a label). Keywords are
    case-insensitive, as syslinux reads them.
    """
    entries: list[dict[str, object]] = []
    named_default: str | None = None
    marked: int | None = None
    for number, line in enumerate(lines, start=1):
        words = line.strip().split(None, 1)
        if not words or words[0].startswith("#"):
            continue
        key, rest = words[0].upper(), (words[1].strip() if len(words) > 1 else "")
        if key == "LABEL":
            entries.append({"label": rest, "kernel": None, "params": ()})
        elif key == "DEFAULT":
            named_default = rest
        elif entries and key in ("LINUX", "KERNEL"):
            entries[-1]["kernel"] = rest
        elif entries and key == "APPEND":
            entries[-1]["params"] = tuple(split_params(rest, where, number, CmdlineSource.EXTLINUX))
        elif entries and key == "MENU" and rest.upper() == "DEFAULT":
            marked = len(entries) - 1
    found = [
        ExtlinuxEntry(
            str(raw["label"]),
            raw["kernel"] if isinstance(raw["kernel"], str) else None,
            raw["params"] if isinstance(raw["params"], tuple) else (),
        )
        for raw in entries
    ]
    labels = [entry.label for entry in found]
    if named_default in labels:
        return found, labels.index(named_default)
    if marked is not None:
        return found, marked
    return found, 0 if found else None


def parse_update_extlinux(where: Location, lines: Iterable[str]) -> list[Param]:
    """``default_kernel_opts`` of Alpine's ``/etc/update-extlinux.conf`` (the last assignment)."""
    params: list[Param] = []
    for number, line in enumerate(lines, start=1):
        assigned = shell_assignment(line)
        if assigned and assigned[0] == "default_kernel_opts":
            params = split_params(assigned[1], where, number, CmdlineSource.UPDATE_EXTLINUX)
    return params
