"""The ``file`` subject kind: one evaluation per object matching the rule's globs.

A rule names its globs in the subject itself::

    subject: {file: [/etc/ssh/ssh_host_*_key, /root/.ssh/authorized_keys]}

Globs are absolute in-image paths and follow :meth:`analyzer.vfs.tree.Tree.glob` (``*``
within a component, ``**`` across components). Each match becomes a :class:`Subject` whose
``key`` is the path, whose ``value`` is its :class:`~analyzer.facts.files.FileInfo` and
whose location is the object itself (its layer included). No match means no evaluation.
"""

from __future__ import annotations

from analyzer.facts import FILES
from analyzer.model import Facts
from analyzer.policy.leaf import Subject, SubjectKind, Undetermined


def file_subjects(globs: tuple[str, ...], facts: Facts) -> list[Subject] | Undetermined:
    """Every object matching one of ``globs``, or why not when the index is missing."""
    index = facts.value(FILES)
    if index is None:
        return Undetermined.of(FILES, facts)
    return [
        Subject(SubjectKind.FILE, info.path, info.location, info) for info in index.match(globs)
    ]
