"""imgaudit: offline static analysis of VM disks, container images and rootfs trees.

The library entry point is :func:`analyze`; the command line in :mod:`analyzer.cli` is a thin
layer over it.
"""

from analyzer.pipeline import Config, analyze

__all__ = ["Config", "analyze"]
__version__ = "0.1.0"
