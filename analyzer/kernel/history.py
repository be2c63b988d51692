"""Kernel history the rule packs depend on: version-bound symbols, cgroup-v1-only controllers.

:data:`HISTORY` lets a missing symbol be explained on a kernel that cannot have it (a note, not
a failure): ``CONFIG_EXT3_FS_XATTR`` is gone since Linux 4.3, ``CONFIG_NF_CONNTRACK_IPV4``
since 4.19. :data:`CGROUP_V1_ONLY` names the controllers that only a cgroup v1 hierarchy
mounts: on a kernel that boots with cgroup v2 only, their symbols are not needed, and where v2
has its own way of doing the same job the symbol that provides it is named. A test holds both
tables to the bundled packs.
"""

from __future__ import annotations

from dataclasses import dataclass


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


def _removed(symbol: str, why: str, until: tuple[int, int], *replacement: str) -> SymbolHistory:
    return SymbolHistory(symbol, why, until=until, replacement=replacement)


def _added(symbol: str, why: str, since: tuple[int, int], *replacement: str) -> SymbolHistory:
    return SymbolHistory(symbol, why, since=since, replacement=replacement)


HISTORY: dict[str, SymbolHistory] = {
    entry.symbol: entry
    for entry in (
        _removed(
            "NF_CONNTRACK_IPV4",
            "merged into CONFIG_NF_CONNTRACK in Linux 4.19",
            (4, 19),
            "NF_CONNTRACK",
        ),
        _removed(
            "NF_CONNTRACK_IPV6",
            "merged into CONFIG_NF_CONNTRACK in Linux 4.19",
            (4, 19),
            "NF_CONNTRACK",
        ),
        _removed("NF_NAT_IPV4", "merged into CONFIG_NF_NAT in Linux 5.1", (5, 1), "NF_NAT"),
        _removed("NF_NAT_IPV6", "merged into CONFIG_NF_NAT in Linux 5.1", (5, 1), "NF_NAT"),
        _added(
            "NETFILTER_XT_TARGET_MASQUERADE",
            "introduced in Linux 5.2; older kernels have CONFIG_IP_NF_TARGET_MASQUERADE and"
            " CONFIG_IP6_NF_TARGET_MASQUERADE instead",
            (5, 2),
            "IP_NF_TARGET_MASQUERADE",
            "IP6_NF_TARGET_MASQUERADE",
        ),
        _removed(
            "NF_NAT_NEEDED",
            "removed in Linux 5.2 (NAT is always available with CONFIG_NF_NAT)",
            (5, 2),
            "NF_NAT",
        ),
        _removed(
            "MEMCG_SWAP_ENABLED",
            "removed in Linux 5.8 (swap accounting is on by default)",
            (5, 8),
            "MEMCG",
        ),
        _removed(
            "MEMCG_SWAP",
            "removed in Linux 6.1 (swap accounting is part of CONFIG_MEMCG)",
            (6, 1),
            "MEMCG",
        ),
        _removed(
            "IOSCHED_CFQ",
            "removed in Linux 5.0 with the legacy block layer; BFQ replaces it",
            (5, 0),
            "IOSCHED_BFQ",
        ),
        _removed(
            "CFQ_GROUP_IOSCHED",
            "removed in Linux 5.0 with the legacy block layer; BFQ_GROUP_IOSCHED replaces it",
            (5, 0),
            "BFQ_GROUP_IOSCHED",
        ),
        _removed("MEMCG_KMEM", "made part of CONFIG_MEMCG in Linux 4.6", (4, 6), "MEMCG"),
        _removed(
            "EXT3_FS_XATTR",
            "removed in Linux 4.3 with the ext3 driver: ext4 mounts ext3 file systems and"
            " always supports extended attributes",
            (4, 3),
            "EXT4_FS",
        ),
        _removed(
            "INET_XFRM_MODE_TRANSPORT",
            "built into the IPsec (xfrm) core in Linux 5.2; the mode modules are gone",
            (5, 2),
            "XFRM",
        ),
        _removed(
            "NETPRIO_CGROUP",
            "renamed CONFIG_CGROUP_NET_PRIO in Linux 3.14",
            (3, 14),
            "CGROUP_NET_PRIO",
        ),
        _added(
            "CGROUP_NET_PRIO",
            "introduced in Linux 3.14 (as the new name of CONFIG_NETPRIO_CGROUP)",
            (3, 14),
            "NETPRIO_CGROUP",
        ),
        _removed(
            "RESOURCE_COUNTERS",
            "removed in Linux 3.19 (the memory controller counts pages itself)",
            (3, 19),
            "MEMCG",
        ),
        _removed(
            "DEVPTS_MULTIPLE_INSTANCES",
            "removed in Linux 4.8: every devpts mount is its own instance",
            (4, 8),
            "UNIX98_PTYS",
        ),
        _added("CGROUP_BPF", "introduced in Linux 4.10", (4, 10)),
    )
}


#: Symbols of controllers that only a cgroup v1 hierarchy mounts -> the controller's name.
#: How cgroup v2 does the same job (if at all) is :data:`analyzer.kernel.cgroups.CONTROLLERS`.
CGROUP_V1_ONLY: dict[str, str] = {
    "CGROUP_CPUACCT": "cpuacct",
    "CGROUP_DEVICE": "devices",
    "CGROUP_FREEZER": "freezer",
    "NET_CLS_CGROUP": "net_cls",
    "CGROUP_NET_PRIO": "net_prio",
    "NETPRIO_CGROUP": "net_prio",
}
