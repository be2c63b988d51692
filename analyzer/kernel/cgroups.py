"""cgroup hierarchy, cgroup controllers and AppArmor state, inferred offline.

Nothing is mounted in an image, so the hierarchy the booted system gets is inferred from the
kernel command line (``systemd.unified_cgroup_hierarchy``,
``systemd.legacy_systemd_cgroup_controller``, ``cgroup_no_v1``), OpenRC's ``rc_cgroup_mode``
and the systemd version (unified by default from systemd 243). Controllers come from kconfig,
minus ``cgroup_disable=`` on the command line. Every conclusion carries the location of the
evidence that decided it.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from analyzer.kernel.cmdline import Param
from analyzer.kernel.kconfig import KConfig
from analyzer.model import Location

#: First systemd release whose default (upstream build) is the unified hierarchy.
SYSTEMD_UNIFIED_DEFAULT = 243
_FALSE = frozenset({"0", "false", "no", "off", "n"})


class CgroupMode(enum.StrEnum):
    """The cgroup hierarchy a boot gets: unified (v2), hybrid, legacy (v1), or unknown."""

    V2 = "v2"
    HYBRID = "hybrid"
    V1 = "v1"
    UNKNOWN = "unknown"


#: OpenRC's ``rc_cgroup_mode`` values and the hierarchy each gives.
_RC_MODES = {"unified": CgroupMode.V2, "hybrid": CgroupMode.HYBRID, "legacy": CgroupMode.V1}


@dataclass(frozen=True, slots=True)
class InitInfo:
    """The init system of the image: systemd (with its version) and OpenRC's cgroup mode.

    ``systemd`` is the location of the file systemd's version was read from.
    """

    systemd_version: int | None = None
    systemd: Location | None = None
    openrc: bool = False
    rc_cgroup_mode: Param | None = None


@dataclass(frozen=True, slots=True)
class Hierarchy:
    """The inferred hierarchy, and why.

    ``certain`` is false when the conclusion rests on a default that a distribution may
    change (the systemd build default).
    """

    mode: CgroupMode
    detail: str
    location: Location | None = None
    certain: bool = True


def last(params: Sequence[Param], name: str) -> Param | None:
    """The last occurrence of ``name`` (the one the kernel and systemd honour)."""
    found = [p for p in params if p.name == name]
    return found[-1] if found else None


def _truthy(param: Param) -> bool:
    return param.value is None or param.value.lower() not in _FALSE


def infer_hierarchy(params: Sequence[Param], init: InitInfo) -> Hierarchy:
    """The cgroup hierarchy a boot with ``params`` and this init system would get."""
    unified = last(params, "systemd.unified_cgroup_hierarchy")
    legacy = last(params, "systemd.legacy_systemd_cgroup_controller")
    uses_systemd = init.systemd_version is not None or not init.openrc
    if uses_systemd and unified is not None and not _truthy(unified):
        mode = CgroupMode.V1 if legacy is not None and _truthy(legacy) else CgroupMode.HYBRID
        return Hierarchy(mode, f"{unified.text()} forces the {mode} hierarchy", unified.location)
    if uses_systemd and legacy is not None and _truthy(legacy) and unified is None:
        return Hierarchy(
            CgroupMode.HYBRID,
            f"{legacy.text()} asks for the legacy systemd controller",
            legacy.location,
        )
    if init.openrc and init.rc_cgroup_mode is not None:
        mode_param = init.rc_cgroup_mode
        value = (mode_param.value or "").lower()
        mode = _RC_MODES.get(value, CgroupMode.UNKNOWN)
        return Hierarchy(mode, f'rc_cgroup_mode="{value}"', mode_param.location)
    no_v1 = last(params, "cgroup_no_v1")
    if no_v1 is not None and no_v1.value == "all":
        return Hierarchy(CgroupMode.V2, f"{no_v1.text()} leaves only cgroup v2", no_v1.location)
    if unified is not None and _truthy(unified):
        return Hierarchy(CgroupMode.V2, f"{unified.text()} selects cgroup v2", unified.location)
    if init.systemd_version is not None:
        where = init.systemd
        if init.systemd_version >= SYSTEMD_UNIFIED_DEFAULT:
            return Hierarchy(
                CgroupMode.V2,
                f"systemd {init.systemd_version} defaults to the unified hierarchy",
                where,
            )
        return Hierarchy(
            CgroupMode.HYBRID,
            f"systemd {init.systemd_version} (before {SYSTEMD_UNIFIED_DEFAULT}) defaults to the"
            " hybrid hierarchy unless its build chose otherwise",
            where,
            certain=False,
        )
    if init.openrc:
        return Hierarchy(
            CgroupMode.UNKNOWN,
            "OpenRC without rc_cgroup_mode: the default depends on the OpenRC version",
        )
    return Hierarchy(CgroupMode.UNKNOWN, "no init system found that would mount /sys/fs/cgroup")


@dataclass(frozen=True, slots=True)
class Controller:
    """How cgroup v2 provides a controller: kconfig symbols, minimal kernel, disable names."""

    symbols: tuple[str, ...]
    since: tuple[int, int] | None = None
    disable_names: tuple[str, ...] = ()
    note: str = ""


CONTROLLERS: dict[str, Controller] = {
    "cpu": Controller(("CGROUP_SCHED",), disable_names=("cpu",)),
    "cpuacct": Controller(
        ("CGROUP_SCHED",), disable_names=("cpu", "cpuacct"), note="via cpu in v2"
    ),
    "cpuset": Controller(("CPUSETS",), disable_names=("cpuset",)),
    "memory": Controller(("MEMCG",), disable_names=("memory",)),
    "devices": Controller(("CGROUP_BPF",), (4, 15), ("devices",), note="BPF device filters in v2"),
    "freezer": Controller(("CGROUPS",), (5, 2), ("freezer",), note="cgroup.freeze in v2"),
    "pids": Controller(("CGROUP_PIDS",), disable_names=("pids",)),
    "hugetlb": Controller(("CGROUP_HUGETLB",), disable_names=("hugetlb",)),
    "blkio": Controller(("BLK_CGROUP",), disable_names=("io", "blkio"), note="io in v2"),
    "io": Controller(("BLK_CGROUP",), disable_names=("io", "blkio")),
}


def disabled_by(params: Sequence[Param], names: Sequence[str]) -> Param | None:
    """The first ``cgroup_disable=`` parameter that names one of ``names``."""
    for param in params:
        if param.name == "cgroup_disable" and set((param.value or "").split(",")) & set(names):
            return param
    return None


@dataclass(frozen=True, slots=True)
class AppArmorState:
    """Whether AppArmor would be enabled at boot, why, and where that is decided."""

    enabled: bool
    detail: str
    location: Location | None = None


_EXCLUSIVE_LSMS = ("selinux", "smack", "tomoyo", "apparmor")


def apparmor_state(
    config: KConfig, config_file: Location, params: Sequence[Param]
) -> AppArmorState:
    """AppArmor from kconfig and the ``apparmor=``, ``security=`` and ``lsm=`` parameters.

    ``config_file`` is where the configuration was read (a symbol's line is added to it).
    """
    symbol = config.get("SECURITY_APPARMOR")
    if symbol is None or not symbol.enabled:
        line = symbol.line if symbol else None
        return AppArmorState(
            False, "CONFIG_SECURITY_APPARMOR is not set", config_file.at_line(line)
        )
    switch = last(params, "apparmor")
    if switch is not None and switch.value == "0":
        return AppArmorState(False, f"{switch.text()} on the kernel command line", switch.location)
    lsm = last(params, "lsm")
    if lsm is not None:
        listed = "apparmor" in (lsm.value or "").split(",")
        verb = "lists" if listed else "does not list"
        return AppArmorState(listed, f"{lsm.text()} {verb} apparmor", lsm.location)
    security = last(params, "security")
    if security is not None:
        chosen = security.value == "apparmor"
        return AppArmorState(chosen, f"{security.text()} selects the major LSM", security.location)
    order = config.get("LSM")
    if order is not None and order.value:
        exclusive = [name for name in order.value.split(",") if name in _EXCLUSIVE_LSMS]
        first = exclusive[0] if exclusive else None
        return AppArmorState(
            first == "apparmor",
            f'CONFIG_LSM="{order.value}" makes {first or "no exclusive LSM"} the major LSM',
            config_file.at_line(order.line),
        )
    default = config.get("DEFAULT_SECURITY_APPARMOR")
    enabled = default is not None and default.enabled
    line = default.line if default else symbol.line
    return AppArmorState(
        enabled,
        "CONFIG_DEFAULT_SECURITY_APPARMOR=y" if enabled else "AppArmor is not the default LSM",
        config_file.at_line(line),
    )
