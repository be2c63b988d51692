"""Per-file analyzers: they see each regular file's bytes once, during the pass."""

from __future__ import annotations

from analyzer.analyzers.busybox import BusyboxAnalyzer
from analyzer.analyzers.elf import ElfAnalyzer
from analyzer.analyzers.kernel_image import KernelImageAnalyzer
from analyzer.analyzers.packagedb import PackageDbAnalyzer
from analyzer.stream.sink import FileAnalyzer

#: Per-file analyzers run in the pass besides text capture, in order.
ANALYZERS: tuple[FileAnalyzer, ...] = (
    ElfAnalyzer(),
    KernelImageAnalyzer(),
    PackageDbAnalyzer(),
    BusyboxAnalyzer(),
)
