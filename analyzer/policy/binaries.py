"""The ``binary`` subject kind: one subject per ELF file in linkage scope.

Subjects come from the ``linkage`` fact (see :mod:`analyzer.collectors.linkage.collect`): the key is
the binary's real in-image path, the location is that path (with its layer), and the value
is its :class:`~analyzer.facts.linkage.Linkage`.
"""

from __future__ import annotations

from analyzer.facts import Facts
from analyzer.facts.linkage import Linkage
from analyzer.policy.leaf import Subject


def binary_subjects(facts: Facts) -> list[Subject] | str:
    """Every binary in scope, sorted by path; ``"linkage"`` when the fact is not present."""
    fact = facts.get("linkage")
    if fact is None or not fact.is_present:
        return "linkage"
    entries: dict[str, Linkage] = fact.get()
    return [
        Subject("binary", path, entry.location, entry) for path, entry in sorted(entries.items())
    ]
