"""Every collector, in run order (a collector may read the facts of those before it)."""

from __future__ import annotations

from analyzer.collectors.accounts import AccountsCollector
from analyzer.collectors.architecture import ArchitectureCollector
from analyzer.collectors.base import Collector
from analyzer.collectors.containerd import ContainerdSnippetsCollector
from analyzer.collectors.executables import ExecutablesCollector
from analyzer.collectors.files import FileIndexCollector
from analyzer.collectors.identity import IdentityCollector
from analyzer.collectors.kernels import KernelsCollector
from analyzer.collectors.linkage.collect import LinkageCollector
from analyzer.collectors.modulesload import ModulesLoadCollector
from analyzer.collectors.names import NameResolutionCollector
from analyzer.collectors.osinfo import OsCollector
from analyzer.collectors.packages import PackagesCollector
from analyzer.collectors.services import ServicesCollector
from analyzer.collectors.target import DISK_COLLECTOR, IMAGE_CONFIG_COLLECTOR, TargetCollector

COLLECTORS: tuple[Collector, ...] = (
    TargetCollector(),
    DISK_COLLECTOR,
    IMAGE_CONFIG_COLLECTOR,
    NameResolutionCollector(),
    FileIndexCollector(),
    IdentityCollector(),
    ContainerdSnippetsCollector(),
    ExecutablesCollector(),
    ArchitectureCollector(),
    OsCollector(),
    PackagesCollector(),
    AccountsCollector(),
    ServicesCollector(),
    LinkageCollector(),
    KernelsCollector(),
    ModulesLoadCollector(),
)
