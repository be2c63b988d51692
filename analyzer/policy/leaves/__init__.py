"""Every check leaf a rule pack may use, in one explicit tuple."""

from __future__ import annotations

from analyzer.policy.leaf import Leaf
from analyzer.policy.leaves.cgroups import AppArmor, Cgroup
from analyzer.policy.leaves.common import TargetIs
from analyzer.policy.leaves.contains import FileContains
from analyzer.policy.leaves.elf import BinarySelected, ElfArch, ElfInterpreter, ElfNeeded, ElfRpath
from analyzer.policy.leaves.elfhardening import ElfHardening, StaticGlibcNss
from analyzer.policy.leaves.executables import AppArmorEnabled, ExecutableFound
from analyzer.policy.leaves.filemeta import FileMode, FileOwner
from analyzer.policy.leaves.files import ContainerdSnippetValid, FileExpect
from analyzer.policy.leaves.identity import HostnameIs, HostsBuildName, MachineIdState
from analyzer.policy.leaves.kconfig import Kconfig, ModuleLoadable
from analyzer.policy.leaves.kconfigruntime import KernelConfigRuntime
from analyzer.policy.leaves.kernel import Cmdline, KernelVersion
from analyzer.policy.leaves.names import LocalhostResolves
from analyzer.policy.leaves.packages import PackageInstalled, ServiceEnabled

LEAVES: tuple[type[Leaf], ...] = (
    TargetIs,
    LocalhostResolves,
    ExecutableFound,
    AppArmorEnabled,
    FileExpect,
    ContainerdSnippetValid,
    MachineIdState,
    HostnameIs,
    HostsBuildName,
    BinarySelected,
    ElfInterpreter,
    ElfNeeded,
    ElfArch,
    ElfRpath,
    ElfHardening,
    StaticGlibcNss,
    Kconfig,
    ModuleLoadable,
    KernelConfigRuntime,
    KernelVersion,
    Cmdline,
    Cgroup,
    AppArmor,
    FileMode,
    FileOwner,
    FileContains,
    PackageInstalled,
    ServiceEnabled,
)
