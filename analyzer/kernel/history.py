"""Kernel history the rule packs depend on: version-bound symbols, cgroup-v1-only controllers.

:data:`HISTORY` lets a missing symbol be explained on a kernel that cannot have it (a note, not
a failure): ``CONFIG_EXT3_FS_XATTR`` is gone since Linux 4.3, ``CONFIG_NF_CONNTRACK_IPV4``
since 4.19. :data:`CGROUP_V1_ONLY` names the controllers that only a cgroup v1 hierarchy
mounts: on a kernel that boots with cgroup v2 only, their symbols are not needed, and where v2
has its own way of doing the same job the symbol that provides it is named. A test holds both
tables to the bundled packs. Both are data: ``analyzer/data/kernel-history.yaml``.
"""

from __future__ import annotations

from dataclasses import dataclass

from analyzer.kernel.data import DataError, mapping, read_table, strings
from analyzer.model import YAML


@dataclass(frozen=True, slots=True)
class SymbolHistory:
    """A symbol that exists only from ``since`` or only before ``until`` (kernel versions).

    ``replacement`` is the symbol that carries the feature on the other side of the change.
    """

    symbol: str
    why: str
    since: tuple[int, int] | None = None
    until: tuple[int, int] | None = None
    replacement: tuple[str, ...] = ()

    def missing_by_design(self, version: tuple[int, ...]) -> bool:
        """True when a kernel of ``version`` cannot have this symbol."""
        if self.until is not None and version[:2] >= self.until:
            return True
        return self.since is not None and version[:2] < self.since


def _version(value: YAML, where: str) -> tuple[int, int] | None:
    if value is None:
        return None
    major, _, minor = str(value).partition(".")
    if not (major.isdigit() and minor.isdigit()):
        raise DataError(f'{where}: a version is "major.minor", not {value!r}')
    return int(major), int(minor)


def _entry(symbol: str, value: YAML) -> SymbolHistory:
    where = f"history.{symbol}"
    raw = mapping(value, where)
    return SymbolHistory(
        symbol,
        str(raw["why"]),
        since=_version(raw.get("since"), where),
        until=_version(raw.get("until"), where),
        replacement=strings(raw.get("replacement", []), f"{where}.replacement"),
    )


_TABLE = read_table("kernel-history.yaml")

#: Version-bound symbols (without ``CONFIG_``), from ``analyzer/data/kernel-history.yaml``.
HISTORY: dict[str, SymbolHistory] = {
    symbol: _entry(symbol, raw) for symbol, raw in mapping(_TABLE["history"], "history").items()
}

#: Symbols of controllers that only a cgroup v1 hierarchy mounts -> the controller's name.
#: How cgroup v2 does the same job (if at all) is :data:`analyzer.kernel.cgroups.CONTROLLERS`.
CGROUP_V1_ONLY: dict[str, str] = {
    symbol: str(name)
    for symbol, name in mapping(_TABLE["cgroup_v1_only"], "cgroup_v1_only").items()
}
