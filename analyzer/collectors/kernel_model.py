"""The ``kernels`` fact's value: one :class:`Kernel` per release, plus the init-system reader.

A :class:`Kernel` is a frozen dataclass of plain values. The parsed configuration (thousands
of symbols) lives in the ``_config`` field: JSON writers skip fields whose name starts with an
underscore, and :meth:`Kernel.summary` gives the compact form for reports.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from analyzer.collectors.kernel_modules import ModulesInfo
from analyzer.collectors.textfiles import read_lines
from analyzer.kernel.cgroups import AppArmorState, Hierarchy, InitInfo
from analyzer.kernel.cmdline import Param
from analyzer.kernel.kconfig import KConfig
from analyzer.kernel.symbols import parse_version
from analyzer.model import Location
from analyzer.vfs.tree import Tree

NO_KERNEL = "no kernel in this artefact: kernel requirements cannot be determined from it"
SYSTEMD_LIBS = (
    "/usr/lib/systemd/libsystemd-shared-*.so",
    "/lib/systemd/libsystemd-shared-*.so",
    "/usr/lib/*/systemd/libsystemd-shared-*.so",
    "/usr/lib64/systemd/libsystemd-shared-*.so",
)
OPENRC = ("/sbin/openrc", "/usr/sbin/openrc", "/sbin/openrc-run", "/usr/sbin/openrc-run")
_SYSTEMD_VERSION = re.compile(r"libsystemd-shared-(\d+)")
_RC_MODE = re.compile(r"\s*rc_cgroup_mode\s*=\s*[\"']?([A-Za-z]*)")


@dataclass(frozen=True)
class Kernel:
    """One kernel release the image carries, with everything the kernel rules need.

    ``config_source`` is ``file``, ``configs-module`` (the release's ``configs.ko``),
    ``ikconfig`` (embedded in ``image``) or ``none``, with ``config_problem`` saying why;
    ``config_searched`` lists the candidates in order. ``k0s_config`` is the first file k0s's
    pre-flight reads that the image has (``None``: k0s finds none of its files), and
    ``configs_module`` the path of the release's ``configs.ko``. ``cmdline`` is the effective
    command line, each parameter with its file and line.
    """

    release: str
    default: bool
    default_reason: str
    image: str | None
    image_release: str | None
    image_problems: tuple[str, ...]
    config_path: str | None
    config_source: str
    config_searched: tuple[str, ...]
    config_problem: str
    modules: ModulesInfo | None
    cmdline: tuple[Param, ...]
    boot_files: tuple[str, ...]
    cgroup: Hierarchy
    apparmor: AppArmorState | None
    k0s_config: str | None = None
    configs_module: str | None = None
    _config: KConfig | None = None

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
        if self.config_path:
            return Location(self.config_path)
        if self.image:
            return Location(self.image)
        if self.modules:
            return Location(self.modules.directory)
        return Location("/boot")

    def config_evidence(self) -> str:
        """Which configuration source was used, in words."""
        if self.config_source == "ikconfig":
            return f"configuration embedded in {self.config_path} (IKCONFIG)"
        if self.config_source == "configs-module":
            return f"configuration from the configs module {self.config_path} (IKCONFIG=m)"
        if self.config_source == "file":
            return f"configuration from {self.config_path}"
        return self.config_problem

    def summary(self) -> dict[str, Any]:
        """A compact, JSON-ready description (no symbol table, no module list)."""
        return {
            "release": self.release,
            "default": self.default,
            "default_reason": self.default_reason,
            "image": self.image,
            "config": self.config_path,
            "config_source": self.config_source,
            "k0s_config": self.k0s_config,
            "configs_module": self.configs_module,
            "symbols": len(self._config) if self._config else 0,
            "modules": self.modules.directory if self.modules else None,
            "cmdline": [f"{p.text()} ({p.path}:{p.line})" for p in self.cmdline],
            "cgroup": self.cgroup.mode,
            "apparmor": self.apparmor.enabled if self.apparmor else None,
        }


def release_key(release: str) -> tuple[tuple[int, ...], str]:
    """Sort key: version numbers first, then the text (so ``6.1.0-13`` < ``6.1.0-9`` is fixed)."""
    numbers = tuple(int(n) for n in re.findall(r"\d+", release))
    return numbers, release


def read_init(tree: Tree) -> InitInfo:
    """Systemd's version (from ``libsystemd-shared-N.so``) and OpenRC's ``rc_cgroup_mode``."""
    version = path = None
    for pattern in SYSTEMD_LIBS:
        for found in tree.glob(pattern):
            match = _SYSTEMD_VERSION.search(found)
            if match:
                version, path = int(match.group(1)), found
                break
        if version is not None:
            break
    openrc = any(tree.exists(p) for p in OPENRC)
    mode = None
    for number, line in enumerate(read_lines(tree, "/etc/rc.conf").lines or [], start=1):
        match = _RC_MODE.match(line)
        if match and match.group(1):
            mode = Param("rc_cgroup_mode", match.group(1), "/etc/rc.conf", number, "rc.conf")
    return InitInfo(version, path, openrc, mode)
