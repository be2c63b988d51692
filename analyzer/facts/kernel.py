"""The ``kernels`` and ``modules_load`` facts: kernel releases, and modules loaded at boot.

Each kernel comes with its configuration, modules, command line and cgroup hierarchy.

A :class:`Kernel` is a frozen dataclass of plain values. The parsed configuration (thousands
of symbols) lives in the ``_config`` field: JSON writers skip fields whose name starts with an
underscore.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from analyzer.kernel.cgroups import AppArmorState, Hierarchy
from analyzer.kernel.cmdline import Param
from analyzer.kernel.kconfig import KConfig
from analyzer.kernel.symbols import parse_version
from analyzer.model import Location


def normalise(name: str) -> str:
    """A module name as ``modprobe`` compares it."""
    return name.replace("-", "_")


@dataclass(frozen=True, slots=True)
class ListedMissing:
    """A module ``modules.dep`` lists (``listed``, at ``location``) whose file is not in the image.

    ``location`` is ``modules.dep`` (from the tree lookup, with its layer) at the listing line.
    """

    name: str
    listed: str
    location: Location

    def describe(self) -> str:
        """``overlay is listed in modules.dep but kernel/fs/overlay.ko is not in the image``."""
        return f"{self.name} is listed in modules.dep but {self.listed} is not in the image"


@dataclass(frozen=True, slots=True)
class ModulesInfo:
    """The modules tree of one release: where it is, what ships, what is built in.

    ``location`` is where the tree lookup found the directory (``/lib/modules/R``, its layer
    included); ``sources`` the files and directories that were read. The name sets (module
    files found, ``modules.builtin`` entries, ``modules.dep`` entries without a file) are kept
    out of JSON reports; their sizes are the public ``shipped_count``, ``builtin_count`` and
    ``missing_count``.
    """

    release: str
    location: Location
    sources: tuple[str, ...]
    shipped_count: int
    builtin_count: int
    missing_count: int
    _shipped: frozenset[str]
    _builtin: frozenset[str]
    _missing: tuple[ListedMissing, ...] = ()

    @property
    def shipped_names(self) -> frozenset[str]:
        """The (normalised) names of the module files the image ships."""
        return self._shipped

    @property
    def directory(self) -> str:
        """The in-image path of the modules directory."""
        return self.location.path

    def ships(self, names: Iterable[str]) -> str | None:
        """The first of ``names`` whose module file is in the image, or ``None``."""
        for name in names:
            if normalise(name) in self._shipped:
                return name
        return None

    def builds_in(self, names: Iterable[str]) -> str | None:
        """The first of ``names`` listed in ``modules.builtin``, or ``None``."""
        for name in names:
            if normalise(name) in self._builtin:
                return name
        return None

    def listed_missing(self, names: Iterable[str]) -> ListedMissing | None:
        """The first of ``names`` that ``modules.dep`` lists but whose file is missing."""
        wanted = [normalise(name) for name in names]
        for name in wanted:
            for entry in self._missing:
                if entry.name == name:
                    return entry
        return None


class ConfigSource(enum.StrEnum):
    """Where a kernel's configuration was read from."""

    FILE = "file"
    CONFIGS_MODULE = "configs-module"
    IKCONFIG = "ikconfig"
    NONE = "none"


@dataclass(frozen=True)
class Kernel:
    """One kernel release the image carries, with everything the kernel rules need.

    Every file is given by the :class:`~analyzer.model.Location` its tree lookup returned, so a
    finding about it names its layer or partition. ``config_file`` is where the configuration
    was read: the file, the release's ``configs.ko`` or the kernel ``image``, as
    ``config_source`` (``file``, ``configs-module``, ``ikconfig`` or ``none``, with
    ``config_problem`` saying why) says; ``config_searched`` lists the candidates in order.
    ``k0s_config`` is the first file k0s's pre-flight reads that the image has (``None``: k0s
    finds none of its files), and ``configs_module`` the release's ``configs.ko``.
    ``cmdline`` is the effective command line, each parameter with its file and line.
    """

    release: str
    default: bool
    default_reason: str
    image: Location | None
    image_release: str | None
    image_problems: tuple[str, ...]
    config_file: Location | None
    config_source: ConfigSource
    config_searched: tuple[str, ...]
    config_problem: str
    modules: ModulesInfo | None
    cmdline: tuple[Param, ...]
    boot_files: tuple[str, ...]
    cgroup: Hierarchy
    apparmor: AppArmorState | None
    k0s_config: Location | None = None
    configs_module: Location | None = None
    _config: KConfig | None = None

    @property
    def config_path(self) -> str | None:
        """The in-image path the configuration was read from, ``None`` without one."""
        return self.config_file.path if self.config_file else None

    @property
    def config(self) -> KConfig | None:
        """The parsed configuration, ``None`` when none was found."""
        return self._config

    @property
    def version(self) -> tuple[int, ...] | None:
        """``(6, 1, 0)`` from the release, ``None`` when it does not parse."""
        return parse_version(self.release)

    @property
    def location(self) -> Location:
        """Default location of a finding: the config file, else the image, else the modules."""
        if self.config_file:
            return self.config_file
        if self.image:
            return self.image
        if self.modules:
            return self.modules.location
        return Location("/boot")

    def config_evidence(self) -> str:
        """Which configuration source was used, in words."""
        if self.config_source is ConfigSource.IKCONFIG:
            return f"configuration embedded in {self.config_path} (IKCONFIG)"
        if self.config_source is ConfigSource.CONFIGS_MODULE:
            return f"configuration from the configs module {self.config_path} (IKCONFIG=m)"
        if self.config_source is ConfigSource.FILE:
            return f"configuration from {self.config_path}"
        return self.config_problem


@dataclass(frozen=True, slots=True)
class LoadEntry:
    """A module loaded at boot (name as ``modprobe`` compares it), where, and by what."""

    module: str
    location: Location
    how: str


@dataclass(frozen=True, slots=True)
class ModulesLoad:
    """Every module the image loads at boot, and the files that were read."""

    entries: tuple[LoadEntry, ...]
    sources: tuple[str, ...]

    def find(self, name: str) -> LoadEntry | None:
        """The first entry that loads ``name``."""
        wanted = normalise(name)
        return next((entry for entry in self.entries if entry.module == wanted), None)
