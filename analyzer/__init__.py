"""imgaudit: offline static analysis of VM disks, container images and rootfs trees.

The library entry point is :func:`analyze`; the command line in :mod:`analyzer.cli` is a thin
layer over it.
"""

from analyzer.pipeline import TOOL_VERSION, Config, analyze

__all__ = ["Config", "__version__", "analyze"]
__version__ = TOOL_VERSION
