"""``imgaudit diff OLD NEW``: what changed between two artefacts, by facts and findings.

:func:`compare_runs` is a pure function of two run results; :mod:`.render` writes the
difference as text, Markdown (a pull-request comment) or JSON.
"""

from __future__ import annotations

from analyzer.diff.compare import compare_runs, gating
from analyzer.diff.model import Change, Diff, FindingChange, Section

__all__ = ["Change", "Diff", "FindingChange", "Section", "compare_runs", "gating"]
