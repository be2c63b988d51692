"""A module ships when its file is in the image, not because ``modules.dep`` lists it."""

from __future__ import annotations

import gzip
import lzma
from collections.abc import Callable
from pathlib import Path

import pytest
import zstandard
from builders import Item
from scenarios import only, scan
from test_kernel_rules import R, rootfs
from test_peer_packs import turn_off

from analyzer.kernel.symbols import BUILTIN_ONLY, MODULE_OF
from analyzer.model import Level, Outcome
from analyzer.policy.leaves.kconfig import Kconfig
from analyzer.policy.loader import load_rules
from analyzer.policy.packs import bundled_packs
from analyzer.policy.rule import Check, iter_leaves

BASE = f"lib/modules/{R}"
DEP = f"/{BASE}/modules.dep"
#: A slice of a real Debian ``modules.dep``: each module with the modules it needs.
DEP_LINES = (
    "kernel/net/netfilter/nf_conntrack.ko: kernel/net/ipv6/netfilter/nf_defrag_ipv6.ko"
    " kernel/net/ipv4/netfilter/nf_defrag_ipv4.ko kernel/lib/libcrc32c.ko",
    "kernel/net/ipv6/netfilter/nf_defrag_ipv6.ko:",
    "kernel/net/ipv4/netfilter/nf_defrag_ipv4.ko:",
    "kernel/lib/libcrc32c.ko:",
    "kernel/fs/overlayfs/overlay.ko:",
    "kernel/net/netfilter/x_tables.ko:",
    "kernel/net/sched/cls_cgroup.ko:",
    "kernel/net/xfrm/xfrm_algo.ko:",
)
NF_CONNTRACK_DEP_LINE = 1
OVERLAY_DEP_LINE = 5
CLS_CGROUP_DEP_LINE = 7


def modules_tree(deleted: tuple[str, ...] = (), compress: str = "") -> dict[str, Item]:
    """``/lib/modules/R`` as depmod writes it, minus the ``deleted`` module files."""
    listed = [line.split(":", 1)[0] for line in DEP_LINES]
    packers: dict[str, Callable[[bytes], bytes]] = {
        "": bytes,
        ".xz": lzma.compress,
        ".gz": gzip.compress,
        ".zst": zstandard.ZstdCompressor().compress,
    }
    tree: dict[str, Item] = {
        f"{BASE}/modules.dep": "".join(
            line.replace(".ko", ".ko" + compress) + "\n" for line in DEP_LINES
        ),
        f"{BASE}/modules.builtin": "kernel/fs/ext4/ext4.ko\n",
    }
    for path in listed:
        if not any(path.endswith(f"/{name}.ko") for name in deleted):
            tree[f"{BASE}/{path}{compress}"] = packers[compress](b"\x7fELF module")
    return tree


def test_module_listed_in_modules_dep_but_deleted_is_its_own_failure(tmp_path: Path) -> None:
    spec = rootfs(extra=modules_tree(deleted=("nf_conntrack",)))
    result = scan(tmp_path, spec, role="worker")
    evaluation = only(result, "k0s.kconfig.CONFIG_NF_CONNTRACK")
    assert (evaluation.outcome, evaluation.level) == (Outcome.FAIL, Level.ERROR)
    assert evaluation.message == (
        "CONFIG_NF_CONNTRACK=m: nf_conntrack is listed in modules.dep but"
        " kernel/net/netfilter/nf_conntrack.ko is not in the image"
    )
    assert (evaluation.location.path, evaluation.location.line) == (DEP, NF_CONNTRACK_DEP_LINE)
    loadable = only(result, "k0s.kernel.module.nf_conntrack")
    assert (loadable.outcome, loadable.level) == (Outcome.FAIL, Level.WARNING)
    assert (loadable.location.path, loadable.location.line) == (DEP, NF_CONNTRACK_DEP_LINE)
    assert only(result, "k0s.kernel.module.overlay").outcome is Outcome.PASS


def test_deleted_overlay_fails_the_module_rule_without_a_config(tmp_path: Path) -> None:
    spec = {**modules_tree(deleted=("overlay",)), "etc/hosts": "127.0.0.1 localhost\n"}
    evaluation = only(scan(tmp_path, spec, role="worker"), "k0s.kernel.module.overlay")
    assert evaluation.outcome is Outcome.FAIL
    assert evaluation.message == (
        "overlay cannot be loaded: overlay is listed in modules.dep but"
        " kernel/fs/overlayfs/overlay.ko is not in the image"
    )
    assert (evaluation.location.path, evaluation.location.line) == (DEP, OVERLAY_DEP_LINE)


