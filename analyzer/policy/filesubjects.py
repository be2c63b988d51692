"""The ``file`` subject kind: one evaluation per object matching the rule's globs.

A rule names its globs in the subject itself::

    subject: "file: /etc/ssh/ssh_host_*_key /root/.ssh/authorized_keys"

Globs are separated by white space and follow :meth:`analyzer.vfs.tree.Tree.glob` (``*``
within a component, ``**`` across components). Each match becomes a :class:`Subject` whose
``key`` is the path, whose ``value`` is its :class:`~analyzer.facts.files.FileInfo` and
whose location is the object itself (its layer included). No match means no evaluation.
"""

from __future__ import annotations

from analyzer.facts import FILES
from analyzer.model import Facts
from analyzer.policy.leaf import Subject, Undetermined


def parse_globs(param: str) -> tuple[str, ...]:
    """The globs of a ``file:`` subject; ``ValueError`` when there are none or one is relative."""
    globs = tuple(param.split())
    if not globs:
        raise ValueError("a 'file:' subject names at least one absolute glob")
    relative = [g for g in globs if not g.startswith("/")]
    if relative:
        raise ValueError(f"'file:' globs are absolute in-image paths, not {relative[0]!r}")
    return globs


def file_subjects(param: str, facts: Facts) -> list[Subject] | Undetermined:
    """Every object matching the globs in ``param``, or why not when the index is missing."""
    index = facts.value(FILES)
    if index is None:
        return Undetermined.of(FILES, facts)
    return [
        Subject("file", info.path, info.location, info) for info in index.match(parse_globs(param))
    ]
