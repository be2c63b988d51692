"""Every fact the analysis knows, as a typed key: ``facts.get(KERNELS)`` is a ``Fact[...]``.

Collectors write facts with these keys (:class:`~analyzer.model.FactStore`), rules and reports
read them with the same keys (:class:`~analyzer.model.Facts`), so a fact has one type from
the collector that makes it to every reader. The value types live beside the keys, in the
modules of this package; a collector only computes them.

:data:`KEYS` lists every key; :data:`SOURCE_KEYS` are those whose value comes from the source
itself (image configuration, disk layout) rather than from reading the tree.
"""

from __future__ import annotations

from collections.abc import Mapping

from analyzer.facts.accounts import Accounts
from analyzer.facts.containerd import Snippet
from analyzer.facts.executables import Executables
from analyzer.facts.files import FileIndex
from analyzer.facts.identity import HostName, MachineIds
from analyzer.facts.image import ImageConfig
from analyzer.facts.kernel import Kernel, ModulesLoad
from analyzer.facts.linkage import Linkage, StaticBinary
from analyzer.facts.names import NameResolution
from analyzer.facts.os import ImageArch, OsIdentity
from analyzer.facts.services import Services
from analyzer.kernel.cgroups import AppArmorState
from analyzer.model import JSON, FactId, FactKey, TargetKind
from analyzer.packages.installed import InstalledPackages
from analyzer.stream.elfrecord import ElfRecord

TARGET: FactKey[TargetKind] = FactKey("target", "what the artefact becomes: rootfs, container, VM")
DISK: FactKey[Mapping[str, JSON]] = FactKey(
    "disk", "a VM disk's format, partitions and file systems (JSON-ready values)"
)
IMAGE_CONFIG: FactKey[ImageConfig] = FactKey(
    "image_config", "the container image configuration: platform, Env, User, history"
)
NAME_RESOLUTION: FactKey[NameResolution] = FactKey(
    "name_resolution", "how localhost resolves: /etc/hosts, resolv.conf, nsswitch, resolved"
)
FILES: FactKey[FileIndex] = FactKey("files", "glob and look-up over the tree")
MACHINE_ID: FactKey[MachineIds] = FactKey("machine_id", "/etc/machine-id and its D-Bus copy")
HOSTNAME: FactKey[HostName] = FactKey("hostname", "/etc/hostname")
CONTAINERD_SNIPPETS: FactKey[Mapping[str, Snippet]] = FactKey(
    "containerd_snippets", "k0s containerd configuration snippets by path"
)
EXECUTABLES: FactKey[Executables] = FactKey("executables", "names found over the search path")
OS: FactKey[OsIdentity] = FactKey("os", "os-release, architecture and init system")
ELF_FILES: FactKey[Mapping[str, ElfRecord]] = FactKey("elf_files", "every ELF record by path")
IMAGE_ARCH: FactKey[ImageArch] = FactKey("image_arch", "the image's architecture, decided once")
LINKAGE: FactKey[Mapping[str, Linkage]] = FactKey(
    "linkage", "loader emulation for every binary in scope, by real path"
)
STATIC_BINARIES: FactKey[tuple[StaticBinary, ...]] = FactKey(
    "static_binaries", "statically linked binaries in scope"
)
STATIC_NSS: FactKey[tuple[StaticBinary, ...]] = FactKey(
    "static_nss", "static binaries that cannot load NSS modules"
)
KERNELS: FactKey[tuple[Kernel, ...]] = FactKey("kernels", "every kernel release, default first")
APPARMOR: FactKey[AppArmorState] = FactKey("apparmor", "AppArmor in the default kernel")
MODULES_LOAD: FactKey[ModulesLoad] = FactKey("modules_load", "kernel modules loaded at boot")
PACKAGES: FactKey[InstalledPackages] = FactKey(
    "packages", "installed packages from the dpkg, rpm and apk databases"
)
ACCOUNTS: FactKey[Accounts] = FactKey("accounts", "users and groups from /etc/passwd, /etc/group")
SERVICES: FactKey[Services] = FactKey("services", "enabled and masked units, OpenRC runlevels")

#: Every fact key, in the order collectors produce them.
KEYS: tuple[FactId, ...] = (
    TARGET,
    DISK,
    IMAGE_CONFIG,
    NAME_RESOLUTION,
    FILES,
    MACHINE_ID,
    HOSTNAME,
    CONTAINERD_SNIPPETS,
    EXECUTABLES,
    IMAGE_ARCH,
    OS,
    PACKAGES,
    ACCOUNTS,
    SERVICES,
    ELF_FILES,
    LINKAGE,
    STATIC_BINARIES,
    STATIC_NSS,
    KERNELS,
    APPARMOR,
    MODULES_LOAD,
)
#: Keys whose value the source provides (the collector only checks the target kind).
SOURCE_KEYS: tuple[FactId, ...] = (TARGET, DISK, IMAGE_CONFIG)
