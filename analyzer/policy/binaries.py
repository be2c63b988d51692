"""The ``binary`` subject kind: one subject per ELF file in linkage scope.

Subjects come from the ``linkage`` fact (see :mod:`analyzer.collectors.linkage.collect`): the key is
the binary's real in-image path, the location is that path (with its layer), and the value
is its :class:`~analyzer.facts.linkage.Linkage`.
"""

from __future__ import annotations

from analyzer.facts import LINKAGE
from analyzer.model import Facts
from analyzer.policy.leaf import Subject, SubjectKind, Undetermined


def binary_subjects(facts: Facts) -> list[Subject] | Undetermined:
    """Every binary in scope, sorted by path; why not when the fact is not present."""
    entries = facts.value(LINKAGE)
    if entries is None:
        return Undetermined.of(LINKAGE, facts)
    return [
        Subject(SubjectKind.BINARY, path, entry.location, entry)
        for path, entry in sorted(entries.items())
    ]
