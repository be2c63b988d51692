"""Per-file analyzers: they see each regular file's bytes once, during the pass."""

from __future__ import annotations

from analyzer.analyzers.base import FileAnalyzer

#: Per-file analyzers run in the pass besides text capture, in order.
ANALYZERS: tuple[FileAnalyzer, ...] = ()
