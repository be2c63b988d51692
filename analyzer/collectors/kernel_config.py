"""Where a kernel's configuration comes from, in k0s's order, and what k0s itself would read.

The configuration is the first of k0s's candidate files that exists (``/proc/config.gz`` cannot
exist offline), then the one named after the image (``/boot/config-lts``), then the release's
``configs.ko`` (``CONFIG_IKCONFIG=m``), then the configuration embedded in the kernel image or
in a UKI's ``.linux`` section (``CONFIG_IKCONFIG=y``).
"""

from __future__ import annotations

from analyzer.collectors.kernel_modules import MODULE_ROOTS, MODULE_SUFFIXES
from analyzer.facts.kernel import ConfigSource
from analyzer.kernel.kconfig import KConfig, parse
from analyzer.kerneldecode.ikconfig import CONFIGS_MODULE, ConfigsModule
from analyzer.kerneldecode.image import KernelImageInfo
from analyzer.model import Location
from analyzer.vfs.tree import NotCaptured, ResolveError, Tree

#: k0s's candidate configuration files after ``/proc/config.gz``, in its order.
CONFIG_CANDIDATES = (
    "/boot/config-{R}",
    "/usr/src/linux-{R}/.config",
    "/usr/src/linux/.config",
    "/usr/lib/modules/{R}/config",
    "/usr/lib/ostree-boot/config-{R}",
    "/usr/lib/kernel/config-{R}",
    "/usr/src/linux-headers-{R}/.config",
    "/lib/modules/{R}/build/.config",
)
CONFIG_CAP = 2 << 20


def k0s_config(tree: Tree, release: str) -> Location | None:
    """The first of the files k0s's pre-flight reads for ``release`` that the image has."""
    candidates = (c.format(R=release) for c in CONFIG_CANDIDATES)
    return next((tree.location(path) for path in candidates if tree.exists(path)), None)


def configs_module(tree: Tree, release: str) -> tuple[Location | None, ConfigsModule | None]:
    """The release's ``configs.ko`` (any module compression) and what it holds."""
    for root in MODULE_ROOTS:
        for suffix in MODULE_SUFFIXES:
            path = f"{root}/{release}/kernel/kernel/configs{suffix}"
            try:
                record = tree.stat(path).records.get(CONFIGS_MODULE)
            except ResolveError:
                continue
            if record is not None:
                return tree.location(path), record
    return None, None


def find_config(
    tree: Tree,
    release: str,
    aliases: tuple[str, ...],
    module: tuple[Location | None, ConfigsModule | None],
    kernel_image: tuple[Location | None, KernelImageInfo | None],
) -> tuple[KConfig | None, Location | None, ConfigSource, tuple[str, ...], str]:
    """The configuration, where it was read (from the tree lookup), its kind, and what was tried.

    The kind is ``file``, ``configs-module`` (``configs.ko``), ``ikconfig`` (embedded in the
    kernel image) or ``none``.
    """
    searched = [c.format(R=release) for c in CONFIG_CANDIDATES]
    searched += [f"/boot/config-{alias}" for alias in aliases]
    for path in searched:
        if not tree.exists(path):
            continue
        try:
            data = tree.read(path)
        except (ResolveError, NotCaptured):
            return (
                None,
                tree.location(path),
                ConfigSource.NONE,
                tuple(searched),
                f"{path} exists but could not be read",
            )
        text = data.decode("utf-8", "replace")
        config = parse(text.splitlines())
        return config, tree.location(path), ConfigSource.FILE, tuple(searched), ""
    module_at, configs = module
    if module_at is not None and configs is not None:
        searched.append(f"{module_at.path} (IKCONFIG module)")
        if configs.config is not None:
            config = parse(configs.config.splitlines())
            return config, module_at, ConfigSource.CONFIGS_MODULE, tuple(searched), ""
    image_at, image = kernel_image
    if image is not None and image.config is not None and image_at is not None:
        searched.append(f"{image_at.path} (IKCONFIG)")
        return (
            parse(image.config.splitlines()),
            image_at,
            ConfigSource.IKCONFIG,
            tuple(searched),
            "",
        )
    if image_at is not None:
        searched.append(f"{image_at.path} (IKCONFIG)")
    problem = f"no kernel config found for {release} in {', '.join(searched)}"
    return None, None, ConfigSource.NONE, tuple(searched), problem
