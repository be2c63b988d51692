"""The read-only, in-memory tree every source is turned into, and the only way to read it.

Collectors and rules see a :class:`~analyzer.vfs.tree.Tree`; they never touch the host.
"""

from analyzer.stream.paths import join, normalize, split
from analyzer.vfs.node import Node
from analyzer.vfs.tree import Resolved, ResolveError, Tree

__all__ = ["Node", "ResolveError", "Resolved", "Tree", "join", "normalize", "split"]
