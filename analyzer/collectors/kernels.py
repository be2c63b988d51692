"""Every kernel the image carries: release, default, config source, modules, command line.

Kernels are found from ``/boot`` (``vmlinuz-R``, ``config-R``), ``/lib/modules/R`` and
``/usr/lib/modules/R`` (with the ``vmlinuz`` inside), ``/usr/lib/ostree-boot``,
``/usr/lib/kernel``, boot-loader-spec entries and unified kernel images (their ``.uname``); a
kernel image's own banner names its release.
Where each kernel's configuration comes from is :mod:`analyzer.collectors.kernel_config`.
"""

from __future__ import annotations

import re

from analyzer.collectors.base import CollectContext
from analyzer.collectors.initsystem import CAPTURE as INIT_CAPTURE
from analyzer.collectors.initsystem import detect_init
from analyzer.collectors.kernel_boot import (
    BLS_DIRS,
    EXTLINUX_CONFS,
    GRUB_CFGS,
    GRUB_DEFAULTS,
    GRUB_DROPINS,
    GRUBENVS,
    KERNEL_CMDLINE,
    LOADER_CONFS,
    UPDATE_EXTLINUX,
    read_boot_config,
)
from analyzer.collectors.kernel_config import CONFIG_CAP, configs_module, find_config, k0s_config
from analyzer.collectors.kernel_modules import (
    MODULE_ROOTS,
    modules_directory,
    read_modules,
)
from analyzer.collectors.textfiles import read_lines
from analyzer.facts import APPARMOR, KERNELS
from analyzer.facts.kernel import Kernel
from analyzer.kernel.cgroups import AppArmorState, apparmor_state, infer_hierarchy
from analyzer.kerneldecode.image import KERNEL_IMAGE, KernelImageInfo
from analyzer.model import Fact, FactId, Facts, FactStore, Level, Notification
from analyzer.stream.capture import CapturePattern
from analyzer.vfs.tree import ResolveError, Tree

IMAGE_GLOBS = (
    "/boot/*",
    "/boot/*/*",
    "/lib/modules/*/*",
    "/usr/lib/modules/*/*",
    "/usr/lib/ostree-boot/*",
    "/usr/lib/kernel/*",
)
_BOOT_NAME = re.compile(r"(?:vmlinu[xz]|bzImage|zImage|Image|config)-(.+)")
_OSTREE_SUFFIX = re.compile(r"-[0-9a-f]{64}\Z")
NO_KERNEL = "no kernel in this artefact: kernel requirements cannot be determined from it"


def release_key(release: str) -> tuple[tuple[int, ...], str]:
    """Sort key: version numbers first, then the text (so ``6.1.0-13`` < ``6.1.0-9`` is fixed)."""
    numbers = tuple(int(n) for n in re.findall(r"\d+", release))
    return numbers, release


def _capture() -> tuple[CapturePattern, ...]:
    configs = (
        "/boot/config-*",
        "/usr/src/linux*/.config",
        "/usr/lib/modules/*/config",
        "/lib/modules/*/config",
        "/usr/lib/ostree-boot/config-*",
        "/usr/lib/kernel/config-*",
    )
    small = (
        GRUB_DEFAULTS,
        GRUB_DROPINS,
        *GRUB_CFGS,
        *GRUBENVS,
        *(f"{directory}/*.conf" for directory in BLS_DIRS),
        *LOADER_CONFS,
        KERNEL_CMDLINE,
        *EXTLINUX_CONFS,
        UPDATE_EXTLINUX,
    )
    modules = [
        CapturePattern(f"{root}/*/{name}", 8 << 20)
        for root in MODULE_ROOTS
        for name in ("modules.dep", "modules.builtin")
    ]
    return (
        *INIT_CAPTURE,
        *(CapturePattern(glob, CONFIG_CAP) for glob in configs),
        *(CapturePattern(glob) for glob in small),
        *modules,
    )


