"""Facts about kernel symbols that a configuration file does not say itself.

:data:`MODULE_OF` names the module a tristate symbol builds when it is ``=m`` (from the
``obj-$(CONFIG_X) += name.o`` lines of the kernel's Makefiles), so ``=m`` can be checked
against the modules that actually ship. :data:`HISTORY` lists symbols that exist only in some
kernel versions, so their absence on other versions is explained instead of reported.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Module built by each tristate symbol the rule packs ask about (without ``CONFIG_``);
#: ``a|b`` when the name changed between kernel versions (either one counts).
MODULE_OF: dict[str, str] = {
    "BLK_DEV_DM": "dm_mod",
    "BRIDGE": "bridge",
    "BRIDGE_NETFILTER": "br_netfilter",
    "BTRFS_FS": "btrfs",
    "CRYPTO_GCM": "gcm",
    "CRYPTO_GHASH": "ghash_generic",
    "CRYPTO_SEQIV": "seqiv",
    "DUMMY": "dummy",
    "EXT3_FS": "ext4|ext3",
    "EXT4_FS": "ext4",
    "INET_ESP": "esp4",
    "IP6_NF_FILTER": "ip6table_filter",
    "IP6_NF_IPTABLES": "ip6_tables",
    "IP6_NF_MANGLE": "ip6table_mangle",
    "IP6_NF_NAT": "ip6table_nat",
    "IP6_NF_RAW": "ip6table_raw",
    "IP6_NF_TARGET_MASQUERADE": "xt_MASQUERADE|ip6t_MASQUERADE",
    "IPV6": "ipv6",
    "IPVLAN": "ipvlan",
    "IP_NF_FILTER": "iptable_filter",
    "IP_NF_IPTABLES": "ip_tables",
    "IP_NF_MANGLE": "iptable_mangle",
    "IP_NF_NAT": "iptable_nat",
    "IP_NF_RAW": "iptable_raw",
    "IP_NF_TARGET_MASQUERADE": "xt_MASQUERADE|ipt_MASQUERADE",
    "IP_NF_TARGET_REDIRECT": "xt_REDIRECT|ipt_REDIRECT",
    "IP_NF_TARGET_REJECT": "ipt_REJECT",
    "IP_SCTP": "sctp",
    "IP_SET": "ip_set",
    "IP_SET_HASH_IP": "ip_set_hash_ip",
    "IP_SET_HASH_NET": "ip_set_hash_net",
    "IP_VS": "ip_vs",
    "IP_VS_RR": "ip_vs_rr",
    "IP_VS_SH": "ip_vs_sh",
    "IP_VS_WRR": "ip_vs_wrr",
    "LLC": "llc",
    "MACVLAN": "macvlan",
    "NETFILTER_NETLINK": "nfnetlink",
    "NETFILTER_XTABLES": "x_tables",
    "NETFILTER_XT_MARK": "xt_mark",
    "NETFILTER_XT_MATCH_ADDRTYPE": "xt_addrtype",
    "NETFILTER_XT_MATCH_BPF": "xt_bpf",
    "NETFILTER_XT_MATCH_COMMENT": "xt_comment",
    "NETFILTER_XT_MATCH_CONNTRACK": "xt_conntrack",
    "NETFILTER_XT_MATCH_IPVS": "xt_ipvs",
    "NETFILTER_XT_MATCH_MULTIPORT": "xt_multiport",
    "NETFILTER_XT_MATCH_RECENT": "xt_recent",
    "NETFILTER_XT_MATCH_STATISTIC": "xt_statistic",
    "NETFILTER_XT_NAT": "xt_nat",
    "NETFILTER_XT_SET": "xt_set",
    "NETFILTER_XT_TARGET_MASQUERADE": "xt_MASQUERADE",
    "NETFILTER_XT_TARGET_REDIRECT": "xt_REDIRECT",
    "NFT_CT": "nft_ct",
    "NFT_FIB": "nft_fib",
    "NFT_FIB_IPV4": "nft_fib_ipv4",
    "NFT_FIB_IPV6": "nft_fib_ipv6",
    "NFT_MASQ": "nft_masq",
    "NFT_NAT": "nft_nat",
    "NF_CONNTRACK": "nf_conntrack",
    "NF_CONNTRACK_FTP": "nf_conntrack_ftp",
    "NF_CONNTRACK_IPV4": "nf_conntrack_ipv4",
    "NF_CONNTRACK_IPV6": "nf_conntrack_ipv6",
    "NF_CONNTRACK_TFTP": "nf_conntrack_tftp",
    "NF_DEFRAG_IPV4": "nf_defrag_ipv4",
    "NF_DEFRAG_IPV6": "nf_defrag_ipv6",
    "NF_NAT": "nf_nat",
    "NF_NAT_FTP": "nf_nat_ftp",
    "NF_NAT_IPV4": "nf_nat_ipv4",
    "NF_NAT_IPV6": "nf_nat_ipv6",
    "NF_NAT_TFTP": "nf_nat_tftp",
    "NF_REJECT_IPV4": "nf_reject_ipv4",
    "NF_TABLES": "nf_tables",
    "OVERLAY_FS": "overlay",
    "STP": "stp",
    "VETH": "veth",
    "VXLAN": "vxlan",
    "XFRM_USER": "xfrm_user",
}


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


HISTORY: dict[str, SymbolHistory] = {
    entry.symbol: entry
    for entry in (
        SymbolHistory(
            "NF_CONNTRACK_IPV4",
            "merged into CONFIG_NF_CONNTRACK in Linux 4.19",
            until=(4, 19),
            replacement=("NF_CONNTRACK",),
        ),
        SymbolHistory(
            "NF_CONNTRACK_IPV6",
            "merged into CONFIG_NF_CONNTRACK in Linux 4.19",
            until=(4, 19),
            replacement=("NF_CONNTRACK",),
        ),
        SymbolHistory(
            "NF_NAT_IPV4",
            "merged into CONFIG_NF_NAT in Linux 5.1",
            until=(5, 1),
            replacement=("NF_NAT",),
        ),
        SymbolHistory(
            "NF_NAT_IPV6",
            "merged into CONFIG_NF_NAT in Linux 5.1",
            until=(5, 1),
            replacement=("NF_NAT",),
        ),
        SymbolHistory(
            "NETFILTER_XT_TARGET_MASQUERADE",
            "introduced in Linux 5.2; older kernels have CONFIG_IP_NF_TARGET_MASQUERADE and"
            " CONFIG_IP6_NF_TARGET_MASQUERADE instead",
            since=(5, 2),
            replacement=("IP_NF_TARGET_MASQUERADE", "IP6_NF_TARGET_MASQUERADE"),
        ),
        SymbolHistory(
            "NF_NAT_NEEDED",
            "removed in Linux 5.2 (NAT is always available with CONFIG_NF_NAT)",
            until=(5, 2),
            replacement=("NF_NAT",),
        ),
        SymbolHistory(
            "MEMCG_SWAP_ENABLED",
            "removed in Linux 5.8 (swap accounting is on by default)",
            until=(5, 8),
            replacement=("MEMCG",),
        ),
        SymbolHistory(
            "MEMCG_SWAP",
            "removed in Linux 6.1 (swap accounting is part of CONFIG_MEMCG)",
            until=(6, 1),
            replacement=("MEMCG",),
        ),
        SymbolHistory(
            "IOSCHED_CFQ",
            "removed in Linux 5.0 with the legacy block layer; BFQ replaces it",
            until=(5, 0),
            replacement=("IOSCHED_BFQ",),
        ),
        SymbolHistory(
            "CFQ_GROUP_IOSCHED",
            "removed in Linux 5.0 with the legacy block layer; BFQ_GROUP_IOSCHED replaces it",
            until=(5, 0),
            replacement=("BFQ_GROUP_IOSCHED",),
        ),
        SymbolHistory(
            "MEMCG_KMEM",
            "made part of CONFIG_MEMCG in Linux 4.6",
            until=(4, 6),
            replacement=("MEMCG",),
        ),
    )
}


def parse_version(release: str) -> tuple[int, ...] | None:
    """``6.1.0-13-amd64`` gives ``(6, 1, 0)``; ``None`` when it does not start with a number."""
    parts: list[int] = []
    for piece in release.split(".")[:3]:
        digits = ""
        for char in piece:
            if not char.isdigit():
                break
            digits += char
        if not digits:
            break
        parts.append(int(digits))
        if len(digits) != len(piece):
            break
    return tuple(parts) if len(parts) >= 2 else None
