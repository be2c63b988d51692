"""Triage of a run's findings: compared with a baseline run, accepted by suppressions.

:func:`compare` (:mod:`.baseline`) marks each finding ``new``, ``unchanged`` or ``updated``
against the SARIF log of a previous run and carries that run's vanished findings as
``absent``; :func:`suppress` (:mod:`.suppressions`) attaches the suppression entry that
accepts a finding. Neither removes a finding. :func:`gating` is what ``--fail-on`` counts.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass

from analyzer.model import BaselineState, Evaluation, RunResult, Suppression
from analyzer.triage.baseline import Baseline, compare, read_baseline
from analyzer.triage.suppressions import DEFAULT_FILE as DEFAULT_SUPPRESSIONS
from analyzer.triage.suppressions import load_suppressions, suppress

#: Baseline states that count for ``--fail-on`` unless baseline findings are asked for too.
FRESH = (None, BaselineState.NEW, BaselineState.UPDATED)


def gating(result: RunResult, include_baseline: bool = False) -> tuple[Evaluation, ...]:
    """The findings a threshold counts: not suppressed and, unless ``include_baseline``, new.

    A finding without a baseline state (no baseline given) counts; one marked ``unchanged``
    was already in the baseline run and counts only with ``include_baseline``.
    """
    return tuple(
        finding
        for finding in result.findings
        if finding.suppression is None and (include_baseline or finding.baseline in FRESH)
    )


@dataclass(frozen=True, slots=True)
class Triage:
    """A scan's baseline and suppression entries, read before the scan so bad files fail fast."""

    baseline: Baseline | None = None
    suppressions: tuple[Suppression, ...] = ()

    @classmethod
    def load(cls, baseline: str | None, config: str | None) -> Triage:
        """Read ``baseline`` (SARIF) and the suppression file ``config``.

        Without ``config``, :data:`DEFAULT_SUPPRESSIONS` in the current directory is read
        when it exists. Raises :class:`~analyzer.errors.UsageError` for a bad file.
        """
        if config is None and os.path.isfile(DEFAULT_SUPPRESSIONS):
            config = DEFAULT_SUPPRESSIONS
        return cls(
            read_baseline(baseline) if baseline else None,
            load_suppressions(config) if config else (),
        )

    def apply(self, result: RunResult, category: str | None, today: datetime.date) -> RunResult:
        """Suppress, then compare with the baseline (``category``: ``--sarif-category``)."""
        if self.suppressions:
            result = suppress(result, self.suppressions, today)
        if self.baseline is not None:
            result = compare(result, self.baseline, category)
        return result


__all__ = ["DEFAULT_SUPPRESSIONS", "FRESH", "Triage", "gating"]