@pytest.mark.parametrize("compress", ["", ".xz", ".zst", ".gz"])
def test_listed_module_present_in_any_compression_ships(tmp_path: Path, compress: str) -> None:
    result = scan(tmp_path, rootfs(extra=modules_tree(compress=compress)), role="worker")
    evaluation = only(result, "k0s.kconfig.CONFIG_NF_CONNTRACK")
    assert evaluation.outcome is Outcome.PASS
    assert evaluation.message == f"CONFIG_NF_CONNTRACK=m; nf_conntrack ships in /{BASE}"


def test_listed_plain_but_shipped_compressed_at_that_path_ships(tmp_path: Path) -> None:
    tree = modules_tree(deleted=("nf_conntrack",))
    tree[f"{BASE}/kernel/net/netfilter/nf_conntrack.ko.zst"] = b"(\xb5/\xfd"
    result = scan(tmp_path, rootfs(extra=tree), role="worker")
    assert only(result, "k0s.kconfig.CONFIG_NF_CONNTRACK").outcome is Outcome.PASS


def test_module_found_elsewhere_in_the_modules_tree_ships(tmp_path: Path) -> None:
    tree = modules_tree(deleted=("nf_conntrack",))
    tree[f"{BASE}/updates/dkms/nf_conntrack.ko"] = b"\x7fELF"
    result = scan(tmp_path, rootfs(extra=tree), role="worker")
    assert only(result, "k0s.kconfig.CONFIG_NF_CONNTRACK").outcome is Outcome.PASS


def test_docker_module_symbols_are_checked_against_the_tree(tmp_path: Path) -> None:
    result = scan(
        tmp_path, rootfs(extra=modules_tree(deleted=("cls_cgroup",))), profiles=("docker",)
    )
    evaluation = only(result, "docker.kconfig.CONFIG_NET_CLS_CGROUP")
    assert (evaluation.outcome, evaluation.level) == (Outcome.FAIL, Level.WARNING)
    assert evaluation.message == (
        "CONFIG_NET_CLS_CGROUP=m: cls_cgroup is listed in modules.dep but"
        " kernel/net/sched/cls_cgroup.ko is not in the image"
    )
    assert (evaluation.location.path, evaluation.location.line) == (DEP, CLS_CGROUP_DEP_LINE)
    algo = only(result, "docker.kconfig.CONFIG_XFRM_ALGO")
    assert (algo.outcome, algo.message) == (
        Outcome.PASS,
        f"CONFIG_XFRM_ALGO=m; xfrm_algo ships in /{BASE}",
    )


def test_module_in_neither_listing_nor_tree_names_the_directory(tmp_path: Path) -> None:
    config = turn_off("NF_CONNTRACK", "m").replace(
        "# CONFIG_NF_CONNTRACK is not set\n", "CONFIG_NF_CONNTRACK=m\n"
    )
    tree = {k: v for k, v in modules_tree(deleted=("nf_conntrack",)).items()}
    tree[f"{BASE}/modules.dep"] = "kernel/fs/overlayfs/overlay.ko:\n"
    evaluation = only(
        scan(tmp_path, rootfs(config, tree), role="worker"), "k0s.kconfig.CONFIG_NF_CONNTRACK"
    )
    assert evaluation.outcome is Outcome.FAIL
    assert evaluation.message == f"CONFIG_NF_CONNTRACK=m, but module nf_conntrack is not in /{BASE}"


def kconfig_leaves(check: Check) -> list[Kconfig]:
    """Every ``kconfig`` leaf of a check tree."""
    return [leaf for leaf in iter_leaves(check) if isinstance(leaf, Kconfig)]


def test_every_symbol_a_pack_accepts_as_m_names_its_module_or_is_bool() -> None:
    unmapped = set()
    seen = set()
    for rule in load_rules(bundled_packs()):
        for leaf in kconfig_leaves(rule.check):
            if "m" not in leaf.values or not leaf.module_check:
                continue
            for symbol in (leaf.symbol, *leaf.alternatives):
                seen.add(symbol)
                explicit = leaf.module is not None and symbol == leaf.symbol
                if not explicit and symbol not in MODULE_OF and symbol not in BUILTIN_ONLY:
                    unmapped.add(symbol)
    assert unmapped == set()
    assert {"NET_CLS_CGROUP", "XFRM_ALGO", "INET_XFRM_MODE_TRANSPORT"} <= seen & set(MODULE_OF)
    assert set(MODULE_OF) & BUILTIN_ONLY == set()
    assert seen >= BUILTIN_ONLY, "a bool symbol no pack names"
