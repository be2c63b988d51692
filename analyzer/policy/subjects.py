"""Subject kinds: what one evaluation of a rule is about, and where to find them in the facts.

``image`` is the whole artefact (one subject). Other kinds enumerate a fact's items. A
provider returns the subjects, or why they cannot be listed (:class:`~.leaf.Undetermined`). In
a pack a plain kind is a name (``subject: kernel``); a parametrised kind is a mapping of the kind
to its parameter (``subject: {file: [/etc/machine-id, /var/lib/dbus/machine-id]}``, see
:mod:`analyzer.policy.filesubjects`). The older string form ``"file: /a /b"`` (globs separated
by white space) is read too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from analyzer.facts import FILES
from analyzer.model import YAML, Facts, Location, Outcome
from analyzer.policy.binaries import binary_subjects
from analyzer.policy.filesubjects import file_subjects
from analyzer.policy.kernels import kernel_subjects
from analyzer.policy.leaf import Subject, SubjectKind, Undetermined
from analyzer.policy.params import Param, ParamError
from analyzer.policy.paramtypes import ABSOLUTE
from analyzer.stream.paths import parent

#: Returns the subjects, or why they cannot be listed (their fact is not present).
SubjectProvider = Callable[[Facts], list[Subject] | Undetermined]


def image_subjects(facts: Facts) -> list[Subject] | Undetermined:
    """The artefact itself: one subject at the image root."""
    del facts
    return [Subject(SubjectKind.IMAGE, "", Location("/"))]


SUBJECTS: dict[SubjectKind, SubjectProvider] = {
    SubjectKind.IMAGE: image_subjects,
    SubjectKind.BINARY: binary_subjects,
    SubjectKind.KERNEL: kernel_subjects,
}

#: Returns the subjects for the rule's globs, or why they cannot be listed.
ParamSubjectProvider = Callable[[tuple[str, ...], Facts], list[Subject] | Undetermined]

#: Subject kinds that take a list of absolute globs: ``{file: [/etc/machine-id]}``.
PARAMETRISED: dict[SubjectKind, ParamSubjectProvider] = {
    SubjectKind.FILE: file_subjects,
}


@dataclass(frozen=True, slots=True)
class SubjectSpec:
    """A rule's subject: its kind and, for a parametrised kind, its globs."""

    kind: SubjectKind
    globs: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{{{self.kind}: [{', '.join(self.globs)}]}}" if self.globs else self.kind


#: The subject of a rule that does not name one.
IMAGE = SubjectSpec(SubjectKind.IMAGE)


def parse_subject(raw: YAML) -> SubjectSpec:
    """The subject a pack names; :class:`ParamError` saying what is wrong."""
    known = ", ".join(sorted({*SUBJECTS, *PARAMETRISED}))
    if isinstance(raw, str) and ":" in raw:
        kind, _, text = raw.partition(":")
        return _parametrised(kind.strip(), text.split(), known)
    if isinstance(raw, str):
        if raw in PARAMETRISED:
            raise ParamError(f"subject {raw!r} needs globs: {{{raw}: [/absolute/glob, ...]}}")
        if raw not in SUBJECTS:
            raise ParamError(f"unknown subject {raw!r} ({known})")
        return SubjectSpec(SubjectKind(raw))
    if isinstance(raw, Mapping) and len(raw) == 1:
        ((kind, value),) = raw.items()
        return _parametrised(kind, value, known)
    raise ParamError(f"'subject' is a kind ({known}) or a mapping such as {{file: [/etc/x]}}")


def _parametrised(kind: str, globs: YAML, known: str) -> SubjectSpec:
    if kind not in PARAMETRISED:
        raise ParamError(f"unknown subject {kind!r} ({known})")
    return SubjectSpec(SubjectKind(kind), Param(kind, ABSOLUTE, many=True).convert_many(globs))


def no_subjects(spec: SubjectSpec, facts: Facts) -> tuple[Outcome, str, Location]:
    """The outcome of a rule that found nothing to evaluate.

    A ``file`` rule looks for files that should not be there, so no match passes, located at
    the directory of its first glob (as the files index finds it, its layer included); any
    other kind with no subject (no binary in scope) has nothing to check.
    """
    if spec.globs:
        globs = " ".join(spec.globs)
        directory = parent(spec.globs[0])
        index = facts.value(FILES)
        found = index.info(directory) if index is not None else None
        where = found.location if found is not None else Location(directory)
        return Outcome.PASS, f"no file matches {globs}", where
    return Outcome.NOT_APPLICABLE, f"no {spec.kind} to check", Location("/")


def subjects_for(spec: SubjectSpec, facts: Facts) -> list[Subject] | Undetermined:
    """The subjects of a rule whose subject is ``spec``."""
    if spec.kind in PARAMETRISED:
        return PARAMETRISED[spec.kind](spec.globs, facts)
    return SUBJECTS[spec.kind](facts)
