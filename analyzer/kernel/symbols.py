"""Facts about kernel symbols that a configuration file does not say itself.

:data:`MODULE_OF` names the module a tristate symbol builds when it is ``=m`` (from the
``obj-$(CONFIG_X) += name.o`` lines of the kernel's Makefiles), so ``=m`` can be checked
against the modules that actually ship; :data:`BUILTIN_ONLY` lists the ``bool`` symbols, which
are never modules. Every symbol a bundled pack accepts as ``=m`` is in one of the two (a test
holds the packs to it). Version history is in :mod:`analyzer.kernel.history`.
"""

from __future__ import annotations

#: Module built by each tristate symbol the rule packs ask about (without ``CONFIG_``);
#: ``a|b`` when the name changed between kernel versions (either one counts).
MODULE_OF: dict[str, str] = {
    "AUFS_FS": "aufs",
    "BLK_DEV_DM": "dm_mod",
    "BRIDGE": "bridge",
    "BRIDGE_NETFILTER": "br_netfilter",
    "BTRFS_FS": "btrfs",
    "CRYPTO": "crypto",
    "CRYPTO_AEAD": "aead",
    "CRYPTO_GCM": "gcm",
    "CRYPTO_GHASH": "ghash_generic",
    "CRYPTO_SEQIV": "seqiv",
    "DUMMY": "dummy",
    "EXT3_FS": "ext4|ext3",
    "EXT4_FS": "ext4",
    "INET_ESP": "esp4",
    "INET_XFRM_MODE_TRANSPORT": "xfrm4_mode_transport",
    "IOSCHED_CFQ": "cfq_iosched",
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
    "NETPRIO_CGROUP": "netprio_cgroup",
    "NET_CLS_CGROUP": "cls_cgroup",
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
    "OVERLAYFS_FS": "overlayfs",
    "OVERLAY_FS": "overlay",
    "STP": "stp",
    "VETH": "veth",
    "VXLAN": "vxlan",
    "XFRM_ALGO": "xfrm_algo",
    "XFRM_USER": "xfrm_user",
}


#: Symbols the rule packs name that Kconfig declares ``bool``: they are ``y`` or off, never a
#: module, so there is no module file to look for.
BUILTIN_ONLY: frozenset[str] = frozenset(
    {
        "BLK_CGROUP",
        "BLK_DEV_THROTTLING",
        "BRIDGE_VLAN_FILTERING",
        "BTRFS_FS_POSIX_ACL",
        "CFQ_GROUP_IOSCHED",
        "CFS_BANDWIDTH",
        "CGROUPS",
        "CGROUP_BPF",
        "CGROUP_CPUACCT",
        "CGROUP_DEVICE",
        "CGROUP_FREEZER",
        "CGROUP_HUGETLB",
        "CGROUP_NET_PRIO",
        "CGROUP_PERF",
        "CGROUP_PIDS",
        "CGROUP_SCHED",
        "CPUSETS",
        "DEVPTS_MULTIPLE_INSTANCES",
        "EXT3_FS_POSIX_ACL",
        "EXT3_FS_SECURITY",
        "EXT3_FS_XATTR",
        "EXT4_FS_POSIX_ACL",
        "EXT4_FS_SECURITY",
        "FAIR_GROUP_SCHED",
        "INET",
        "IPC_NS",
        "IP_VS_NFCT",
        "IP_VS_PROTO_TCP",
        "IP_VS_PROTO_UDP",
        "KEYS",
        "MEMCG",
        "MEMCG_KMEM",
        "MEMCG_SWAP",
        "MEMCG_SWAP_ENABLED",
        "NAMESPACES",
        "NET",
        "NETFILTER",
        "NETFILTER_ADVANCED",
        "NET_NS",
        "NF_NAT_NEEDED",
        "PID_NS",
        "POSIX_MQUEUE",
        "PROC_FS",
        "RESOURCE_COUNTERS",
        "SECCOMP",
        "SECCOMP_FILTER",
        "SECURITY_APPARMOR",
        "SECURITY_SELINUX",
        "USER_NS",
        "UTS_NS",
        "XFRM",
    }
)


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
