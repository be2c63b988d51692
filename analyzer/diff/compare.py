"""Compare two runs: a pure function of two :class:`~analyzer.model.RunResult` objects.

Facts are compared section by section (:mod:`.snapshot`); findings by the SARIF fingerprint
(rule id + in-image path + discriminator, see
:func:`~analyzer.report.sarif_location.line_hashes`) with the default kernel's release in
paths made generic, so a finding that moved to another line, or stayed across a kernel
update, is the same finding, and one with a new message or level is ``changed``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from analyzer.diff.model import Change, Diff, FindingChange, FindingKind, Section
from analyzer.diff.snapshot import snapshot
from analyzer.model import Evaluation, Level, RunResult
from analyzer.report.common import sorted_evaluations
from analyzer.report.sarif_location import line_hashes

#: What the default kernel's release becomes in finding paths before they are matched.
RELEASE = "{release}"


def compare_runs(old: RunResult, new: RunResult) -> Diff:
    """Everything that differs from ``old`` to ``new``."""
    before, after = snapshot(old), snapshot(new)
    changes: list[Change] = []
    undecided: list[str] = []
    for section in Section:
        if section in before.undecided or section in after.undecided:
            for side, shot in (("old", before), ("new", after)):
                if section in shot.undecided:
                    undecided.append(f"{section.title} ({side}): {shot.undecided[section]}")
            continue
        changes += _section_changes(
            section, before.sections.get(section, {}), after.sections.get(section, {})
        )
    return Diff(
        old=old.target,
        new=new.target,
        changes=tuple(changes),
        findings=_finding_changes(old, new, (before.release, after.release)),
        undecided=tuple(undecided),
        complete=old.complete and new.complete,
    )


def _section_changes(
    section: Section, old: Mapping[str, str], new: Mapping[str, str]
) -> list[Change]:
    return [
        Change(section, subject, old.get(subject), new.get(subject))
        for subject in sorted({*old, *new})
        if old.get(subject) != new.get(subject)
    ]


def _fingerprinted(result: RunResult, release: str | None) -> dict[str, Evaluation]:
    """Findings by fingerprint, computed with the kernel release in paths made generic.

    A kernel's findings sit on ``/boot/config-RELEASE``: without this a new kernel release
    would turn every kernel finding into one fixed and one new finding.
    """
    findings = sorted_evaluations(result.findings, result.rules)
    keyed = [_generic(f, release) for f in findings] if release else findings
    return dict(zip(line_hashes(keyed), findings, strict=True))


def _generic(finding: Evaluation, release: str) -> Evaluation:
    where = finding.location
    return dataclasses.replace(
        finding,
        location=dataclasses.replace(where, path=where.path.replace(release, RELEASE)),
        discriminator=finding.discriminator.replace(release, RELEASE),
    )


def _finding_changes(
    old: RunResult, new: RunResult, releases: tuple[str | None, str | None]
) -> tuple[FindingChange, ...]:
    before, after = _fingerprinted(old, releases[0]), _fingerprinted(new, releases[1])
    changes = [FindingChange(FindingKind.NEW, f) for fp, f in after.items() if fp not in before]
    changes += [
        FindingChange(FindingKind.CHANGED, f, before[fp])
        for fp, f in after.items()
        if fp in before and (before[fp].level, before[fp].message) != (f.level, f.message)
    ]
    changes += [FindingChange(FindingKind.FIXED, f) for fp, f in before.items() if fp not in after]
    return tuple(changes)


def gating(diff: Diff, threshold: Level | None) -> tuple[FindingChange, ...]:
    """The new findings at or above ``threshold`` (also changed ones that rose to it).

    Suppressed findings never count; ``None`` (``--fail-on none``) counts nothing.
    """
    if threshold is None:
        return ()
    return tuple(
        change
        for change in diff.findings
        if change.finding.suppression is None
        and change.finding.level.rank >= threshold.rank
        and (
            change.kind is FindingKind.NEW
            or (
                change.kind is FindingKind.CHANGED
                and change.before is not None
                and change.before.level.rank < threshold.rank
            )
        )
    )
