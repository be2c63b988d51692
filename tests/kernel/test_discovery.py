"""Kernel discovery: several kernels, the boot default, and the embedded configuration."""

from __future__ import annotations

from collections.abc import Mapping

from builders import Item
from kernel_synth import bzimage, compress, vmlinux
from scenarios import build

from analyzer.collectors.base import CollectContext
from analyzer.collectors.kernels import KernelsCollector
from analyzer.facts import KERNELS
from analyzer.facts.kernel import Kernel
from analyzer.model import FactStore, Notification, TargetInfo, TargetKind

OLD, NEW = "6.1.0-9-amd64", "6.1.0-13-amd64"
GRUB_CFG = f"""\
set default="0"
menuentry 'Debian GNU/Linux' --class debian {{
	linux /boot/vmlinuz-{NEW} root=/dev/vda1 ro quiet
}}
submenu 'Advanced options for Debian GNU/Linux' {{
	menuentry 'Debian GNU/Linux, with Linux {NEW}' {{
		linux /boot/vmlinuz-{NEW} root=/dev/vda1 ro quiet
	}}
	menuentry 'Debian GNU/Linux, with Linux {OLD}' {{
		linux /boot/vmlinuz-{OLD} root=/dev/vda1 ro cgroup_disable=memory
	}}
}}
"""


def kernels(spec: Mapping[str, Item]) -> tuple[tuple[Kernel, ...], list[Notification]]:
    tree = build(spec)
    notes: list[Notification] = []
    ctx = CollectContext(tree, TargetInfo("t", "dir", TargetKind.ROOTFS))
    fact = KernelsCollector().collect(ctx, FactStore(), notes).get(KERNELS)
    return fact.get(), notes


def test_newest_release_is_default_without_boot_loader() -> None:
    found, _ = kernels(
        {f"boot/config-{OLD}": "CONFIG_NET=y\n", f"boot/config-{NEW}": "CONFIG_NET=y\n"}
    )
    assert [(k.release, k.default) for k in found] == [(NEW, True), (OLD, False)]
    assert found[0].default_reason == "the newest release (no boot default found)"


def test_grub_default_into_submenu_picks_the_older_kernel() -> None:
    spec = {
        f"boot/config-{OLD}": "CONFIG_NET=y\n",
        f"boot/config-{NEW}": "CONFIG_NET=y\n",
        "boot/grub/grub.cfg": GRUB_CFG,
        "etc/default/grub": 'GRUB_DEFAULT="1>1"\n',
    }
    found, _ = kernels(spec)
    default = next(k for k in found if k.default)
    assert default.release == OLD
    assert default.default_reason == "GRUB_DEFAULT=1>1 (/etc/default/grub:1)"
    [param] = [p for p in default.cmdline if p.name == "cgroup_disable"]
    assert (param.path, param.line) == ("/boot/grub/grub.cfg", 10)


def test_embedded_config_is_used_when_no_file_exists() -> None:
    image = bzimage(compress("xz", vmlinux(NEW, config="CONFIG_NET=y\n# CONFIG_INET is not set\n")))
    found, _ = kernels({f"boot/vmlinuz-{NEW}": image, f"lib/modules/{NEW}/modules.builtin": ""})
    [kernel] = found
    assert (kernel.config_source, kernel.config_path) == ("ikconfig", f"/boot/vmlinuz-{NEW}")
    assert kernel.config is not None and not kernel.config.enabled("INET")
    assert kernel.config_evidence() == f"configuration embedded in /boot/vmlinuz-{NEW} (IKCONFIG)"


def test_config_file_wins_over_embedded_config_in_k0s_order() -> None:
    image = bzimage(compress("gzip", vmlinux(NEW, config="CONFIG_NET=n\n")))
    spec: dict[str, Item] = {
        f"boot/vmlinuz-{NEW}": image,
        f"usr/lib/modules/{NEW}/config": "CONFIG_NET=y\n",
    }
    [kernel] = kernels(spec)[0]
    assert (kernel.config_source, kernel.config_path) == ("file", f"/usr/lib/modules/{NEW}/config")


def test_image_named_by_flavour_maps_config_by_its_banner() -> None:
    release = "6.6.31-0-lts"
    image = bzimage(compress("gzip", vmlinux(release, config=None)))
    spec: dict[str, Item] = {"boot/vmlinuz-lts": image, "boot/config-lts": "CONFIG_NET=y\n"}
    [kernel] = kernels(spec)[0]
    assert (kernel.release, kernel.config_path) == (release, "/boot/config-lts")


def test_duplicate_symbol_is_a_notification() -> None:
    _, notes = kernels({f"boot/config-{NEW}": "CONFIG_NET=y\nCONFIG_NET=m\n"})
    assert [(n.code, n.location) for n in notes] == [
        ("kconfig.duplicate", notes[0].location),
    ]
    assert notes[0].message == "CONFIG_NET is set on lines 1, 2; the last one counts"
    assert notes[0].location is not None and notes[0].location.line == 2