class KernelsCollector:
    """Produces ``kernels`` (each :class:`~analyzer.facts.kernel.Kernel`) and ``apparmor``."""

    name = "kernels"
    provides: tuple[FactId, ...] = (KERNELS, APPARMOR)
    requires: tuple[FactId, ...] = ()
    capture = _capture()

    def collect(self, ctx: CollectContext, facts: Facts, notes: list[Notification]) -> FactStore:
        """Discover kernels and describe each one."""
        del facts
        tree = ctx.tree
        images = _images(tree)
        boot = read_boot_config(tree)
        for uki in boot.ukis:
            notes.extend(
                Notification(Level.WARNING, "kernel.uki", problem, tree.location(uki.path))
                for problem in uki.info.problems
            )
            if uki.info.kernel is not None:
                images[uki.path] = uki.info.kernel
        releases, aliases = _releases(tree, images)
        releases.update(uki.info.uname for uki in boot.ukis if uki.info.uname)
        if not releases:
            out = FactStore.one(KERNELS, Fact.absent(NO_KERNEL))
            out.put(APPARMOR, Fact.unknown(NO_KERNEL))
            return out
        init = detect_init(tree).details
        ordered = sorted(releases, key=release_key)
        chosen = boot.default_release(ordered)
        default, why = (
            chosen if chosen else (ordered[-1], "the newest release (no boot default found)")
        )
        kernels = []
        for release in ordered:
            image_path, image = _image_for(release, images)
            image_at = tree.location(image_path) if image_path is not None else None
            module_at, module = configs_module(tree, release)
            if module is not None and module_at is not None:
                problems = list(module.problems)
                if module.vermagic is not None and module.vermagic != release:
                    problems.append(
                        f"built for kernel {module.vermagic}, not {release}: its configuration"
                        " may not be this kernel's"
                    )
                notes.extend(
                    Notification(Level.WARNING, "kernel.configs", problem, module_at)
                    for problem in problems
                )
            config, config_at, source, searched, problem = find_config(
                tree, release, aliases.get(release, ()), (module_at, module), (image_at, image)
            )
            params = tuple(boot.params_for(release))
            armor = None
            if config is not None and config_at is not None:
                armor = apparmor_state(config, config_at, params)
                for duplicate in config.duplicates:
                    notes.append(
                        Notification(
                            Level.NOTE,
                            "kconfig.duplicate",
                            f"CONFIG_{duplicate.name} is set on lines "
                            f"{', '.join(map(str, duplicate.lines))}; the last one counts",
                            config_at.at_line(duplicate.lines[-1]),
                        )
                    )
            kernels.append(
                Kernel(
                    release=release,
                    default=release == default,
                    default_reason=why if release == default else "",
                    image=image_at,
                    image_release=image.release if image else None,
                    image_problems=image.problems if image else (),
                    config_file=config_at,
                    config_source=source,
                    config_searched=searched,
                    config_problem=problem,
                    k0s_config=k0s_config(tree, release),
                    configs_module=module_at,
                    modules=read_modules(tree, release),
                    cmdline=params,
                    boot_files=boot.files,
                    cgroup=infer_hierarchy(params, init),
                    apparmor=armor,
                    _config=config,
                )
            )
        ordered_kernels = tuple(sorted(kernels, key=lambda k: (not k.default, k.release)))
        head = ordered_kernels[0]
        out = FactStore.one(KERNELS, Fact.present(ordered_kernels, head.location))
        apparmor: Fact[AppArmorState]
        if head.apparmor is not None:
            apparmor = Fact.present(head.apparmor, head.apparmor.location)
        else:
            apparmor = Fact.unknown(
                f"no kernel configuration for {head.release}: {head.config_problem}"
            )
        out.put(APPARMOR, apparmor)
        return out


def _images(tree: Tree) -> dict[str, KernelImageInfo]:
    found: dict[str, KernelImageInfo] = {}
    for pattern in IMAGE_GLOBS:
        for path in tree.glob(pattern):
            try:
                node = tree.stat(path)
            except ResolveError:
                continue
            record = node.records.get(KERNEL_IMAGE)
            if record is not None:
                found[path] = record
    return found


def _name_release(path: str) -> str | None:
    parent, _, name = path.rpartition("/")
    for root in MODULE_ROOTS:
        if parent.startswith(root + "/") and parent.count("/") == root.count("/") + 1:
            return parent.rsplit("/", 1)[-1]
    match = _BOOT_NAME.fullmatch(name)
    if not match:
        return None
    return _OSTREE_SUFFIX.sub("", match.group(1))


def _releases(
    tree: Tree, images: dict[str, KernelImageInfo]
) -> tuple[set[str], dict[str, tuple[str, ...]]]:
    """Every release, and per release the other names its files use (``lts`` for Alpine)."""
    releases: set[str] = set()
    aliases: dict[str, tuple[str, ...]] = {}
    for path, image in images.items():
        named = _name_release(path)
        release = image.release or named
        if release:
            releases.add(release)
            if named and named != release:
                aliases[release] = (*aliases.get(release, ()), named)
    alias_names = {name for names in aliases.values() for name in names}
    for root, name in tree.listdirs(MODULE_ROOTS):
        if modules_directory(tree, name) is not None or _has_kernel_file(tree, f"{root}/{name}"):
            releases.add(name)
    for pattern in ("/boot/config-*", "/usr/lib/ostree-boot/config-*", "/usr/lib/kernel/config-*"):
        for path in tree.glob(pattern):
            named = _name_release(path)
            if named and named not in alias_names:
                releases.add(named)
    for directory in BLS_DIRS:
        for path in tree.glob(f"{directory}/*.conf"):
            for line in read_lines(tree, path).lines or []:
                key, _, value = line.strip().partition(" ")
                if key == "version" and value.strip():
                    releases.add(value.strip())
    return releases, aliases


def _has_kernel_file(tree: Tree, directory: str) -> bool:
    return any(tree.exists(f"{directory}/{name}") for name in ("vmlinuz", "config", "Image"))


def _image_for(
    release: str, images: dict[str, KernelImageInfo]
) -> tuple[str | None, KernelImageInfo | None]:
    ranked = sorted(
        (
            path
            for path, image in images.items()
            if image.release == release or _name_release(path) == release
        ),
        key=lambda p: (not p.startswith("/boot/"), p),
    )
    return (ranked[0], images[ranked[0]]) if ranked else (None, None)
