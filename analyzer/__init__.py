"""imgaudit: offline static analysis of VM disks, container images and rootfs trees.

The library entry point is :func:`analyze`; the command line in :mod:`analyzer.cli` is a thin
layer over it. Importing the package loads nothing else: ``analyze``, ``Config`` and
``__version__`` are looked up on first use, so a module such as :mod:`analyzer.stream.paths`
can be imported alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from analyzer.pipeline import Config, analyze

__all__ = ["Config", "__version__", "analyze"]
__version__: str


def __getattr__(name: str) -> object:
    """The public names, imported when first asked for."""
    if name in ("Config", "analyze"):
        from analyzer import pipeline

        return getattr(pipeline, name)
    if name == "__version__":
        from analyzer.version import TOOL_VERSION

        return TOOL_VERSION
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
